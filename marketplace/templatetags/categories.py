"""A picture for each category: `{% category_icon project.category %}` gives the icon's address (the platform's
default categories each have one; categories staff add later share a general one)."""

from typing import Any

from django import template
from django.templatetags.static import static

from marketplace.categories import DEFAULT_CATEGORIES

register = template.Library()

WITH_ICONS = {slug for _, slug in DEFAULT_CATEGORIES}


@register.simple_tag
def category_icon(category: Any) -> str:
    slug = getattr(category, "slug", "")
    return static(f"img/categories/{slug if slug in WITH_ICONS else 'other'}.svg")
