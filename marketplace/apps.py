from django.apps import AppConfig


class MarketplaceConfig(AppConfig):
    name = "marketplace"

    def ready(self) -> None:
        from . import receivers

        receivers.connect()  # answers messaging's questions about projects (a chat's subject and its title)
