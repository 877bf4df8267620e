"""What a service card shows beyond the service's own columns.

    {% load service_cards %}
    {% seller_level service as level %}  {{ level.label }}
    {% cover_url service %}
"""

from typing import Any

from django import template
from django.utils.translation import gettext_lazy as _

from gigs import selectors
from gigs.models import ServiceImage

register = template.Library()

LABELS = {
    "draft": _("Draft"), "active": _("Active"), "paused": _("Paused"),
    "basic": _("Basic"), "standard": _("Standard"), "premium": _("Premium"),
}


@register.filter
def label(value: str) -> str:
    """A service status or package tier as people read it, translated: `{{ service.status|label }}`."""
    return str(LABELS.get(value, value))


@register.simple_tag
def seller_level(service: Any) -> selectors.Level:
    return selectors.seller_level(getattr(service, "seller_orders", 0), service.rating_avg)


@register.simple_tag
def cover_url(service: Any) -> str:
    """The first picture's address: lists read its name in their one query; a service's page has its gallery."""
    if hasattr(service, "cover"):
        return ServiceImage(image=service.cover).image.url if service.cover else ""
    first = next(iter(service.images.all()), None)
    return first.image.url if first else ""
