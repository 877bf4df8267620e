from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DiscoveryConfig(AppConfig):
    """Finding each other: best matches both ways, price guidance, saved searches and their alerts."""

    name = "discovery"
    verbose_name = _("Discovery")

    def ready(self) -> None:
        from . import receivers

        receivers.connect()
