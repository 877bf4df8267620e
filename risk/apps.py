from django.apps import AppConfig


class RiskConfig(AppConfig):
    name = "risk"
    verbose_name = "Fraud signals"

    def ready(self) -> None:
        # Listens to accounts, messaging and payments, and answers payments' question about payouts.
        from . import receivers

        receivers.connect()
