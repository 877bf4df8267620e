from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "payments"

    def ready(self) -> None:
        from . import webhooks  # noqa: F401  (connects the Stripe webhook handlers)
