"""A GIN index for full-text search of services, on PostgreSQL only (SQLite searches without one)."""

from django.db import migrations


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("CREATE INDEX IF NOT EXISTS service_search_gin ON gigs_service USING gin (search_vector)")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS service_search_gin")


class Migration(migrations.Migration):
    dependencies = [("gigs", "0002_listings_status_history")]
    operations = [migrations.RunPython(create, drop)]
