"""PostgreSQL keeps ledger transactions as it keeps their entries: written once, never changed or deleted.
(SQLite, the embedded default, relies on the services and the tests.)"""

from django.db import migrations

FORWARD = """
CREATE OR REPLACE FUNCTION ledger_transaction_immutable() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'ledger transactions are never changed or deleted; record a new transaction instead';
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER ledger_transactions_append_only
    BEFORE UPDATE OR DELETE ON payments_ledgertransaction
    FOR EACH ROW EXECUTE FUNCTION ledger_transaction_immutable();
"""

BACKWARD = """
DROP TRIGGER IF EXISTS ledger_transactions_append_only ON payments_ledgertransaction;
DROP FUNCTION IF EXISTS ledger_transaction_immutable();
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD, params=None)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD, params=None)


class Migration(migrations.Migration):
    dependencies = [("payments", "0006_stripe_facts_subscriptions_reconciliation")]
    operations = [migrations.RunPython(forward, backward)]
