"""The Stripe emulator's Connect routes, through the real `stripe` SDK and dj-stripe, as the escrow uses them:
Express accounts onboarded on the hosted page, charges on the platform, transfers to connected accounts."""

import json
import queue
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import stripe

from tests.helpers.stripe_emulator import StripeEmulator

RETURN_URL = "http://megilance.test/payments/connect/return"
REFRESH_URL = "http://megilance.test/payments/connect/refresh"


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


# The onboarding page is a browser's business: no key, no proxy, redirects looked at rather than followed.
browser = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirect())


def visit(url: str, data: bytes | None = None) -> tuple[int, str, str]:
    """(status, Location header, body) of a GET, or of a form POST when `data` is given."""
    try:
        with browser.open(urllib.request.Request(url, data=data), timeout=10) as response:
            return response.status, response.headers.get("Location", ""), response.read().decode()
    except urllib.error.HTTPError as error:  # 3xx not followed, 4xx
        return error.code, error.headers.get("Location", ""), error.read().decode()


def express_account(email: str = "freelancer@example.com", **params: object) -> stripe.Account:
    return stripe.Account.create(type="express", country="US", email=email,
                                 capabilities={"transfers": {"requested": True}},
                                 metadata={"user_id": "42"}, **params)


def fund_platform(amount: int, currency: str = "usd") -> stripe.PaymentIntent:
    """A client pays the platform: a customer, the test Visa card, a confirmed PaymentIntent."""
    customer = stripe.Customer.create(email="client@example.com")
    intent = stripe.PaymentIntent.create(amount=amount, currency=currency, customer=customer.id,
                                         payment_method="pm_card_visa", payment_method_types=["card"], confirm=True)
    assert intent.status == "succeeded"
    return intent


def available(currency: str = "usd", **options: object) -> int:
    balance = stripe.Balance.retrieve(**options)
    return sum(entry.amount for entry in balance.available if entry.currency == currency)


@pytest.fixture
def webhook_inbox(stripe_clean: StripeEmulator) -> Iterator[tuple[str, "queue.Queue[tuple[bytes, str]]"]]:
    """A small HTTP server of the test's own, registered with the emulator; yields (secret, deliveries)."""
    deliveries: queue.Queue[tuple[bytes, str]] = queue.Queue()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            deliveries.put((body, self.headers["Stripe-Signature"]))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    secret = "whsec_emulatortest0123456789"
    name = f"test-inbox-{server.server_address[1]}"
    stripe_clean.register_webhook(name, f"http://127.0.0.1:{server.server_address[1]}/stripe/",
                                  secret, events=["account.updated", "transfer.created"])
    try:
        yield secret, deliveries
    finally:
        stripe_clean.unregister_webhook(name)
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def receive(deliveries: "queue.Queue[tuple[bytes, str]]", secret: str, event_type: str, object_id: str,
            timeout: float = 15.0) -> stripe.Event:
    """The first delivery of `event_type` about `object_id`, checked against its signature as a webhook view
    would. Deliveries about other objects (late ones of earlier tests) are passed over."""
    deadline = time.monotonic() + timeout
    while True:
        payload, signature = deliveries.get(timeout=max(0.1, deadline - time.monotonic()))
        event = stripe.Webhook.construct_event(payload, signature, secret)
        if event.type == event_type and event.data.object.id == object_id:
            return event


# --- the platform account -------------------------------------------------------------------------


def test_the_platform_account_is_served_and_outlives_a_reset(stripe_clean: StripeEmulator) -> None:
    account = stripe.Account.retrieve()
    assert account.id.startswith("acct_platform")
    assert (account.object, account.type, account.country, account.default_currency) == (
        "account", "standard", "US", "usd")
    assert account.charges_enabled and account.payouts_enabled and account.details_submitted
    assert account.settings.dashboard.display_name == "MegiLance"

    stripe_clean.reset()
    assert stripe.Account.retrieve().id == account.id
    assert account.id not in [a.id for a in stripe.Account.list()]


def test_dj_stripe_syncs_the_platform_account(stripe_clean: StripeEmulator, db: None) -> None:
    from djstripe.models import Account

    platform = Account.get_default_account()  # GET /v1/account
    assert platform.id == stripe.Account.retrieve().id
    assert str(platform) == "MegiLance"
    synced = Account.sync_from_stripe_data(stripe.Account.retrieve())
    assert synced.pk == platform.pk
    assert synced.charges_enabled and synced.type == "standard"


# --- Express accounts and onboarding --------------------------------------------------------------


def test_an_express_account_is_created_unfinished(stripe_clean: StripeEmulator) -> None:
    account = express_account()
    assert account.id.startswith("acct_") and not account.id.startswith("acct_platform")
    assert account.type == "express"
    assert (account.details_submitted, account.charges_enabled, account.payouts_enabled) == (False, False, False)
    assert account.capabilities.to_dict() == {"transfers": "inactive"}
    assert "external_account" in account.requirements.currently_due
    assert account.requirements.disabled_reason == "requirements.past_due"
    assert account.metadata.to_dict() == {"user_id": "42"}
    assert account.email == "freelancer@example.com"
    assert stripe.Account.retrieve(account.id).id == account.id


def test_onboarding_on_the_hosted_page_enables_the_account(stripe_clean: StripeEmulator) -> None:
    account = express_account()
    link = stripe.AccountLink.create(account=account.id, refresh_url=REFRESH_URL, return_url=RETURN_URL,
                                     type="account_onboarding")
    assert link.object == "account_link"
    assert link.url.startswith(f"{stripe_clean.url}/connect/onboarding/")
    assert link.expires_at > link.created

    status, _, page = visit(link.url)
    assert status == 200
    assert "Complete onboarding" in page and account.id in page
    assert not stripe.Account.retrieve(account.id).details_submitted  # looking is not finishing

    status, location, _ = visit(link.url, data=b"")
    assert (status, location) == (303, RETURN_URL)
    done = stripe.Account.retrieve(account.id)
    assert (done.details_submitted, done.charges_enabled, done.payouts_enabled) == (True, True, True)
    assert done.capabilities.transfers == "active"
    assert done.requirements.currently_due == [] and done.requirements.disabled_reason is None
    assert done.external_accounts.total_count == 1

    # An account link works once: visited again, it sends the person to refresh_url for a new one.
    assert visit(link.url)[:2] == (303, REFRESH_URL)


def test_leaving_onboarding_early_returns_without_enabling(stripe_clean: StripeEmulator) -> None:
    account = express_account()
    link = stripe.AccountLink.create(account=account.id, refresh_url=REFRESH_URL, return_url=RETURN_URL,
                                     type="account_onboarding")
    assert visit(link.url, data=b"action=leave")[:2] == (303, RETURN_URL)
    assert not stripe.Account.retrieve(account.id).details_submitted


def test_account_links_need_an_existing_account(stripe_clean: StripeEmulator) -> None:
    with pytest.raises(stripe.error.InvalidRequestError) as refused:
        stripe.AccountLink.create(account="acct_doesnotexist000", refresh_url=REFRESH_URL, return_url=RETURN_URL,
                                  type="account_onboarding")
    assert refused.value.code == "resource_missing" and refused.value.param == "account"


def test_accounts_are_updated_listed_and_deleted(stripe_clean: StripeEmulator) -> None:
    first, second, third = (express_account(f"f{n}@example.com") for n in range(3))
    updated = stripe.Account.modify(first.id, email="new@example.com", metadata={"user_id": "", "tier": "gold"})
    assert updated.email == "new@example.com"
    assert updated.metadata.to_dict() == {"tier": "gold"}  # an empty value removes a key, as at Stripe

    page = stripe.Account.list(limit=2)
    assert [a.id for a in page.data] == [third.id, second.id] and page.has_more  # newest first
    rest = stripe.Account.list(limit=2, starting_after=second.id)
    assert [a.id for a in rest.data] == [first.id] and not rest.has_more
    assert [a.id for a in stripe.Account.list().auto_paging_iter()] == [third.id, second.id, first.id]

    deleted = stripe.Account.delete(second.id)
    assert deleted.deleted and deleted.id == second.id
    with pytest.raises(stripe.error.PermissionError, match="does not have access to account"):
        stripe.Account.retrieve(second.id)

    with pytest.raises(stripe.error.InvalidRequestError) as refused:
        stripe.Account.create(type="express", favourite_colour="blue")
    assert refused.value.code == "parameter_unknown"


# --- charges, transfers and the balance -----------------------------------------------------------


def test_a_charge_then_a_transfer_with_an_idempotency_key_moves_money_once(stripe_clean: StripeEmulator) -> None:
    account = express_account()
    stripe_clean.complete_onboarding(account.id)
    assert available() == 0

    fund_platform(10_000)
    assert available() == 10_000

    params = {"amount": 8_000, "currency": "usd", "destination": account.id, "transfer_group": "contract-7",
              "description": "Milestone 1", "metadata": {"payout_id": "3"}}
    first = stripe.Transfer.create(**params, idempotency_key="payout-3")
    again = stripe.Transfer.create(**params, idempotency_key="payout-3")
    assert again.id == first.id
    assert again.last_response.headers.get("Idempotent-Replayed") == "true"
    assert (first.object, first.amount, first.currency, first.destination) == ("transfer", 8_000, "usd", account.id)
    assert (first.transfer_group, first.reversed, first.amount_reversed) == ("contract-7", False, 0)
    assert first.metadata.to_dict() == {"payout_id": "3"} and first.created

    assert [t.id for t in stripe.Transfer.list(destination=account.id)] == [first.id]
    assert [t.id for t in stripe.Transfer.list(transfer_group="contract-7")] == [first.id]
    assert stripe.Transfer.list(transfer_group="contract-8").data == []
    assert available() == 2_000  # charged 10,000, transferred 8,000 once
    assert available(stripe_account=account.id) == 8_000  # what the freelancer's account received

    retrieved = stripe.Transfer.retrieve(first.id, expand=["balance_transaction"])
    assert retrieved.balance_transaction.amount == -8_000
    assert retrieved.balance_transaction.type == "transfer"

    with pytest.raises(stripe.error.IdempotencyError):  # same key, other parameters
        stripe.Transfer.create(**{**params, "amount": 1_000}, idempotency_key="payout-3")


def test_refunds_and_transfers_come_off_the_balance(stripe_clean: StripeEmulator) -> None:
    account = express_account()
    stripe_clean.complete_onboarding(account.id)
    intent = fund_platform(5_000)
    stripe.Refund.create(payment_intent=intent.id, amount=1_500)
    stripe.Transfer.create(amount=2_000, currency="usd", destination=account.id)
    assert available() == 5_000 - 1_500 - 2_000


def test_a_transfer_to_an_account_without_onboarding_is_refused(stripe_clean: StripeEmulator) -> None:
    account = express_account()
    fund_platform(10_000)
    with pytest.raises(stripe.error.InvalidRequestError) as refused:
        stripe.Transfer.create(amount=1_000, currency="usd", destination=account.id)
    assert "needs to have at least one of the following capabilities enabled: transfers" in str(refused.value)
    assert refused.value.http_status == 400
    assert refused.value.code == "insufficient_capabilities_for_transfer"

    with pytest.raises(stripe.error.InvalidRequestError) as unknown:
        stripe.Transfer.create(amount=1_000, currency="usd", destination="acct_doesnotexist000")
    assert unknown.value.code == "resource_missing" and unknown.value.param == "destination"
    assert available() == 10_000


def test_a_transfer_beyond_the_available_balance_is_refused(stripe_clean: StripeEmulator) -> None:
    account = express_account()
    stripe_clean.complete_onboarding(account.id)
    fund_platform(1_000)
    with pytest.raises(stripe.error.InvalidRequestError) as refused:
        stripe.Transfer.create(amount=1_001, currency="usd", destination=account.id, idempotency_key="payout-9")
    assert refused.value.code == "balance_insufficient"
    assert refused.value.json_body["error"]["type"] == "invalid_request_error"
    assert stripe.Transfer.list().data == [] and available() == 1_000

    # The endpoint ran, so Stripe keeps that result for the key: after more money comes in, the same key
    # still answers with the refusal; a transfer needs a new key.
    fund_platform(1_000)
    with pytest.raises(stripe.error.InvalidRequestError, match="insufficient available funds"):
        stripe.Transfer.create(amount=1_001, currency="usd", destination=account.id, idempotency_key="payout-9")
    assert stripe.Transfer.create(amount=1_001, currency="usd", destination=account.id,
                                  idempotency_key="payout-9-retry-1").amount == 1_001
    assert available() == 999


def test_a_transfer_from_a_charge_may_use_up_to_what_is_left_of_it(stripe_clean: StripeEmulator) -> None:
    account = express_account()
    stripe_clean.complete_onboarding(account.id)
    charge = fund_platform(5_000).latest_charge
    charge_id = charge if isinstance(charge, str) else charge.id
    stripe.Refund.create(charge=charge_id, amount=1_000)
    first = stripe.Transfer.create(amount=3_000, currency="usd", destination=account.id, source_transaction=charge_id)
    assert first.source_transaction == charge_id
    with pytest.raises(stripe.error.InvalidRequestError, match=r"remaining amount of the source transaction \(1000\)"):
        stripe.Transfer.create(amount=1_001, currency="usd", destination=account.id, source_transaction=charge_id)
    assert available() == 1_000


def test_a_transfer_in_a_currency_without_funds_is_refused(stripe_clean: StripeEmulator) -> None:
    account = express_account()
    stripe_clean.complete_onboarding(account.id)
    fund_platform(10_000, "usd")
    with pytest.raises(stripe.error.InvalidRequestError) as refused:
        stripe.Transfer.create(amount=100, currency="eur", destination=account.id)
    assert refused.value.code == "balance_insufficient"


# --- webhooks -------------------------------------------------------------------------------------


def test_account_updated_and_transfer_created_arrive_signed(
        stripe_clean: StripeEmulator, webhook_inbox: tuple[str, "queue.Queue[tuple[bytes, str]]"]) -> None:
    secret, deliveries = webhook_inbox
    account = express_account()
    link = stripe.AccountLink.create(account=account.id, refresh_url=REFRESH_URL, return_url=RETURN_URL,
                                     type="account_onboarding")
    visit(link.url, data=b"")
    updated = receive(deliveries, secret, "account.updated", account.id)
    assert updated.account == account.id  # a Connect event names the connected account
    assert updated.data.object.details_submitted is True
    assert updated.data.object.capabilities.transfers == "active"
    assert updated.data.previous_attributes.details_submitted is False

    fund_platform(3_000)
    transfer = stripe.Transfer.create(amount=2_500, currency="usd", destination=account.id)
    created = receive(deliveries, secret, "transfer.created", transfer.id)
    assert created.data.object.amount == 2_500 and created.data.object.destination == account.id
    assert created.get("account") is None  # a platform event
    assert stripe.Event.retrieve(created.id).type == "transfer.created"

    with pytest.raises(stripe.error.SignatureVerificationError):
        stripe.Webhook.construct_event(json.dumps({"id": created.id}), "t=1,v1=bad", secret)


# --- dj-stripe -------------------------------------------------------------------------------------


def test_dj_stripe_syncs_a_connected_account_and_its_transfer(stripe_clean: StripeEmulator, db: None) -> None:
    from djstripe.models import Account, Transfer

    remote = express_account()
    stripe_clean.complete_onboarding(remote.id)
    account = Account.sync_from_stripe_data(stripe.Account.retrieve(remote.id))
    assert account.type == "express" and account.charges_enabled and account.details_submitted
    assert account.djstripe_owner_account.id == stripe.Account.retrieve().id  # found through GET /v1/account

    fund_platform(4_000)
    transfer = stripe.Transfer.create(amount=3_000, currency="usd", destination=remote.id, transfer_group="c-1")
    synced = Transfer.sync_from_stripe_data(stripe.Transfer.retrieve(transfer.id, expand=["balance_transaction"]))
    assert (synced.amount, synced.destination, synced.transfer_group) == (3_000, remote.id, "c-1")
    assert synced.balance_transaction.id == transfer.balance_transaction
    assert synced.balance_transaction.stripe_data["amount"] == -3_000
