"""What a service card shows beyond the service's own columns.

    {% load service_cards %}
    {% seller_level service as level %}  {{ level.label }}
    {% cover_url service %}
"""

from typing import Any

from django import template

from gigs import selectors
from gigs.models import ServiceImage

register = template.Library()


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
