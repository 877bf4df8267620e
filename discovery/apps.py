from django.apps import AppConfig


class DiscoveryConfig(AppConfig):
    """Finding each other: best matches both ways, price guidance, saved searches and their alerts."""

    name = "discovery"
    verbose_name = "Discovery"

    def ready(self) -> None:
        from . import receivers

        receivers.connect()
