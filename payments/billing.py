"""The Client Pro plan: a monthly Stripe Billing subscription for clients.

Stripe is the truth about a subscription. `sync` re-fetches it and writes what it finds to the
`ClientSubscription` row and to `User.client_plan_until`, which is all the marketplace reads
(`User.has_client_plan`). Requests, webhooks and the reconciliation task all end in `sync`, under a lock
on the user's row taken before the fetch, so a late or repeated event can only write what Stripe says now.

The plan is a Stripe Plan with a fixed id that names its price (a new price is a new id). Plans work on
real Stripe and on the local emulator, which has no Prices.
"""

import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import stripe
from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext
from django.views.decorators.debug import sensitive_variables

from accounts.models import User, UserType
from accounts.plans import FREE_INVITES_PER_PROJECT, PLAN_NAME, PRO_INVITES_PER_PROJECT, invites_per_project
from core.audit import audit
from core.exceptions import ApplicationError, Conflict

from . import stripe_client
from .customers import customer_id_for
from .exceptions import PaymentError
from .ledger import ledger_record
from .models import ClientSubscription, LedgerAccount, LedgerTransaction, Payment, StripeCustomer
from .stripe_events import charge_fee_book

logger = logging.getLogger(__name__)

PLAN_KEY = "client_pro"
PRICE_MINOR = 5000
CURRENCY = "usd"
INTERVAL = "month"
PLAN_ID = f"megilance_{PLAN_KEY}_{CURRENCY}_{PRICE_MINOR}_{INTERVAL}"


# Stripe retries a failed renewal for days; the plan stays on this long after the renewal was due.
PAST_DUE_GRACE = timedelta(days=7)
LIVE_STATUSES = frozenset({"active", "trialing", "past_due"})
ENDED_STATUSES = frozenset({"canceled", "incomplete_expired"})
_PLAN_CACHE_KEY = f"payments:stripe-plan:{PLAN_ID}"


# --- what the plan gives ------------------------------------------------------------------------


def features(user: User) -> dict[str, Any]:
    """What the user's plan allows now."""
    return {"invite_only_projects": user.has_client_plan, "invites_per_project": invites_per_project(user)}


PLAN_FEATURES = {"invite_only_projects": True, "invites_per_project": PRO_INVITES_PER_PROJECT}


def price_text() -> str:
    return f"{PRICE_MINOR // 100}.{PRICE_MINOR % 100:02d}"


# --- errors -------------------------------------------------------------------------------------


def _require_client(user: User) -> None:
    if user.user_type != UserType.CLIENT:
        raise ApplicationError(gettext("The Client Pro plan is for clients."),
                               code="permission_denied", status_code=403)


def _unavailable(exc: Exception) -> PaymentError:
    logger.warning("Stripe Billing did not answer", exc_info=exc)
    return PaymentError("The payment service is not answering. Try again shortly: you will not be charged twice.",
                        code="payment_service_unavailable", status_code=503)


def _invalid_payment_method(message: str = "") -> ApplicationError:
    message = message or gettext("This card cannot be used. Enter the card again.")
    return ApplicationError(gettext("Invalid input: %(message)s") % {"message": message}, code="validation_error",
                            errors={"payment_method": [message]})


def _missing(exc: stripe.StripeError) -> bool:
    return getattr(exc, "http_status", None) == 404


# --- the plan at Stripe -------------------------------------------------------------------------


def plan_price_id() -> str:
    """The Stripe Plan of Client Pro, made once: looked up by its fixed id, created (with an idempotency
    key) if missing, remembered for an hour."""
    if cache.get(_PLAN_CACHE_KEY):
        return PLAN_ID
    sdk = stripe_client.sdk()
    try:
        plan = sdk.Plan.retrieve(PLAN_ID)
    except stripe.InvalidRequestError as exc:
        if not _missing(exc):
            raise
        try:
            plan = sdk.Plan.create(
                id=PLAN_ID, amount=PRICE_MINOR, currency=CURRENCY, interval=INTERVAL, nickname=f"{PLAN_NAME} (monthly)",
                product={"name": f"MegiLance {PLAN_NAME}", "metadata": {"megilance_plan": PLAN_KEY}},
                metadata={"megilance_plan": PLAN_KEY}, idempotency_key=f"plan-{PLAN_ID}",
            )
        except stripe.StripeError:
            plan = sdk.Plan.retrieve(PLAN_ID)  # made at the same moment by another process
    if (plan.get("amount"), plan.get("currency"), plan.get("interval")) != (PRICE_MINOR, CURRENCY, INTERVAL) \
            or not plan.get("active", True):
        logger.error("Stripe plan %s does not match Client Pro's price or is archived", PLAN_ID)
        raise PaymentError("The Client Pro plan cannot be bought right now.", code="plan_unavailable",
                           status_code=503)
    cache.set(_PLAN_CACHE_KEY, True, 3600)
    return PLAN_ID


def _is_client_pro(subscription: Any) -> bool:
    if (subscription.get("metadata") or {}).get("megilance_plan") == PLAN_KEY:
        return True
    for item in (subscription.get("items") or {}).get("data") or []:
        plan = item.get("plan") or item.get("price") or {}
        if plan.get("id") == PLAN_ID:
            return True
    return False


# --- reading a subscription ---------------------------------------------------------------------


def _first_item(subscription: Any) -> Any:
    items = (subscription.get("items") or {}).get("data") or []
    return items[0] if items else {}


def _period(subscription: Any, edge: str) -> datetime | None:
    """`current_period_start`/`_end`: on the subscription in older API versions, on its items since 2025."""
    value = subscription.get(f"current_period_{edge}") or _first_item(subscription).get(f"current_period_{edge}")
    return datetime.fromtimestamp(int(value), tz=UTC) if value else None


def _cancel_at(subscription: Any) -> datetime | None:
    value = subscription.get("cancel_at")
    return datetime.fromtimestamp(int(value), tz=UTC) if value else None


def _plan_until(subscription: Any) -> datetime | None:
    """Until when the plan's features are on: the paid period while active, a grace while a renewal is
    being retried, nothing once cancelled, unpaid or never paid."""
    status = subscription.get("status")
    period_end = _period(subscription, "end")
    cancel_at = _cancel_at(subscription)
    if period_end and cancel_at:
        period_end = min(period_end, cancel_at)
    if status in ("active", "trialing"):
        return period_end
    if status == "past_due":
        period_start = _period(subscription, "start")
        grace_end = (period_start or timezone.now()) + PAST_DUE_GRACE
        return min(period_end, grace_end) if period_end else grace_end
    return None


# --- sync ---------------------------------------------------------------------------------------


def _owner_of(subscription_id: str) -> User | None:
    row = ClientSubscription.objects.select_related("user").filter(stripe_subscription_id=subscription_id).first()
    if row is not None:
        return row.user
    subscription = stripe_client.sdk().Subscription.retrieve(subscription_id)
    customer = subscription.get("customer")
    customer_id = customer if isinstance(customer, str) else (customer or {}).get("id")
    mapping = StripeCustomer.objects.select_related("user").filter(stripe_customer_id=customer_id).first()
    return mapping.user if mapping is not None else None


def _latest_at_stripe(user: User) -> Any | None:
    """The user's newest Client Pro subscription at Stripe, live ones first (none if they have no customer)."""
    mapping = StripeCustomer.objects.filter(user=user).first()
    if mapping is None:
        return None
    found = [sub for sub in stripe_client.sdk().Subscription.list(customer=mapping.stripe_customer_id, status="all",
                                                         limit=20).data if _is_client_pro(sub)]
    found.sort(key=lambda sub: (sub.get("status") in LIVE_STATUSES, sub.get("created") or 0), reverse=True)
    return found[0] if found else None


def _apply(user: User, row: ClientSubscription | None, subscription: Any) -> ClientSubscription | None:
    status = subscription.get("status") or ""
    if row is not None and row.stripe_subscription_id != subscription.id:
        if status not in LIVE_STATUSES and row.status in LIVE_STATUSES:
            return row  # news of an older subscription: the live one stays
        row.stripe_subscription_id = subscription.id
    if row is None:
        row = ClientSubscription(user=user, stripe_subscription_id=subscription.id)
    before = (row.status, row.current_period_end, row.cancel_at_period_end)
    row.status = status
    row.current_period_end = _period(subscription, "end")
    row.cancel_at_period_end = bool(subscription.get("cancel_at_period_end") or subscription.get("cancel_at"))
    row.save()
    until = _plan_until(subscription)
    if user.client_plan_until != until:
        User.objects.filter(pk=user.pk).update(client_plan_until=until)
        user.client_plan_until = until
    after = (row.status, row.current_period_end, row.cancel_at_period_end)
    if before != after:
        audit("billing.subscription_synced", target=row,
              old={"status": before[0], "cancel_at_period_end": before[2]},
              new={"status": status, "cancel_at_period_end": row.cancel_at_period_end,
                   "plan_until": until.isoformat() if until else None, "subscription": subscription.id})
    return row


def sync(target: User | str) -> ClientSubscription | None:
    """Re-fetches a subscription and records what Stripe says now (`_sync`), then books its paid invoices."""
    row = _sync(target)
    if row is not None:
        subscription_invoices_book(row.user, row.stripe_subscription_id)
    return row


def _sync(target: User | str) -> ClientSubscription | None:
    """Re-fetches a subscription (by id, or the user's own) and records what Stripe says now.

    The user's row is locked before the fetch, so concurrent syncs run one after another and the last
    one writes the newest state. A subscription that is not Client Pro, or whose customer is not one of
    ours, is left alone.
    """
    if isinstance(target, User):
        user: User | None = target
        subscription_id = None
    else:
        subscription_id = target
        try:
            user = _owner_of(subscription_id)
        except stripe.InvalidRequestError as exc:
            if _missing(exc):
                return None
            raise
    if user is None:
        return None
    sdk = stripe_client.sdk()
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=user.pk).first()
        row = ClientSubscription.objects.select_for_update().filter(user=user).first()
        wanted = subscription_id or (row.stripe_subscription_id if row is not None else None)
        if wanted:
            try:
                subscription = sdk.Subscription.retrieve(wanted)
            except stripe.InvalidRequestError as exc:
                if not _missing(exc):
                    raise
                subscription = None
        else:
            subscription = _latest_at_stripe(user)
        if subscription is None or not _is_client_pro(subscription):
            return row
        user.refresh_from_db(fields=["client_plan_until"])
        return _apply(user, row, subscription)


def sync_invoice(invoice_id: str) -> ClientSubscription | None:
    """An invoice of a subscription was paid or failed: sync its subscription."""
    try:
        invoice = stripe_client.sdk().Invoice.retrieve(invoice_id)
    except stripe.InvalidRequestError as exc:
        if _missing(exc):
            return None
        raise
    subscription = invoice.get("subscription")
    if not subscription:
        parent = invoice.get("parent") or {}
        subscription = (parent.get("subscription_details") or {}).get("subscription")
    if isinstance(subscription, dict) or hasattr(subscription, "id"):
        subscription = subscription.get("id")
    return sync(subscription) if subscription else None


def reconcile_subscriptions(*, older_than: timedelta = timedelta(hours=6)) -> int:
    """Syncs what lost webhooks may have left behind: rows not synced lately or past their period end,
    and live Client Pro subscriptions at Stripe that no row records."""
    now = timezone.now()
    synced = 0
    due = (ClientSubscription.objects.exclude(status__in=ENDED_STATUSES)
           .filter(Q(updated_at__lt=now - older_than) | Q(current_period_end__lt=now)))
    for subscription_id in list(due.values_list("stripe_subscription_id", flat=True)):
        try:
            if sync(subscription_id) is not None:
                synced += 1
        except Exception:  # one subscription failing must not stop the rest
            logger.warning("Could not sync subscription %s", subscription_id, exc_info=True)
    # A plan date with no live row behind it: the row may have missed its last change (a plan given by
    # hand, with no subscription at Stripe, is left as it is).
    for user in User.objects.filter(client_plan_until__isnull=False).exclude(
            client_subscription__status__in=LIVE_STATUSES).filter(client_plan_until__gt=now):
        try:
            if sync(user) is not None:
                synced += 1
        except Exception:
            logger.warning("Could not sync the plan of user %s", user.pk, exc_info=True)
    # Live subscriptions at Stripe that no row records (our answer to the client was lost, and its webhook).
    known = set(ClientSubscription.objects.values_list("stripe_subscription_id", flat=True))
    try:
        for subscription in stripe_client.sdk().Subscription.list(status="active", limit=100).auto_paging_iter():
            if subscription.id in known or not _is_client_pro(subscription):
                continue
            try:
                if sync(subscription.id) is not None:
                    synced += 1
            except Exception:
                logger.warning("Could not sync subscription %s", subscription.id, exc_info=True)
    except stripe.StripeError:
        logger.warning("Could not list subscriptions at Stripe", exc_info=True)
    return synced


# --- the money: each paid invoice is a ledger movement and a payment in the client's list ----------


def invoice_book(user: User, invoice: Any) -> Payment | None:
    """A paid Client Pro invoice: the platform's balance up, subscription revenue earned; the client's
    payments list shows it (`kind: "subscription"`) with its receipt; Stripe's fee on it is booked. Once."""
    amount = int(invoice.get("amount_paid") or 0)
    if invoice.get("status") != "paid" or amount <= 0:
        return None
    currency = invoice.get("currency") or CURRENCY
    intent = invoice.get("payment_intent")
    intent_id = intent if isinstance(intent, str) else ((intent or {}).get("id") or "")
    with transaction.atomic():
        ledger_tx, created = ledger_record(
            kind=LedgerTransaction.Kind.SUBSCRIPTION, reference=f"subscription:{invoice['id']}", currency=currency,
            entries=[(LedgerAccount.PLATFORM_CASH, amount, None), (LedgerAccount.SUBSCRIPTION_REVENUE, -amount, None)],
            description=f"{PLAN_NAME} for {user.email} ({invoice['id']})",
        )
        if not created:
            return Payment.objects.filter(ledger_transaction=ledger_tx, kind=Payment.Kind.SUBSCRIPTION).first()
        start, end = invoice.get("period_start"), invoice.get("period_end")
        period = ""
        if start and end and end > start:
            period = (f", {datetime.fromtimestamp(start, tz=UTC):%d %b %Y} to "
                      f"{datetime.fromtimestamp(end, tz=UTC):%d %b %Y}")
        payment = Payment.objects.create(
            user=user, kind=Payment.Kind.SUBSCRIPTION, amount=amount, currency=currency,
            description=f"{PLAN_NAME} subscription{period}"[:255], ledger_transaction=ledger_tx,
            stripe_payment_intent=intent_id,
        )
    charge = invoice.get("charge")
    if charge:
        charge_id = charge if isinstance(charge, str) else charge.get("id")
        charge_fee_book(stripe_client.sdk().Charge.retrieve(charge_id, expand=["balance_transaction"]))
    return payment


def subscription_invoices_book(user: User, subscription_id: str) -> int:
    """Books every paid invoice of a subscription not booked yet. Returns how many were booked now."""
    booked = 0
    invoices = stripe_client.sdk().Invoice.list(subscription=subscription_id, limit=100)
    for invoice in invoices.auto_paging_iter():
        if invoice.get("status") != "paid" or int(invoice.get("amount_paid") or 0) <= 0:
            continue
        if LedgerTransaction.objects.filter(reference=f"subscription:{invoice['id']}").exists():
            continue
        if invoice_book(user, invoice) is not None:
            booked += 1
    return booked


# --- subscribe, cancel, resume ------------------------------------------------------------------


@sensitive_variables("number", "cvc", "exp_month", "exp_year")
def card_payment_method(*, number: str, exp_month: int, exp_year: int, cvc: str) -> str:
    """A PaymentMethod made from typed card details, at the local emulator only (with real Stripe the card
    goes from the browser to Stripe through Stripe Elements and never reaches us). Nothing is logged."""
    if not settings.STRIPE_API_BASE:
        raise ApplicationError(gettext("Card details are taken by Stripe's own form."), code="permission_denied",
                               status_code=403)
    try:
        method = stripe_client.sdk().PaymentMethod.create(type="card", card={
            "number": number, "exp_month": exp_month, "exp_year": exp_year, "cvc": cvc})
    except stripe.CardError as exc:
        raise PaymentError(exc.user_message or "Your card was declined.", code="card_declined") from None
    except stripe.InvalidRequestError:
        raise ApplicationError(gettext("Invalid input: check the card number, expiry date and security code."),
                               code="validation_error",
                               errors={"card_number": ["Check the card number, expiry date and security code."]}
                               ) from None
    except stripe.StripeError as exc:
        raise _unavailable(exc) from None
    return method.id


def _attach_as_default(customer: str, payment_method: str) -> str:
    """Attaches the card to the customer and makes it the one invoices are charged to. Returns its id."""
    sdk = stripe_client.sdk()
    try:
        method = sdk.PaymentMethod.attach(payment_method, customer=customer)
        sdk.Customer.modify(customer, invoice_settings={"default_payment_method": method.id})
    except stripe.CardError as exc:
        raise PaymentError(exc.user_message or "Your card was declined.", code="card_declined") from exc
    except stripe.InvalidRequestError as exc:
        raise _invalid_payment_method() from exc
    except stripe.StripeError as exc:
        raise _unavailable(exc) from exc
    return method.id


def _decline_message(subscription: Any) -> str:
    """What the bank said about the first invoice (best effort: the invoice's shape depends on the API version)."""
    try:
        sdk = stripe_client.sdk()
        invoice = subscription.get("latest_invoice")
        invoice = sdk.Invoice.retrieve(invoice) if isinstance(invoice, str) else invoice
        intent = (invoice or {}).get("payment_intent")
        intent = sdk.PaymentIntent.retrieve(intent) if isinstance(intent, str) else intent
        error = (intent or {}).get("last_payment_error") or {}
        if (intent or {}).get("status") == "requires_action":
            return "Your bank asked to confirm this card, which this form cannot do. Try another card."
        if error.get("message"):
            return str(error["message"])
    except stripe.StripeError:
        logger.warning("Could not read why subscription %s was not paid", subscription.id, exc_info=True)
    return "Your card was declined."


def _drop_declined_card(customer: str, payment_method: str) -> None:
    sdk = stripe_client.sdk()
    try:
        sdk.Customer.modify(customer, invoice_settings={"default_payment_method": ""})
        sdk.PaymentMethod.detach(payment_method)
    except stripe.StripeError:
        logger.warning("Could not remove a declined card from customer %s", customer, exc_info=True)


def _create_subscription(user: User, customer: str, payment_method: str, previous: str) -> Any:
    sdk = stripe_client.sdk()
    params: dict[str, Any] = {
        "customer": customer, "payment_behavior": "error_if_incomplete",
        "metadata": {"user_id": str(user.pk), "megilance_plan": PLAN_KEY},
    }
    # Retries of this request (the SDK's, on a network error) make one subscription; a second one for the
    # same user is stopped before this by the lock and the live-subscription checks in `subscribe`.
    key = f"client-pro:{user.pk}:{previous}:{payment_method}"
    try:
        try:
            params["items"] = [{"plan": plan_price_id()}]
            return sdk.Subscription.create(**params, idempotency_key=key)
        except stripe.InvalidRequestError as exc:
            if not _missing(exc):
                raise
            cache.delete(_PLAN_CACHE_KEY)  # the plan went away at Stripe (an emulator reset): make it again
            params["items"] = [{"plan": plan_price_id()}]
            return sdk.Subscription.create(**params, idempotency_key=f"{key}:again")
    except stripe.CardError as exc:
        raise PaymentError(exc.user_message or "Your card was declined.", code="card_declined") from exc
    except stripe.InvalidRequestError as exc:
        raise _invalid_payment_method() from exc
    except stripe.StripeError as exc:
        raise _unavailable(exc) from exc


def subscribe(user: User, payment_method: str | None) -> ClientSubscription:
    """Starts Client Pro with the card (a PaymentMethod id): attached to the customer, made the default,
    charged for the first month now. A declined card leaves no plan and raises a 402.

    While a cancelled plan is still running, this takes it back (with the new card, if one is given).
    """
    _require_client(user)
    if payment_method is not None and not str(payment_method).startswith("pm_"):
        raise _invalid_payment_method("Enter a card.")
    try:
        return _subscribe(user, payment_method)
    except stripe.StripeError as exc:  # Stripe stopped answering half-way: a retry finds what was made
        raise _unavailable(exc) from exc


def _subscribe(user: User, payment_method: str | None) -> ClientSubscription:
    customer = customer_id_for(user)
    declined: str | None = None
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=user.pk).first()
        row = ClientSubscription.objects.filter(user=user).first()
        if row is not None and row.status in LIVE_STATUSES:
            if not row.cancel_at_period_end:
                raise Conflict(gettext("You already have the Client Pro plan."), code="already_subscribed")
            return _resume(user, row, customer, payment_method)
        running = _latest_at_stripe(user)
        if running is not None and running.get("status") in LIVE_STATUSES:
            # Stripe has a plan this site never recorded (a lost answer): record it, do not buy another.
            result = sync(running.id)
            user.refresh_from_db(fields=["client_plan_until"])
            if result is None:
                raise Conflict(gettext("You already have the Client Pro plan."), code="already_subscribed")
            return result
        if not payment_method:
            raise _invalid_payment_method("Enter a card.")
        method = _attach_as_default(customer, payment_method)
        previous = row.stripe_subscription_id if row is not None else "first"
        created = _create_subscription(user, customer, method, previous)
        subscription = stripe_client.sdk().Subscription.retrieve(created.id)
        if subscription.get("status") not in ("active", "trialing"):
            declined = _decline_message(subscription)
            if subscription.get("status") not in ENDED_STATUSES:
                try:
                    stripe_client.sdk().Subscription.cancel(subscription.id)
                except stripe.StripeError as exc:
                    raise _unavailable(exc) from exc
            _drop_declined_card(customer, method)
        result = sync(subscription.id)
        if declined is None:
            audit("billing.subscribed", target=result, actor=user,
                  new={"plan": PLAN_KEY, "subscription": subscription.id, "amount": PRICE_MINOR,
                       "currency": CURRENCY})
    user.refresh_from_db(fields=["client_plan_until"])
    if declined is not None:
        raise PaymentError(declined, code="card_declined")
    assert result is not None
    return result


def _resume(user: User, row: ClientSubscription, customer: str, payment_method: str | None) -> ClientSubscription:
    if payment_method:
        _attach_as_default(customer, payment_method)
    try:
        stripe_client.sdk().Subscription.modify(row.stripe_subscription_id, cancel_at_period_end=False)
    except stripe.StripeError as exc:
        raise _unavailable(exc) from exc
    audit("billing.resumed", target=row, actor=user, new={"subscription": row.stripe_subscription_id})
    result = sync(row.stripe_subscription_id) or row
    user.refresh_from_db(fields=["client_plan_until"])
    return result


def cancel(user: User, *, immediately: bool = False) -> ClientSubscription:
    """Ends Client Pro at the end of the paid month (its features stay until then), or now."""
    _require_client(user)
    row = ClientSubscription.objects.filter(user=user).first()
    if row is None or row.status not in LIVE_STATUSES:
        raise Conflict(gettext("You have no Client Pro plan to cancel."), code="no_subscription")
    sdk = stripe_client.sdk()
    try:
        if immediately:
            sdk.Subscription.cancel(row.stripe_subscription_id)
        elif not row.cancel_at_period_end:
            sdk.Subscription.modify(row.stripe_subscription_id, cancel_at_period_end=True)
    except stripe.StripeError as exc:
        raise _unavailable(exc) from exc
    audit("billing.cancelled", target=row, actor=user,
          new={"subscription": row.stripe_subscription_id, "immediately": immediately})
    result = sync(row.stripe_subscription_id) or row
    user.refresh_from_db(fields=["client_plan_until"])
    return result


def summary(user: User) -> dict[str, Any]:
    """What the billing page and `GET /api/payments/subscription` show."""
    row = ClientSubscription.objects.filter(user=user).first()
    status = row.status if row is not None else "none"
    renews_at = ends_at = None
    if row is not None and status in ("active", "trialing"):
        if row.cancel_at_period_end:
            ends_at = user.client_plan_until or row.current_period_end
        else:
            renews_at = row.current_period_end
    elif status == "past_due":
        ends_at = user.client_plan_until  # the grace while Stripe retries the renewal
    on_plan = user.has_client_plan
    return {
        "plan": PLAN_KEY if on_plan else "free",
        "plan_name": PLAN_NAME if on_plan else "Free",
        "status": status,
        "cancel_at_period_end": bool(row is not None and status in LIVE_STATUSES and row.cancel_at_period_end),
        "renews_at": renews_at,
        "ends_at": ends_at,
        "price": price_text(),
        "currency": CURRENCY,
        "interval": INTERVAL,
        "features": features(user),
        "plan_features": PLAN_FEATURES,
        "free_features": {"invite_only_projects": False, "invites_per_project": FREE_INVITES_PER_PROJECT},
    }
