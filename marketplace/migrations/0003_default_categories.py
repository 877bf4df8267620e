from django.db import migrations

CATEGORIES = [
    ("Web development", "web-development"),
    ("Mobile development", "mobile-development"),
    ("Design & creative", "design-creative"),
    ("Writing & translation", "writing-translation"),
    ("Data & analytics", "data-analytics"),
    ("AI & machine learning", "ai-machine-learning"),
    ("DevOps & cloud", "devops-cloud"),
    ("Sales & marketing", "sales-marketing"),
    ("Admin & customer support", "admin-support"),
    ("Finance & accounting", "finance-accounting"),
]


def add(apps, schema_editor):
    Category = apps.get_model("marketplace", "Category")
    for name, slug in CATEGORIES:
        Category.objects.get_or_create(slug=slug, defaults={"name": name})


class Migration(migrations.Migration):
    dependencies = [("marketplace", "0002_project_search_index")]
    operations = [migrations.RunPython(add, migrations.RunPython.noop)]
