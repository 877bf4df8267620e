"""The fraud checks on a crafted set of accounts and payments: each rule fires for its case and not for a clean
one, scores are the sums worked out by hand (RISK_POINTS: sign-ups from one address 30, from one device 30,
many cards 25, declined cards 20, card from abroad 20, contact attempts 20, a new account moving a large amount
35; a case at 50), a high score holds the payout until staff clear it, and every decision is audited.

Sign-ups go through the API from the addresses and devices given; cards are paid and declined at the Stripe
emulator, whose cards all say they were issued in FR."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.utils import timezone

from accounts.models import User
from contracts.tests.factories import make_contract
from core.models import AuditEvent
from messaging.services import chat_open, message_send
from payments.models import Payment, Payout
from payments.payouts import payouts_send
from risk.models import AccountRisk, PaymentRisk, RiskCase, RiskSignal
from tests.helpers.money import DECLINED_CARD, add_milestone, card, fund, payout_account_ready, submit, transfers_to

# Real commits: the checks run after the commit of what they look at, as they do in production.
pytestmark = pytest.mark.django_db(transaction=True)
PASSWORD = "A-long-passphrase-2026"
_serial = iter(range(1, 10_000))


def register(api_client, *, ip: str, device: str, user_type: str = "freelancer") -> User:
    n = next(_serial)
    response = api_client.post("/api/auth/register", {
        "email": f"member{n}@example.com", "password": PASSWORD, "first_name": "Member", "last_name": str(n),
        "user_type": user_type}, format="json", REMOTE_ADDR=ip, HTTP_X_DEVICE_ID=device)
    assert response.status_code == 201, response.json()
    return User.objects.get(pk=response.json()["id"])


def risk_of(user: User) -> tuple[int, list[str]]:
    row = AccountRisk.objects.filter(user=user).first()
    return (row.score, [reason["rule"] for reason in row.reasons]) if row else (0, [])


def as_from(client_for, user: User, *, ip: str, device: str):
    """An API client signed in as `user`, whose requests come from `ip` and `device`."""
    api = client_for(user)
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {api.tokens['access_token']}", REMOTE_ADDR=ip,
                    HTTP_X_DEVICE_ID=device)
    return api


# --- sign-ups ---------------------------------------------------------------------------------------


def test_many_sign_ups_from_one_address(api_client):
    crowd = [register(api_client, ip="203.0.113.7", device=f"device-ip-{n:04d}") for n in range(4)]
    alone = register(api_client, ip="198.51.100.2", device="device-alone-01")
    for user in crowd:  # the first three are looked at again when the fourth arrives
        score, rules = risk_of(user)
        assert (score, rules) == (30, ["signup_ip"])
    detail = AccountRisk.objects.get(user=crowd[-1]).reasons[0]
    assert detail == {"rule": "signup_ip", "points": 30,
                      "detail": "4 accounts signed up from the address 203.0.113.7 within 24 hours."}
    assert risk_of(alone) == (0, [])
    assert not RiskCase.objects.exists()  # 30 is under the case threshold of 50


def test_three_sign_ups_from_one_address_are_allowed(api_client):
    for n in range(3):
        user = register(api_client, ip="203.0.113.8", device=f"device-three-{n:02d}")
    assert risk_of(user) == (0, [])


def test_many_sign_ups_from_one_device(api_client):
    same = [register(api_client, ip=f"198.51.100.{n}", device="device-shared-0001") for n in range(10, 13)]
    other = register(api_client, ip="198.51.100.20", device="device-other-0001")
    assert risk_of(same[-1]) == (30, ["signup_device"])
    assert risk_of(other) == (0, [])


def test_one_address_and_one_device_together_open_cases(api_client):
    crowd = [register(api_client, ip="203.0.113.9", device="device-farm-0001") for _ in range(4)]
    assert risk_of(crowd[-1]) == (60, ["signup_ip", "signup_device"])  # 30 + 30
    case = RiskCase.objects.get(user=crowd[-1])
    assert case.status == "open" and case.score == 60
    assert [reason["rule"] for reason in case.reasons] == ["signup_ip", "signup_device"]
    assert AuditEvent.objects.filter(action="risk.case_open", target_id=str(case.pk)).count() == 1
    assert RiskCase.objects.filter(status="open").count() == 4  # each of them, once


# --- cards ------------------------------------------------------------------------------------------


@pytest.fixture
def stripe(stripe_clean):
    return stripe_clean


def test_many_cards_from_one_device_and_cards_from_abroad(stripe, client_for, make_user, freelancer_user):
    payer = make_user("client", country="US")
    api = as_from(client_for, payer, ip="192.0.2.10", device="device-cards-0001")
    contract = make_contract(payer, freelancer_user)
    numbers = ["4242424242424242", "4000056655665556", "5555555555554444", "5200828282828210"]
    for number in numbers:
        milestone = add_milestone(api, contract.pk, "100.00", title=f"Part {number[-4:]}")
        assert fund(api, milestone["id"], card(number)).status_code == 200
    signals = RiskSignal.objects.filter(user=payer, kind="card")
    assert signals.count() == 4 and {s.card_country for s in signals} == {"FR"}
    assert {(s.ip_address, s.device_id) for s in signals} == {("192.0.2.10", "device-cards-0001")}
    # 4 cards from one device (more than 3): 25; cards issued in FR for a US profile: 20.
    assert risk_of(payer) == (45, ["card_velocity", "card_country"])
    reasons = AccountRisk.objects.get(user=payer).reasons
    assert reasons[0]["detail"] == "4 different cards were used from one address or device within 24 hours."
    assert reasons[1]["detail"] == "Cards issued in FR; the profile says US."
    funding = Payment.objects.filter(user=payer, kind="funding").order_by("pk").last()
    assert PaymentRisk.objects.get(payment=funding).score == 45


def test_one_card_from_the_profile_s_country_is_clean(stripe, client_for, make_user, freelancer_user):
    payer = make_user("client", country="FR")
    api = as_from(client_for, payer, ip="192.0.2.11", device="device-clean-0001")
    milestone = add_milestone(api, make_contract(payer, freelancer_user).pk, "100.00")
    assert fund(api, milestone["id"], card("4242424242424242")).status_code == 200
    assert RiskSignal.objects.filter(user=payer, kind="card").count() == 1
    assert risk_of(payer) == (0, [])


def test_declined_cards(stripe, client_for, make_user, freelancer_user):
    payer = make_user("client", country="")  # no country given: the card's country proves nothing
    api = as_from(client_for, payer, ip="192.0.2.12", device="device-declined-01")
    milestone = add_milestone(api, make_contract(payer, freelancer_user).pk, "100.00")
    declined = card(DECLINED_CARD)
    for attempt in range(3):
        assert fund(api, milestone["id"], declined).status_code == 402
        if attempt == 1:
            assert risk_of(payer) == (0, [])  # two declines are not yet a pattern
    assert RiskSignal.objects.filter(user=payer, kind="card_declined").count() == 3
    assert risk_of(payer) == (20, ["failed_cards"])


# --- off-platform contact ------------------------------------------------------------------------------


def test_contact_details_before_a_contract(client_user, freelancer_user, make_user):
    chat, _ = chat_open(user=client_user, participant=freelancer_user)
    message_send(chat=chat, sender=freelancer_user, content="Mail me at fay@example.com")
    assert risk_of(freelancer_user) == (0, [])  # one attempt
    message_send(chat=chat, sender=freelancer_user, content="Or call +44 20 7946 0958")
    assert risk_of(freelancer_user) == (20, ["off_platform_contact"])
    assert risk_of(client_user) == (0, [])


# --- payouts ----------------------------------------------------------------------------------------


def _release(client_api, freelancer_api, contract_id: int, amount: str, django_capture_on_commit_callbacks):
    milestone = add_milestone(client_api, contract_id, amount)
    assert fund(client_api, milestone["id"]).status_code == 200
    assert submit(freelancer_api, milestone["id"]).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        assert client_api.post(f"/api/milestones/{milestone['id']}/approve").status_code == 200
    return Payment.objects.get(kind="release", milestone_id=milestone["id"])


def test_a_high_score_holds_the_payout_until_staff_clear_it(stripe, api_client, client_for, make_user, client,
                                                            staff_user, django_capture_on_commit_callbacks):
    # The freelancer signed up from an address three other accounts signed up from (30), today.
    for n in range(3):
        register(api_client, ip="203.0.113.50", device=f"device-payee-{n:03d}")
    payee = register(api_client, ip="203.0.113.50", device="device-payee-main")
    assert risk_of(payee) == (30, ["signup_ip"])
    payer = make_user("client", country="FR")
    contract = make_contract(payer, payee)
    account = payout_account_ready(stripe, payee)

    # 1,200.00 released, 1,080.00 to the new account (at least 1,000: 35): 65, a case, the payout held.
    release = _release(client_for(payer), client_for(payee), contract.pk, "1200.00",
                       django_capture_on_commit_callbacks)
    release.refresh_from_db()
    assert release.amount == 108000 and release.payout_status == "held"
    assert Payout.objects.get(payment=release).status == "held"
    assert transfers_to(account.stripe_account_id) == []
    assert PaymentRisk.objects.get(payment=release).score == 65
    case = RiskCase.objects.get(user=payee)
    assert case.status == "open" and case.score == 65 and case.payment == release
    assert [(r["rule"], r["points"]) for r in case.reasons] == [("signup_ip", 30), ("new_account_large_amount", 35)]
    assert "1080.00 USD" in case.reasons[1]["detail"]
    # The client's own 1,200.00 from a new account: 35, under the threshold.
    funding = Payment.objects.get(kind="funding", user=payer)
    assert PaymentRisk.objects.get(payment=funding).score == 35

    # Trying again changes nothing: still held, still no transfer.
    assert payouts_send(user_id=payee.pk).held_for_review == 1
    assert Payout.objects.get(payment=release).status == "held"
    assert transfers_to(account.stripe_account_id) == []

    # Staff clear the case in the admin: the payout is transferred, once, and the decision audited.
    client.force_login(staff_user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/admin/risk/riskcase/", {"action": "clear", "_selected_action": [case.pk]})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == "cleared" and case.decided_by == staff_user
    assert Payout.objects.get(payment=release).status == "paid"
    assert [(t["amount"], t["currency"]) for t in transfers_to(account.stripe_account_id)] == [(108000, "usd")]
    decision = AuditEvent.objects.get(action="risk.case_clear", target_id=str(case.pk))
    assert decision.actor == staff_user and decision.new_value["status"] == "cleared"
    # The same facts do not hold the account's payouts again.
    assert payouts_send(user_id=payee.pk).held_for_review == 0
    assert RiskCase.objects.filter(user=payee, status="open").count() == 0


def test_a_clean_payout_goes_through(stripe, client_for, make_user, django_capture_on_commit_callbacks):
    payee = make_user("freelancer")
    User.objects.filter(pk=payee.pk).update(date_joined=timezone.now() - timedelta(days=30))
    payer = make_user("client", country="FR")
    account = payout_account_ready(stripe, payee)
    release = _release(client_for(payer), client_for(payee), make_contract(payer, payee).pk, "1200.00",
                       django_capture_on_commit_callbacks)
    assert Payout.objects.get(payment=release).status == "paid"
    assert [t["amount"] for t in transfers_to(account.stripe_account_id)] == [108000]
    assert PaymentRisk.objects.get(payment=release).score == 0  # 30 days old: not new
    assert not RiskCase.objects.exists()


def test_confirming_fraud_suspends_the_account_and_keeps_payouts_held(api_client, client, staff_user):
    crowd = [register(api_client, ip="203.0.113.60", device="device-fraud-0001") for _ in range(4)]
    suspect = crowd[-1]
    case = RiskCase.objects.get(user=suspect)
    client.force_login(staff_user)
    response = client.post("/admin/risk/riskcase/", {"action": "confirm_fraud", "_selected_action": [case.pk]})
    assert response.status_code == 302
    case.refresh_from_db()
    suspect.refresh_from_db()
    assert case.status == "fraud" and suspect.is_active is False
    assert AuditEvent.objects.filter(action="risk.case_fraud", target_id=str(case.pk), actor=staff_user).exists()
    assert AuditEvent.objects.filter(action="user.suspend", target_id=str(suspect.pk)).exists()
    from risk.services import payout_hold_reason

    assert "fraud was confirmed" in payout_hold_reason(suspect.pk)

    # A decided case cannot be decided again: clearing it now is refused and changes nothing.
    events = AuditEvent.objects.count()
    response = client.post("/admin/risk/riskcase/", {"action": "clear", "_selected_action": [case.pk]})
    assert any("already decided" in str(m) for m in get_messages(response.wsgi_request))
    case.refresh_from_db()
    assert case.status == "fraud" and AuditEvent.objects.count() == events


def test_the_thresholds_are_settings(settings, api_client):
    settings.RISK_SIGNUPS_PER_IP = 1
    first = register(api_client, ip="203.0.113.70", device="device-set-0001")
    second = register(api_client, ip="203.0.113.70", device="device-set-0002")
    assert risk_of(second) == (30, ["signup_ip"]) and risk_of(first) == (30, ["signup_ip"])
    assert Decimal(settings.RISK_LARGE_AMOUNT) == Decimal("1000")


def test_payments_stripe_reports_failed_later_count_once_each(stripe, make_user):
    """A payment whose failure Stripe reports by webhook (`payment_intent.payment_failed`, as payments relays
    it): each failed PaymentIntent counts once, however often the event is delivered."""
    import stripe as stripe_sdk_module

    from payments import signals as payment_signals
    from payments.customers import customer_id_for
    from payments.services import payment_intent_retrieve
    from payments.stripe_client import sdk

    payer = make_user("client")
    customer = customer_id_for(payer)
    declined = card(DECLINED_CARD)
    for _ in range(3):
        intent = sdk().PaymentIntent.create(amount=5000, currency="usd", customer=customer, payment_method=declined,
                                            payment_method_types=["card"])
        with pytest.raises(stripe_sdk_module.CardError):
            sdk().PaymentIntent.confirm(intent.id)
        failed = payment_intent_retrieve(intent.id)
        assert failed.status != "succeeded"
        for _delivery in range(2):
            payment_signals.payment_intent_failed.send(sender=None, payment_intent=failed,
                                                       error_message="Your card was declined.")
    assert RiskSignal.objects.filter(user=payer, kind="card_declined").count() == 3
    assert risk_of(payer) == (20, ["failed_cards"])
