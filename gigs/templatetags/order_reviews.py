from django import template

from ..models import Service
from ..order_reviews import service_reviews as revealed_reviews

register = template.Library()


@register.simple_tag
def service_reviews(service: Service) -> list:
    """`{% service_reviews service as reviews %}`: the service's revealed reviews from buyers."""
    return revealed_reviews(service.pk)
