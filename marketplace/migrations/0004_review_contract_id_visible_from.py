"""A review refers to its contract by id and knows itself when it becomes visible.

The column `contract_id` and its index stay as they are; only the foreign-key constraint to contracts is
dropped, so the marketplace's tables no longer depend on contracts'. `visible_from` replaces `revealed_at`:
for existing rows it is when both parties had reviewed, or 14 days after the contract completed if earlier
(or if only one party reviewed).
"""

from datetime import timedelta

from django.db import migrations, models

BLIND_DAYS = 14


def fill_visible_from(apps, schema_editor):
    Review = apps.get_model("marketplace", "Review")
    Contract = apps.get_model("contracts", "Contract")
    reviews = list(Review.objects.all())
    completed = dict(Contract.objects.filter(pk__in={review.contract_id for review in reviews})
                     .values_list("pk", "completed_at"))
    for review in reviews:
        blind_until = (completed.get(review.contract_id) or review.created_at) + timedelta(days=BLIND_DAYS)
        review.visible_from = min(review.revealed_at, blind_until) if review.revealed_at else blind_until
    Review.objects.bulk_update(reviews, ["visible_from"], batch_size=1000)


def fill_revealed_at(apps, schema_editor):
    """Going back: a review that is visible now was revealed when it became visible."""
    from django.utils import timezone

    Review = apps.get_model("marketplace", "Review")
    Review.objects.filter(visible_from__lte=timezone.now()).update(revealed_at=models.F("visible_from"))


class Migration(migrations.Migration):
    dependencies = [
        ("marketplace", "0003_default_categories"),
        ("contracts", "0004_milestone_refund_requested_at"),
    ]

    operations = [
        migrations.AddField(
            model_name="review",
            name="visible_from",
            field=models.DateTimeField(null=True, db_index=True),
        ),
        migrations.RunPython(fill_visible_from, fill_revealed_at),
        migrations.AlterField(
            model_name="review",
            name="visible_from",
            field=models.DateTimeField(db_index=True),
        ),
        migrations.RemoveIndex(model_name="review", name="review_reviewee_idx"),
        migrations.RemoveField(model_name="review", name="revealed_at"),
        migrations.AddIndex(
            model_name="review",
            index=models.Index(fields=["reviewee", "visible_from"], name="review_reviewee_idx"),
        ),
        # Drops the database constraint to contracts' table; the column and its index stay.
        migrations.AlterField(
            model_name="review",
            name="contract",
            field=models.ForeignKey(db_constraint=False, on_delete=models.deletion.CASCADE, related_name="reviews",
                                    to="contracts.contract"),
        ),
        # The same column becomes a plain id in the models; the unique constraint keeps its columns and name.
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveConstraint(model_name="review", name="one_review_per_party"),
                migrations.RemoveField(model_name="review", name="contract"),
                migrations.AddField(
                    model_name="review",
                    name="contract_id",
                    field=models.BigIntegerField(db_index=True),
                ),
                migrations.AddConstraint(
                    model_name="review",
                    constraint=models.UniqueConstraint(fields=["contract_id", "reviewer"],
                                                       name="one_review_per_party"),
                ),
            ],
            database_operations=[],
        ),
    ]
