from django.apps import AppConfig


class ContractsConfig(AppConfig):
    name = "contracts"

    def ready(self) -> None:
        from . import escrow  # noqa: F401  (receives payments' signals: funding that succeeded)
