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


class PaymentProviderUnavailable(PaymentServiceUnavailable):
    """Stripe could not be reached (refused, or no answer within the client timeout): nothing visible changed;
    what was asked is written down and finished by reconciliation once Stripe answers again."""

    default_code = "payment_provider_unavailable"
    default_detail = ("The payment provider is not answering. Nothing changed here; the request is kept and "
                      "finished once it answers, or try again shortly.")


class PaymentInProgress(PaymentError):
    """A movement of money for the same thing is already on its way to Stripe."""

    status_code = 409
    default_code = "payment_in_progress"
    default_detail = "A payment for this is already in progress; try again in a moment."
