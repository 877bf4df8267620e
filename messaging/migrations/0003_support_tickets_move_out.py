"""Support tickets now belong to the `support` app: forget them here; their tables stay until it renames them."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("messaging", "0002_support_tickets"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name="TicketMessage"),
                migrations.DeleteModel(name="SupportTicket"),
            ],
        ),
    ]
