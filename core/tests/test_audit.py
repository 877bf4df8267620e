"""The audit log: a row, with the actor and the caller's IP address, for every sensitive action, whichever
way it happens (API, pages, admin, services); and PostgreSQL refuses to change or delete a row."""

import re
from decimal import Decimal

import pyotp
import pytest
from django.core import mail
from django.db import DatabaseError, connection, transaction

from accounts.tests.factories import PASSWORD
from contracts import escrow
from contracts.tests.factories import make_contract
from core.audit import audit
from core.models import AuditEvent
from marketplace.tests.factories import make_project
from messaging.models import Violation
from messaging.services import chat_open, message_send
from payments import services as payments

pytestmark = pytest.mark.django_db

IP = "203.0.113.7"
NEW_PASSWORD = "a-brand-new-passphrase-2026"


def events(action: str, **filters: object) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action, **filters).order_by("id"))


def only(action: str, **filters: object) -> AuditEvent:
    found = events(action, **filters)
    assert len(found) == 1, f"{action}: {[(e.action, e.actor_email, e.target_id) for e in found]}"
    return found[0]


# --- signing in -----------------------------------------------------------------------------------


def test_api_login_is_recorded_with_the_ip(api_client, client_user) -> None:
    response = api_client.post("/api/auth/login", {"email": client_user.email, "password": PASSWORD},
                               format="json", REMOTE_ADDR=IP)
    assert response.status_code == 200

    event = only("login", actor=client_user)
    assert event.new_value == {"via": "api"} and event.ip_address == IP
    assert event.actor_email == client_user.email and event.target_id == str(client_user.pk)
    assert event.request_id  # the request's id, to find its log lines


def test_page_login_is_recorded(client, client_user) -> None:
    response = client.post("/login/", {"email": client_user.email, "password": PASSWORD}, REMOTE_ADDR=IP)
    assert response.status_code == 302

    event = only("login", actor=client_user)
    assert event.new_value == {"via": "page"} and event.ip_address == IP


def test_failed_logins_are_recorded_without_an_actor(api_client, client, client_user) -> None:
    api_client.post("/api/auth/login", {"email": client_user.email, "password": "wrong"}, format="json",
                    REMOTE_ADDR=IP)
    client.post("/login/", {"email": "nobody@example.com", "password": "wrong"}, REMOTE_ADDR="198.51.100.9")

    failed = events("login.failed")
    assert [(e.new_value["email"], e.ip_address, e.actor_id) for e in failed] == [
        (client_user.email, IP, None), ("nobody@example.com", "198.51.100.9", None)]
    assert not events("login")


# --- account security -----------------------------------------------------------------------------


def test_two_factor_on_and_off_are_recorded(client_for, client_user) -> None:
    api = client_for(client_user)
    setup = api.post("/api/auth/2fa/enable", REMOTE_ADDR=IP).json()
    totp = pyotp.TOTP(setup["secret"])
    assert api.post("/api/auth/2fa/verify", {"code": totp.now()}, format="json", REMOTE_ADDR=IP).status_code == 200
    enabled = only("2fa.enable", actor=client_user)
    assert enabled.old_value == {"two_factor": False} and enabled.new_value == {"two_factor": True}
    assert enabled.ip_address == IP

    import time

    code = totp.at(time.time() + totp.interval)
    assert api.post("/api/auth/2fa/disable", {"code": code}, format="json", REMOTE_ADDR=IP).status_code == 200
    disabled = only("2fa.disable", actor=client_user)
    assert disabled.new_value == {"two_factor": False} and disabled.ip_address == IP


def test_password_change_and_reset_are_recorded(client_for, api_client, client_user,
                                                django_capture_on_commit_callbacks) -> None:
    api = client_for(client_user)
    changed = api.post("/api/auth/change-password", {"current_password": PASSWORD, "new_password": NEW_PASSWORD},
                       format="json", REMOTE_ADDR=IP)
    assert changed.status_code == 200, changed.json()
    assert only("password.change", actor=client_user).ip_address == IP

    with django_capture_on_commit_callbacks(execute=True):
        api_client.post("/api/auth/password-reset", {"email": client_user.email}, format="json")
    token = re.search(r"/password-reset/confirm/([^/\s]+)/", mail.outbox[-1].body).group(1)
    reset = api_client.post("/api/auth/password-reset/confirm", {"token": token, "new_password": PASSWORD + "-2"},
                            format="json", REMOTE_ADDR="198.51.100.20")
    assert reset.status_code == 200, reset.json()
    assert only("password.reset", actor=client_user).ip_address == "198.51.100.20"


def test_email_change_is_recorded_with_old_and_new(client_for, client_user) -> None:
    old = client_user.email
    response = client_for(client_user).patch("/api/auth/me", {"email": "moved@example.com",
                                                               "current_password": PASSWORD},
                                             format="json", REMOTE_ADDR=IP)
    assert response.status_code == 200, response.json()

    event = only("email.change", actor=client_user)
    assert event.old_value == {"email": old} and event.new_value == {"email": "moved@example.com"}
    assert event.ip_address == IP


def test_suspension_from_the_admin_is_recorded_with_the_staff_member(client, staff_user, freelancer_user) -> None:
    client.force_login(staff_user)
    response = client.post("/admin/accounts/user/", {"action": "suspend", "_selected_action": [freelancer_user.pk]},
                           REMOTE_ADDR=IP)
    assert response.status_code == 302

    event = only("user.suspend", target_id=str(freelancer_user.pk))
    assert event.actor == staff_user and event.ip_address == IP
    assert event.old_value == {"is_active": True}


# --- money and disputes ---------------------------------------------------------------------------


def test_money_movements_are_recorded(client_user, freelancer_user) -> None:
    contract = make_contract(client_user, freelancer_user)
    payment, created = payments.funding_record(payer=client_user, payment_intent_id="pi_audit_1", amount_minor=50000,
                                               currency="usd", contract_id=contract.pk, milestone_id=1,
                                               description="Funding for the audit")
    assert created
    again, created_again = payments.funding_record(payer=client_user, payment_intent_id="pi_audit_1",
                                                   amount_minor=50000, currency="usd", contract_id=contract.pk,
                                                   milestone_id=1, description="Funding for the audit")
    assert not created_again and again.pk == payment.pk

    event = only("money.funding")  # once, however often the same funding is reported
    assert event.target_type == "payments.LedgerTransaction"
    assert event.new_value["amount"] == 50000 and event.new_value["currency"] == "usd"
    assert event.new_value["reference"] == "funding:pi_audit_1" and event.new_value["contract_id"] == contract.pk


@pytest.fixture
def _stripe_settings(settings, stripe_clean) -> None:
    settings.STRIPE_API_BASE = stripe_clean.url


@pytest.mark.usefixtures("_stripe_settings")
def test_dispute_resolution_is_recorded(client_for, client_user, freelancer_user, staff_user) -> None:
    from tests.helpers.money import add_milestone, fund

    contract = make_contract(client_user, freelancer_user)
    client_api = client_for(client_user)
    milestone_id = add_milestone(client_api, contract.pk, "300.00")["id"]
    assert fund(client_api, milestone_id).status_code == 200
    milestone = contract.milestones.get(pk=milestone_id)
    dispute = escrow.dispute_open(contract=contract, milestone=milestone, by=client_user, reason="Nothing arrived.")

    escrow.dispute_resolve(dispute=dispute, by=staff_user, resolution="split", freelancer_amount=Decimal("100.00"),
                           note="Half done.")

    event = only("dispute.resolve")
    assert event.actor == staff_user and event.target_id == str(dispute.pk)
    assert event.new_value == {"resolution": "split", "freelancer_amount": "100.00"}
    kinds = [e.action for e in AuditEvent.objects.filter(action__startswith="money.").order_by("id")]
    # The client's share goes back through Stripe first; its booking releases the freelancer's share.
    assert kinds == ["money.funding", "money.refund", "money.release"]


# --- staff actions in the admin -------------------------------------------------------------------


def test_staff_admin_actions_are_recorded(client, staff_user, client_user, freelancer_user) -> None:
    chat = chat_open(user=client_user, participant=freelancer_user)[0]
    message_send(chat=chat, sender=freelancer_user, content="Write me at bea@example.com instead", client_id="")
    message_send(chat=chat, sender=freelancer_user, content="Or call +31 20 123 4567", client_id="")
    first, second = Violation.objects.order_by("id")
    project = make_project(client_user)
    client.force_login(staff_user)

    client.post("/admin/messaging/violation/", {"action": "dismiss", "_selected_action": [first.pk]},
                REMOTE_ADDR=IP)
    client.post("/admin/messaging/violation/", {"action": "warn", "_selected_action": [second.pk]}, REMOTE_ADDR=IP)
    client.post("/admin/marketplace/project/", {"action": "feature", "_selected_action": [project.pk]},
                REMOTE_ADDR=IP)

    dismissed = only("violation.dismiss")
    warned = only("violation.warn")
    featured = only("project.feature")
    for event in (dismissed, warned, featured):
        assert event.actor == staff_user and event.ip_address == IP
    assert dismissed.target_id == str(first.pk) and warned.target_id == str(second.pk)
    assert featured.old_value == {"is_featured": False} and featured.new_value == {"is_featured": True}


# --- the log cannot be rewritten ------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_postgresql_refuses_to_change_or_delete_an_audit_event(client_user) -> None:
    event = audit("test.event", target=client_user, actor=client_user, new={"x": 1})

    with pytest.raises(DatabaseError, match="never changed or deleted"), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(action="tampered")
    with pytest.raises(DatabaseError, match="never changed or deleted"), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).delete()
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE core_auditevent SET actor_email = 'someone@else' WHERE id = %s", [event.pk])

    event.refresh_from_db()
    assert event.action == "test.event" and event.actor_email == client_user.email
    assert AuditEvent.objects.filter(pk=event.pk).exists()
