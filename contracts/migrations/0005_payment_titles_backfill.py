"""Payments recorded before they kept what they were for: write in the titles of their contract and milestone.

Contracts sits above payments, so this is where both can be read.
"""

from django.db import migrations
from django.db.models import OuterRef, Subquery, Value
from django.db.models.functions import Coalesce


def backfill(apps, schema_editor):
    Payment = apps.get_model("payments", "Payment")
    Contract = apps.get_model("contracts", "Contract")
    Milestone = apps.get_model("contracts", "Milestone")

    Payment.objects.filter(contract_id__isnull=False, contract_title="").update(
        contract_title=Coalesce(Subquery(Contract.objects.filter(pk=OuterRef("contract_id")).values("title")[:1]),
                                Value("")))
    Payment.objects.filter(milestone_id__isnull=False, milestone_title="").update(
        milestone_title=Coalesce(Subquery(Milestone.objects.filter(pk=OuterRef("milestone_id")).values("title")[:1]),
                                 Value("")))


class Migration(migrations.Migration):

    dependencies = [
        ("contracts", "0004_milestone_refund_requested_at"),
        ("payments", "0005_payment_titles"),
    ]

    operations = [
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
