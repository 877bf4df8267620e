from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "payments"

    def ready(self) -> None:
        # Imported for what they connect: the Stripe webhook handlers, the booking of payout transfers, and
        # the money series of the metrics.
        from . import metrics, payouts, webhooks  # noqa: F401
