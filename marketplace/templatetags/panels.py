"""`{% panels "slot" %}`: what the apps above the marketplace add to a place on its pages (marketplace/hooks.py)."""

from typing import Any

from django import template
from django.utils.safestring import SafeString, mark_safe

from marketplace import hooks

register = template.Library()


@register.simple_tag(takes_context=True)
def panels(context: Any, slot: str) -> SafeString:
    request = context.get("request")
    flat = context.flatten()
    return mark_safe("".join(hooks.panels(slot, request, flat)))  # noqa: S308 - each panel renders a template
