"""The Client Pro plan against the Stripe emulator, through the API, the billing page and real signed webhooks."""

import json
import re
import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from django.utils import timezone

from accounts.models import User
from devtools.webhook_setup import endpoint_path, local_endpoint
from marketplace.models import Invite, Project
from marketplace.services import invite_create
from payments import billing
from payments.models import ClientSubscription, StripeCustomer
from payments.stripe_client import sdk

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("stripe_clean")]

DECLINED_CARD = "4000000000000341"
URL = "/api/payments/subscription"


def card(number: str) -> str:
    """A PaymentMethod for a test card, made at the emulator as Stripe.js would."""
    return sdk().PaymentMethod.create(type="card", card={"number": number, "exp_month": 12, "exp_year": 2034,
                                                             "cvc": "123"}).id


def subscribe(api, payment_method: str = "pm_card_visa"):
    return api.post(URL, {"payment_method": payment_method}, format="json")


def new_project(api, **fields):
    return api.post("/api/projects", {
        "title": "Audit our payment flows", "description": "A careful review of how money moves in our app.",
        "budget_min": "1000.00", "budget_max": "2000.00", **fields}, format="json")


def invite(api, project_id: int, freelancer) -> object:
    return api.post("/api/invites", {"project_id": project_id, "freelancer_id": freelancer.pk}, format="json")


def fresh(user) -> User:
    return User.objects.get(pk=user.pk)


def subscription_at_stripe(user):
    return sdk().Subscription.retrieve(ClientSubscription.objects.get(user=user).stripe_subscription_id)


# --- subscribing ----------------------------------------------------------------------------------


def test_free_clients_see_the_plan_and_its_price(client_user, client_for):
    body = client_for(client_user).get(URL).json()
    assert body["plan"] == "free" and body["status"] == "none"
    assert (body["price"], body["currency"], body["interval"]) == ("50.00", "usd", "month")
    assert body["features"] == {"invite_only_projects": False, "invites_per_project": 5}
    assert body["plan_features"] == {"invite_only_projects": True, "invites_per_project": 50}
    assert body["renews_at"] is None and body["ends_at"] is None


def test_subscribing_with_a_card_unlocks_invite_only_projects_and_fifty_invites(client_user, client_for,
                                                                                make_user):
    api = client_for(client_user)
    response = subscribe(api)
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["plan"] == "client_pro" and body["status"] == "active" and not body["cancel_at_period_end"]
    assert body["features"] == {"invite_only_projects": True, "invites_per_project": 50}
    assert body["renews_at"] and body["ends_at"] is None

    user = fresh(client_user)
    assert user.has_client_plan
    assert timedelta(days=27) < user.client_plan_until - timezone.now() < timedelta(days=32)
    row = ClientSubscription.objects.get(user=user)
    assert row.status == "active" and row.current_period_end == user.client_plan_until
    remote = subscription_at_stripe(user)
    assert remote.status == "active"
    assert remote.customer == StripeCustomer.objects.get(user=user).stripe_customer_id
    assert remote["items"]["data"][0]["plan"]["amount"] == 5000
    assert remote["items"]["data"][0]["plan"]["currency"] == "usd"
    customer = sdk().Customer.retrieve(remote.customer)
    assert customer.invoice_settings["default_payment_method"].startswith("pm_")

    private = new_project(api, visibility="invite_only")
    assert private.status_code == 201, private.json()
    assert private.json()["visibility"] == "invite_only"
    project_id = private.json()["id"]
    freelancers = [make_user("freelancer") for _ in range(51)]
    project = Project.objects.get(pk=project_id)
    for freelancer in freelancers[:49]:  # the service the API calls, to keep the test quick
        invite_create(client=user, project=project, freelancer=freelancer)
    assert invite(api, project_id, freelancers[49]).status_code == 201
    refused = invite(api, project_id, freelancers[50])
    assert refused.status_code == 409
    assert refused.json()["error_type"] == "invite_limit"
    assert "50" in refused.json()["detail"]
    assert Invite.objects.filter(project_id=project_id).count() == 50


def test_the_plan_is_made_once_at_stripe(client_user, make_user, client_for):
    assert subscribe(client_for(client_user)).status_code == 201
    assert subscribe(client_for(make_user("client"))).status_code == 201
    plans = [plan for plan in sdk().Plan.list(limit=100).data if plan.id == billing.PLAN_ID]
    assert len(plans) == 1
    assert (plans[0].amount, plans[0].currency, plans[0].interval) == (5000, "usd", "month")


def test_subscribing_twice_is_refused_and_buys_nothing(client_user, client_for):
    api = client_for(client_user)
    assert subscribe(api).status_code == 201
    again = subscribe(api)
    assert again.status_code == 409 and again.json()["error_type"] == "already_subscribed"
    customer = StripeCustomer.objects.get(user=client_user).stripe_customer_id
    assert len(sdk().Subscription.list(customer=customer).data) == 1


def test_a_subscription_whose_answer_was_lost_is_recorded_not_bought_again(client_user, client_for):
    api = client_for(client_user)
    assert subscribe(api).status_code == 201
    ClientSubscription.objects.filter(user=client_user).delete()  # as if our answer never came back
    User.objects.filter(pk=client_user.pk).update(client_plan_until=None)
    again = subscribe(api)
    assert again.status_code == 201 and again.json()["status"] == "active"
    customer = StripeCustomer.objects.get(user=client_user).stripe_customer_id
    assert len(sdk().Subscription.list(customer=customer).data) == 1
    assert fresh(client_user).has_client_plan


def test_when_stripe_does_not_answer_nothing_is_bought(client_user, client_for, settings, stripe_emulator):
    import stripe

    api = client_for(client_user)
    settings.STRIPE_API_BASE = "http://127.0.0.1:9"
    try:
        response = subscribe(api)
    finally:
        settings.STRIPE_API_BASE = stripe.api_base = stripe_emulator.url
    assert response.status_code == 503
    assert response.json()["error_type"] == "payment_service_unavailable"
    assert fresh(client_user).client_plan_until is None


def test_without_the_plan_invite_only_projects_and_a_sixth_invite_are_refused(client_user, client_for, make_user):
    api = client_for(client_user)
    refused = new_project(api, visibility="invite_only")
    assert refused.status_code == 400
    assert refused.json()["errors"] == {"visibility": ["Invite-only projects come with the Client Pro plan."]}

    public = new_project(api)
    assert public.status_code == 201
    project_id = public.json()["id"]
    edit = api.patch(f"/api/projects/{project_id}", {"visibility": "invite_only"}, format="json")
    assert edit.status_code == 400
    assert edit.json()["errors"] == {"visibility": ["Invite-only projects come with the Client Pro plan."]}

    for _ in range(5):
        assert invite(api, project_id, make_user("freelancer")).status_code == 201
    sixth = invite(api, project_id, make_user("freelancer"))
    assert sixth.status_code == 409
    assert sixth.json()["error_type"] == "invite_limit"
    assert "5" in sixth.json()["detail"] and "Client Pro" in sixth.json()["detail"]
    assert Invite.objects.filter(project_id=project_id).count() == 5


def test_a_declined_card_gives_a_402_and_no_plan(client_user, client_for):
    api = client_for(client_user)
    response = subscribe(api, card(DECLINED_CARD))
    assert response.status_code == 402
    assert response.json()["error_type"] == "card_declined"
    assert "declined" in response.json()["detail"].lower()
    user = fresh(client_user)
    assert user.client_plan_until is None and not user.has_client_plan
    assert api.get(URL).json()["plan"] == "free"
    customer = StripeCustomer.objects.get(user=client_user).stripe_customer_id
    assert sdk().Subscription.list(customer=customer).data == []  # nothing left running at Stripe
    assert new_project(api, visibility="invite_only").status_code == 400

    # Another card works afterwards.
    assert subscribe(api).status_code == 201
    assert fresh(client_user).has_client_plan


def test_a_payment_method_that_is_not_a_card_is_refused(client_user, client_for):
    response = subscribe(client_for(client_user), "tok_visa")
    assert response.status_code == 400
    assert "payment_method" in response.json()["errors"]


# --- cancelling -----------------------------------------------------------------------------------


def test_cancelling_ends_the_plan_at_the_end_of_the_paid_month(client_user, client_for):
    api = client_for(client_user)
    assert subscribe(api).status_code == 201
    paid_until = fresh(client_user).client_plan_until

    response = api.delete(URL)
    assert response.status_code == 200
    body = response.json()
    assert body["cancel_at_period_end"] is True and body["status"] == "active" and body["plan"] == "client_pro"
    assert body["renews_at"] is None and body["ends_at"]

    user = fresh(client_user)
    assert user.has_client_plan and user.client_plan_until == paid_until
    assert ClientSubscription.objects.get(user=user).cancel_at_period_end
    remote = subscription_at_stripe(user)
    assert remote.cancel_at_period_end is True and remote.status == "active"
    assert new_project(api, visibility="invite_only").status_code == 201  # still on until then

    # Changing one's mind keeps the plan renewing.
    resumed = api.post(URL, {}, format="json")
    assert resumed.status_code == 201 and resumed.json()["cancel_at_period_end"] is False
    assert subscription_at_stripe(user).cancel_at_period_end is False


def test_cancelling_without_a_plan_is_refused(client_user, client_for):
    response = client_for(client_user).delete(URL)
    assert response.status_code == 409 and response.json()["error_type"] == "no_subscription"


def test_cancelling_immediately_ends_the_plan_now(client_user, client_for):
    api = client_for(client_user)
    assert subscribe(api).status_code == 201
    response = api.delete(f"{URL}?immediately=true")
    assert response.status_code == 200 and response.json()["status"] == "canceled"
    assert response.json()["plan"] == "free"
    assert fresh(client_user).client_plan_until is None


def test_freelancers_are_refused(freelancer_user, client_for):
    api = client_for(freelancer_user)
    assert api.get(URL).status_code == 403
    assert subscribe(api).status_code == 403
    assert api.delete(URL).status_code == 403
    assert not StripeCustomer.objects.filter(user=freelancer_user).exists()


def test_signed_out_callers_are_refused(api_client):
    assert api_client.get(URL).status_code == 401


# --- webhooks and reconciliation ------------------------------------------------------------------


class _Capture(BaseHTTPRequestHandler):
    received: list[tuple[bytes, str]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        type(self).received.append((body, self.headers.get("Stripe-Signature", "")))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def captured_events(stripe_emulator):
    """Every webhook the emulator sends during the test, signed with our endpoint's secret."""
    _Capture.received = []
    server = HTTPServer(("127.0.0.1", 0), _Capture)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    stripe_emulator.register_webhook("billing-capture", f"http://127.0.0.1:{server.server_port}/",
                                     local_endpoint().secret)
    yield _Capture.received
    stripe_emulator.unregister_webhook("billing-capture")
    server.shutdown()


def events_about(events, subscription_id: str, event_type: str | None = None, count: int = 1,
                 timeout: float = 10.0) -> list[tuple[bytes, str]]:
    """The captured events about one subscription (or its invoices), once `count` of `event_type` arrived."""
    deadline = time.monotonic() + timeout
    while True:
        mine = []
        for body, signature in list(events):
            event = json.loads(body)
            obj = event["data"]["object"]
            if subscription_id in (obj.get("id"), obj.get("subscription")):
                mine.append((body, signature))
        if event_type is None or sum(json.loads(b)["type"] == event_type for b, _ in mine) >= count:
            return mine
        if time.monotonic() > deadline:
            raise AssertionError(f"no {event_type} arrived; got {[json.loads(b)['type'] for b, _ in events]}")
        time.sleep(0.1)


def deliver(client, body: bytes, signature: str):
    return client.post(endpoint_path(local_endpoint()), data=body, content_type="application/json",
                       HTTP_STRIPE_SIGNATURE=signature)


def test_a_subscription_deleted_webhook_ends_the_plan(client, client_user, client_for, captured_events):
    api = client_for(client_user)
    assert subscribe(api).status_code == 201
    subscription_id = ClientSubscription.objects.get(user=client_user).stripe_subscription_id
    # Stripe ends the subscription on its own (say, the last renewal retry failed): only the webhook tells us.
    sdk().Subscription.cancel(subscription_id)
    assert fresh(client_user).has_client_plan

    (deleted,) = [e for e in events_about(captured_events, subscription_id, "customer.subscription.deleted")
                  if json.loads(e[0])["type"] == "customer.subscription.deleted"]
    assert deliver(client, *deleted).status_code == 200
    user = fresh(client_user)
    assert user.client_plan_until is None and not user.has_client_plan
    assert ClientSubscription.objects.get(user=user).status == "canceled"
    assert api.get(URL).json()["plan"] == "free"
    assert new_project(api, visibility="invite_only").status_code == 400


def test_webhooks_twice_and_in_reverse_order_end_the_same(client, client_user, client_for, captured_events):
    api = client_for(client_user)
    assert subscribe(api).status_code == 201
    subscription_id = ClientSubscription.objects.get(user=client_user).stripe_subscription_id
    sdk().Subscription.cancel(subscription_id)
    events = events_about(captured_events, subscription_id, "customer.subscription.deleted")
    time.sleep(1.2)  # let every event of this subscription arrive
    events = events_about(captured_events, subscription_id)
    types = {json.loads(body)["type"] for body, _ in events}
    assert {"customer.subscription.created", "customer.subscription.deleted",
            "invoice.payment_succeeded"} <= types
    for body, signature in list(reversed(events)) + events:
        assert deliver(client, body, signature).status_code == 200
    assert fresh(client_user).client_plan_until is None
    assert ClientSubscription.objects.get(user=client_user).status == "canceled"


def test_a_created_webhook_records_a_subscription_whose_answer_was_lost(client, client_user, client_for,
                                                                       captured_events):
    assert subscribe(client_for(client_user)).status_code == 201
    row = ClientSubscription.objects.get(user=client_user)
    subscription_id = row.stripe_subscription_id
    row.delete()  # as if the answer to our request never came back
    User.objects.filter(pk=client_user.pk).update(client_plan_until=None)

    for body, signature in events_about(captured_events, subscription_id, "customer.subscription.created"):
        if json.loads(body)["type"] == "customer.subscription.created":
            assert deliver(client, body, signature).status_code == 200
    assert ClientSubscription.objects.get(user=client_user).status == "active"
    assert fresh(client_user).has_client_plan


def test_a_late_event_about_an_older_subscription_leaves_the_new_plan_on(client, client_user, client_for,
                                                                          captured_events):
    api = client_for(client_user)
    assert subscribe(api).status_code == 201
    first = ClientSubscription.objects.get(user=client_user).stripe_subscription_id
    assert api.delete(f"{URL}?immediately=true").status_code == 200
    assert subscribe(api).status_code == 201
    second = ClientSubscription.objects.get(user=client_user).stripe_subscription_id
    assert second != first
    for body, signature in events_about(captured_events, first, "customer.subscription.deleted"):
        assert deliver(client, body, signature).status_code == 200
    assert fresh(client_user).has_client_plan
    assert ClientSubscription.objects.get(user=client_user).stripe_subscription_id == second


def test_reconciliation_repairs_a_lost_webhook(client_user, client_for):
    assert subscribe(client_for(client_user)).status_code == 201
    sdk().Subscription.cancel(ClientSubscription.objects.get(user=client_user).stripe_subscription_id)
    assert fresh(client_user).has_client_plan  # the webhook never reaches us
    assert billing.reconcile_subscriptions(older_than=timedelta(0)) >= 1
    assert fresh(client_user).client_plan_until is None
    assert ClientSubscription.objects.get(user=client_user).status == "canceled"


def test_the_reconcile_task_records_a_running_subscription_nobody_recorded(client_user, client_for):
    from payments.tasks import reconcile

    assert subscribe(client_for(client_user)).status_code == 201
    ClientSubscription.objects.filter(user=client_user).delete()
    User.objects.filter(pk=client_user.pk).update(client_plan_until=None)
    assert reconcile()["subscriptions_synced"] >= 1
    assert fresh(client_user).has_client_plan


# --- the billing page -----------------------------------------------------------------------------


def page(client):
    response = client.get("/settings/billing/")
    return response, response.content.decode()


def test_the_page_shows_the_plan_and_a_labelled_test_card_form(client, client_user):
    client.force_login(client_user)
    response, html = page(client)
    assert response.status_code == 200
    assert html.count("<h1") == 1
    assert "$50.00" in html and "USD a month" in html
    assert "Invite-only projects" in html and "Up to 50 invites per project" in html
    for name in ("card_number", "exp_month", "exp_year", "cvc"):
        assert re.search(rf'<label for="id_{name}">', html), name
        assert f'name="{name}"' in html
    assert "js.stripe.com" not in html  # the emulator takes the test-card form
    assert "Cancel plan" not in html


def test_the_page_form_subscribes_and_cancels_against_the_emulator(client, client_user):
    client.force_login(client_user)
    response = client.post("/settings/billing/", {"action": "subscribe", "card_number": "4242 4242 4242 4242",
                                                  "exp_month": "12", "exp_year": "2034", "cvc": "123"})
    assert response.status_code == 302 and response["Location"] == "/settings/billing/"
    assert fresh(client_user).has_client_plan
    response, html = page(client)
    assert "Active — renews on" in html and "Cancel plan" in html and 'name="card_number"' not in html
    assert "4242" not in html

    response = client.post("/settings/billing/", {"action": "cancel"}, follow=True)
    html = response.content.decode()
    assert "stays on until" in html and "Keep my plan" in html
    assert fresh(client_user).has_client_plan
    assert ClientSubscription.objects.get(user=client_user).cancel_at_period_end


def test_the_page_shows_a_declined_card_without_echoing_it(client, client_user):
    client.force_login(client_user)
    response = client.post("/settings/billing/", {"action": "subscribe", "card_number": DECLINED_CARD,
                                                  "exp_month": "12", "exp_year": "2034", "cvc": "123"})
    assert response.status_code == 402
    html = response.content.decode()
    assert "declined" in html.lower()
    assert DECLINED_CARD not in html and 'value="123"' not in html
    assert fresh(client_user).client_plan_until is None


def test_the_page_checks_the_card_fields(client, client_user):
    client.force_login(client_user)
    response = client.post("/settings/billing/", {"action": "subscribe", "card_number": "42", "exp_month": "13",
                                                  "exp_year": "2034", "cvc": ""})
    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="id_card_number_error"' in html and 'id="id_exp_month_error"' in html and 'id="id_cvc_error"' in html
    assert not StripeCustomer.objects.filter(user=client_user).exists()


def test_the_page_uses_stripe_elements_with_real_keys(client, client_user, settings):
    settings.STRIPE_API_BASE = ""
    settings.STRIPE_PUBLISHABLE_KEY = "pk_test_realkeyfortesting"
    client.force_login(client_user)
    response, html = page(client)
    assert response.status_code == 200
    assert "https://js.stripe.com/v3/" in html and "pk_test_realkeyfortesting" in html
    assert 'name="card_number"' not in html and 'name="payment_method"' in html


def test_the_elements_form_without_a_card_says_so(client, client_user, settings):
    settings.STRIPE_API_BASE = ""
    settings.STRIPE_PUBLISHABLE_KEY = "pk_test_realkeyfortesting"
    client.force_login(client_user)
    response = client.post("/settings/billing/", {"action": "subscribe", "payment_method": ""})
    assert response.status_code == 400
    assert "Enter your card details." in response.content.decode()


def test_freelancers_cannot_open_the_page(client, freelancer_user):
    client.force_login(freelancer_user)
    assert client.get("/settings/billing/").status_code == 403


def test_signed_out_visitors_are_sent_to_log_in(client):
    response = client.get("/settings/billing/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")


# --- how long the plan stays on, by Stripe's status -------------------------------------------------


@pytest.mark.parametrize(("status", "expected"), [
    ("active", "period_end"), ("trialing", "period_end"), ("past_due", "grace"), ("unpaid", None),
    ("canceled", None), ("incomplete", None), ("incomplete_expired", None), ("paused", None),
])
def test_the_plan_stays_on_while_paid_and_for_a_grace_while_a_renewal_is_retried(status, expected):
    start = timezone.now().replace(microsecond=0) - timedelta(days=2)
    end = start + timedelta(days=30)
    subscription = {"status": status, "current_period_start": int(start.timestamp()),
                    "current_period_end": int(end.timestamp())}
    until = billing._plan_until(subscription)
    assert until == {"period_end": end, "grace": start + billing.PAST_DUE_GRACE, None: None}[expected]


def test_the_period_is_read_from_the_items_in_newer_api_versions():
    end = timezone.now().replace(microsecond=0) + timedelta(days=10)
    subscription = {"status": "active", "items": {"data": [{"current_period_end": int(end.timestamp())}]}}
    assert billing._plan_until(subscription) == end
