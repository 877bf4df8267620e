from django.apps import AppConfig


class ContractsConfig(AppConfig):
    name = "contracts"

    def ready(self) -> None:
        # escrow receives payments' signals (funding that succeeded) by being imported.
        from . import escrow, receivers  # noqa: F401

        receivers.connect()  # tells messaging which pairs work under a contract
