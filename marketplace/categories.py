"""The categories a new platform starts with; staff add and rename them in the admin."""

from .models import Category

DEFAULT_CATEGORIES = [
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


def categories_ensure_defaults() -> None:
    for name, slug in DEFAULT_CATEGORIES:
        Category.objects.get_or_create(slug=slug, defaults={"name": name})
