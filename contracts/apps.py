from django.apps import AppConfig


class ContractsConfig(AppConfig):
    name = "contracts"

    def ready(self) -> None:
        # escrow and hourly receive payments' signals (funding that succeeded) by being imported.
        from . import escrow, hourly, receivers  # noqa: F401

        receivers.connect()  # tells messaging which pairs work under a contract
