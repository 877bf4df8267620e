# Fills the ratings now kept on accounts (accounts 0007) from the reviews everyone may read today; from here on
# marketplace.ratings keeps them as reviews are written and revealed.

from decimal import ROUND_HALF_EVEN, Decimal

from django.db import migrations
from django.db.models import Avg, Count
from django.utils import timezone


def backfill(apps, schema_editor):
    Review = apps.get_model("marketplace", "Review")
    User = apps.get_model("accounts", "User")
    rows = (Review.objects.filter(visible_from__lte=timezone.now()).order_by().values("reviewee")
            .annotate(avg=Avg("rating"), n=Count("pk")))
    users = [User(pk=row["reviewee"], rating_avg=Decimal(row["avg"]).quantize(Decimal("0.01"), ROUND_HALF_EVEN),
                  rating_count=row["n"]) for row in rows]
    User.objects.bulk_update(users, ["rating_avg", "rating_count"], batch_size=1000)


class Migration(migrations.Migration):

    dependencies = [
        ("accounts", "0007_freelancer_rating"),
        ("marketplace", "0007_trigram_search"),
    ]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
