"""Saved cards: a client's cards kept at Stripe for charges made while they are away (hourly work).

A card is saved through a SetupIntent on the client's Stripe customer (`usage=off_session`): Stripe checks the
card, asks the bank for 3-D Secure when it wants it, and attaches the PaymentMethod to the customer. Only then
is a `SavedCard` row written. The newest card is the one charged. Charges are `PaymentOperation`s (written down
first, Stripe asked outside any transaction, booked after): an off-session PaymentIntent, confirmed at once,
that a bank may decline or refuse without the card holder (`authentication_required`).
"""

import logging
from dataclasses import dataclass
from typing import Any

import stripe
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext

from accounts.models import User
from core.exceptions import ApplicationError, Conflict

from . import signals, stripe_client
from .exceptions import PaymentError, PaymentProviderUnavailable
from .models import PaymentOperation, SavedCard
from .operations import operation_book, operation_create
from .services import customer_for

logger = logging.getLogger(__name__)


def _not_found() -> ApplicationError:
    return ApplicationError("Not found.", code="not_found", status_code=404)


def saved_cards(user: User) -> list[SavedCard]:
    return list(SavedCard.objects.filter(user=user).order_by("-created_at", "-id"))


def default_card(user_id: int) -> SavedCard | None:
    """The card charged for the user: the newest they saved."""
    return SavedCard.objects.filter(user_id=user_id).order_by("-created_at", "-id").first()


def has_saved_card(user_id: int) -> bool:
    return SavedCard.objects.filter(user_id=user_id).exists()


@dataclass(frozen=True)
class SetupResult:
    """How saving a card ended: `card` once saved; else Stripe's status of the SetupIntent
    ("requires_action": the bank asks the card holder, with `client_secret` for Stripe.js)."""

    status: str
    card: SavedCard | None
    setup_intent_id: str
    client_secret: str | None


def setup_intent_create(user: User) -> dict[str, str]:
    """A SetupIntent for Stripe Elements on the page: the card is entered and confirmed in the browser, then
    the page posts the SetupIntent's id back (`card_save_from_setup_intent`)."""
    customer = customer_for(user)
    try:
        intent = stripe_client.sdk().SetupIntent.create(customer=customer, usage="off_session",
                                                        payment_method_types=["card"],
                                                        metadata={"user_id": str(user.pk)})
    except stripe.StripeError as exc:
        raise PaymentProviderUnavailable() from exc
    return {"id": intent.id, "client_secret": intent.client_secret}


def card_save(*, user: User, payment_method: str) -> SetupResult:
    """Saves a card (a PaymentMethod made by Stripe.js, or a test id like pm_card_visa) for off-session charges.
    A declined card raises PaymentError (402) and saves nothing; a card whose bank asks the holder answers
    `requires_action`, and is saved once the check is done (`card_save_from_setup_intent`)."""
    if not payment_method.startswith("pm_"):
        raise ApplicationError(gettext("Invalid input: not a card."), code="validation_error",
                               errors={"payment_method": [gettext("Give a PaymentMethod id (pm_...).")]})
    customer = customer_for(user)
    sdk = stripe_client.sdk()
    try:
        intent = sdk.SetupIntent.create(customer=customer, usage="off_session", payment_method_types=["card"],
                                        metadata={"user_id": str(user.pk)})
        intent = sdk.SetupIntent.confirm(intent.id, payment_method=payment_method)
    except stripe.CardError as exc:
        raise PaymentError(gettext("%(reason)s The card is not saved.")
                           % {"reason": exc.user_message or gettext("Your card was declined.")},
                           code="card_declined") from exc
    except (stripe.APIConnectionError, stripe.APIError) as exc:
        raise PaymentProviderUnavailable() from exc
    except stripe.StripeError as exc:
        raise ApplicationError(gettext("Invalid input: this card cannot be saved."), code="validation_error",
                               errors={"payment_method": [exc.user_message or gettext("Not a usable card.")]}) from exc
    return _result(user, intent)


def card_save_from_setup_intent(*, user: User, setup_intent_id: str) -> SetupResult:
    """The page confirmed a SetupIntent (Stripe Elements, and 3-D Secure if the bank asked): save its card if it
    succeeded for this user's customer."""
    customer = customer_for(user)
    try:
        intent = stripe_client.sdk().SetupIntent.retrieve(setup_intent_id)
    except stripe.InvalidRequestError as exc:
        raise _not_found() from exc
    except stripe.StripeError as exc:
        raise PaymentProviderUnavailable() from exc
    if intent.get("customer") != customer:
        raise _not_found()
    return _result(user, intent)


def setup_intent_authenticate_test(*, user: User, setup_intent_id: str, client_secret: str) -> SetupResult:
    """The test-mode stand-in of the bank's 3-D Secure page for saving a card (the local emulator only)."""
    from django.conf import settings

    if not settings.STRIPE_API_BASE:
        raise ApplicationError("Your bank confirms the card on its own page.", code="permission_denied",
                               status_code=403)
    try:
        stripe_client.sdk().SetupIntent._static_request(
            "post", f"/v1/setup_intents/{setup_intent_id}/_authenticate",
            params={"client_secret": client_secret, "success": "true"})
    except stripe.StripeError as exc:
        raise PaymentProviderUnavailable() from exc
    return card_save_from_setup_intent(user=user, setup_intent_id=setup_intent_id)


def _result(user: User, intent: Any) -> SetupResult:
    if intent.status != "succeeded":
        return SetupResult(status=intent.status, card=None, setup_intent_id=intent.id,
                           client_secret=intent.client_secret)
    method_id = intent.payment_method if isinstance(intent.payment_method, str) else intent.payment_method.id
    try:
        method = stripe_client.sdk().PaymentMethod.retrieve(method_id)
    except stripe.StripeError as exc:
        raise PaymentProviderUnavailable() from exc
    details = method.get("card") or {}
    created = False
    try:
        with transaction.atomic():
            card, created = SavedCard.objects.get_or_create(
                stripe_payment_method_id=method_id,
                defaults={"user": user, "brand": details.get("brand", ""), "last4": details.get("last4", ""),
                          "exp_month": details.get("exp_month"), "exp_year": details.get("exp_year")})
            if card.user_id != user.pk:
                raise _not_found()
    except IntegrityError:  # saved at the same moment by another request
        card = SavedCard.objects.get(stripe_payment_method_id=method_id, user=user)
    if created:
        # Outside the transaction: a receiver may charge what waited for a card (Stripe is never called under
        # a lock).
        signals.payment_method_saved.send(sender=SavedCard, user_id=user.pk)
    return SetupResult(status="succeeded", card=card, setup_intent_id=intent.id, client_secret=None)


def card_delete(*, user: User, card_id: int) -> None:
    """Removes one of the caller's cards (detached at Stripe); someone else's is 404."""
    card = SavedCard.objects.filter(pk=card_id, user=user).first()
    if card is None:
        raise _not_found()
    try:
        stripe_client.sdk().PaymentMethod.detach(card.stripe_payment_method_id)
    except stripe.InvalidRequestError:
        logger.info("PaymentMethod %s was already gone at Stripe", card.stripe_payment_method_id)
    except (stripe.APIConnectionError, stripe.APIError) as exc:
        raise PaymentProviderUnavailable() from exc
    SavedCard.objects.filter(pk=card.pk).delete()


def off_session_charge_begin(*, payer: User, customer_id: str, card: SavedCard, amount_minor: int, currency: str,
                             idempotency_key: str, metadata: dict[str, str], description: str, purpose: str,
                             subject_type: str, subject_id: Any, context: dict[str, Any]) -> PaymentOperation:
    """Writes down an off-session charge of the payer's saved card, in the caller's transaction (under its lock).
    `customer_id` comes from `customer_for`, asked before the transaction began."""
    if card.user_id != payer.pk:
        raise Conflict("That card is not the payer's.", code="invalid_payment")
    params: dict[str, Any] = {
        "amount": amount_minor, "currency": currency, "customer": customer_id,
        "payment_method": card.stripe_payment_method_id, "confirm": True, "off_session": True,
        "payment_method_types": ["card"], "metadata": {**metadata, "description": description[:255]},
    }
    return operation_create(kind=PaymentOperation.Kind.CHARGE, purpose=purpose, subject_type=subject_type,
                            subject_id=subject_id, amount_minor=amount_minor, currency=currency,
                            idempotency_key=idempotency_key, params=params,
                            context={"payer_id": payer.pk, **context})


# --- a charge the bank wants the card holder to confirm (3-D Secure) ------------------------------

AUTHENTICATION_REQUIRED = "authentication_required"
WAITING = (PaymentOperation.Status.FAILED, PaymentOperation.Status.PENDING)


def charge_awaiting_card_holder(*, subject_type: str, subject_id: Any) -> PaymentOperation | None:
    """The subject's last charge, when the bank refused it off-session for want of the card holder
    (`authentication_required`): the one the payer confirms on the page, with the same PaymentIntent. None when
    the last charge is anything else (a later charge with a new card replaces it)."""
    operation = PaymentOperation.objects.filter(subject_type=subject_type, subject_id=str(subject_id),
                                                kind=PaymentOperation.Kind.CHARGE).order_by("-id").first()
    if (operation is None or not operation.stripe_id or operation.status not in WAITING
            or (operation.result or {}).get("code") != AUTHENTICATION_REQUIRED):
        return None
    return operation


def charge_hold_for_card_holder(operation: PaymentOperation) -> None:
    """Marks the waiting charge as on its way again, under the caller's lock of the subject: while the payer
    confirms it, no other charge of the subject starts (they see it in flight), and the reconciler asking the
    same key again only gets the first refusal back."""
    PaymentOperation.objects.filter(pk=operation.pk, status__in=WAITING).update(
        status=PaymentOperation.Status.PENDING, updated_at=timezone.now())
    operation.refresh_from_db()


def charge_confirm_on_session(operation: PaymentOperation) -> Any:
    """Confirms the waiting PaymentIntent with the card holder present (outside any transaction): the same
    PaymentIntent, with the card it was refused for. Returns it; `requires_action` while the bank's check is to
    be done (Stripe.js with real keys, `charge_authenticate_test` against the emulator)."""
    sdk = stripe_client.sdk()
    try:
        intent = sdk.PaymentIntent.retrieve(operation.stripe_id)
        if intent.status == "requires_payment_method":
            intent = sdk.PaymentIntent.modify(intent.id, payment_method=operation.params["payment_method"])
        if intent.status == "requires_confirmation":
            intent = sdk.PaymentIntent.confirm(intent.id)
    except stripe.CardError as exc:
        raise PaymentError(exc.user_message or "Your card was declined.", code="card_declined") from exc
    except stripe.StripeError as exc:
        raise PaymentProviderUnavailable() from exc
    return intent


def charge_authenticate_test(operation: PaymentOperation) -> None:
    """The test-mode stand-in of the bank's 3-D Secure page for a waiting charge (the local emulator only)."""
    from .services import payment_intent_authenticate_test, payment_intent_state

    state = payment_intent_state(operation.stripe_id)
    if state.status == "requires_action":
        payment_intent_authenticate_test(payment_intent_id=operation.stripe_id, client_secret=state.client_secret or "")


def charge_confirmed_book(operation: PaymentOperation) -> Any:
    """After the card holder's confirmation: asks Stripe (outside any transaction) how the PaymentIntent ended;
    if it succeeded, the operation is booked through the same path as an off-session success, once (the
    operation's row lock and status decide; a second call books nothing). Returns the PaymentIntent."""
    try:
        intent = stripe_client.sdk().PaymentIntent.retrieve(operation.stripe_id)
    except stripe.StripeError as exc:
        raise PaymentProviderUnavailable() from exc
    if intent.status == "succeeded":
        PaymentOperation.objects.filter(pk=operation.pk, status__in=WAITING, stripe_id=intent.id).update(
            status=PaymentOperation.Status.SUCCEEDED, result={"status": intent.status}, last_error="",
            updated_at=timezone.now())
        operation_book(operation, intent)
    elif intent.status == "requires_payment_method":  # the bank's check failed: it waits again
        PaymentOperation.objects.filter(pk=operation.pk, status=PaymentOperation.Status.PENDING).update(
            status=PaymentOperation.Status.FAILED, updated_at=timezone.now())
    operation.refresh_from_db()
    return intent
