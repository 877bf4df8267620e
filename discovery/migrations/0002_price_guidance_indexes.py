"""Indexes for price guidance's query (`discovery.selectors.price_sample`), on PostgreSQL only.

On the `make bench` data (150,000 proposals, 21,000 of them accepted) the query read every proposal for the
accepted ones, and each matching project's wide row for its budget type: `skills=django&budget_type=fixed` took
85-224 ms (p50, a busy machine), 37-59 ms with these two (BENCHMARKS.md, "Price guidance, cached").
An index of project skills by (skill, project) was tried too: it made questions with two skills slower.

- `proposal_accepted_idx`: the accepted proposals only (a small part of all), with their bid;
- `project_price_facts_idx`: a project's budget type and category without reading its wide row.

SQLite (the embedded default of `make run`) gets none of them: its data is small, and it has no INCLUDE.
"""

from django.db import migrations

INDEXES = {
    "proposal_accepted_idx": "CREATE INDEX IF NOT EXISTS proposal_accepted_idx ON marketplace_proposal "
                             "(currency, project_id) INCLUDE (bid_amount) WHERE status = 'accepted'",
    "project_price_facts_idx": "CREATE INDEX IF NOT EXISTS project_price_facts_idx ON marketplace_project (id) "
                               "INCLUDE (budget_type, category_id)",
}


def add_indexes(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for sql in INDEXES.values():
            schema_editor.execute(sql)


def remove_indexes(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for name in INDEXES:
            schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):

    dependencies = [
        ("discovery", "0001_initial"),
        ("marketplace", "0008_backfill_freelancer_ratings"),
    ]

    operations = [migrations.RunPython(add_indexes, remove_indexes)]
