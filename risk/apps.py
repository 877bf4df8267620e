from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RiskConfig(AppConfig):
    name = "risk"
    verbose_name = _("Fraud signals")

    def ready(self) -> None:
        # Listens to accounts, messaging and payments, and answers payments' question about payouts.
        from . import receivers

        receivers.connect()
