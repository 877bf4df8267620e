"""pg_trgm, and GIN trigram indexes on project titles and skill names for search that forgives typos
(marketplace/search.py); on PostgreSQL only (SQLite, the embedded default, searches without them)."""

from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations

INDEXES = {
    "project_title_trgm_idx": "marketplace_project USING gin (title gin_trgm_ops)",
    # The skills table is accounts'; its index serves the marketplace's search and the skill autocomplete.
    "skill_name_trgm_idx": "accounts_skill USING gin (name gin_trgm_ops)",
}


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for name, target in INDEXES.items():
            schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {target}")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for name in INDEXES:
            schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [
        ("marketplace", "0006_review_order"),
        ("accounts", "0004_billing_profile"),
    ]

    operations = [TrigramExtension(), migrations.RunPython(create, drop)]
