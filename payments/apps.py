from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "payments"

    def ready(self) -> None:
        # Imported for what they connect: the Stripe webhook handlers, and the money series of the metrics.
        from . import metrics, webhooks  # noqa: F401
