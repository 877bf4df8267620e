"""What payments refuses with. Every module of payments, and the apps above it, raise and catch these."""

from core.exceptions import ApplicationError


class PaymentError(ApplicationError):
    status_code = 402
    default_code = "payment_failed"
    default_detail = "The payment did not go through."


class PaymentServiceUnavailable(PaymentError):
    """Stripe did not answer (or answered with an error): nothing changed, and trying again later is safe."""

    status_code = 503
    default_code = "payment_service_unavailable"
    default_detail = "The payment service is not answering. Nothing was charged; try again shortly."
