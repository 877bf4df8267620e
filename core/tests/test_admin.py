"""The admin that runs the platform: every action does what its service does (money through the Stripe
emulator), every changelist answers, and changelists cost the same number of queries for 5 rows or 50."""

from decimal import Decimal

import pytest
from django.contrib import admin
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from contracts import escrow
from contracts.models import Dispute, Milestone
from contracts.tests.factories import make_contract
from core.audit import audit
from core.models import AuditEvent
from discovery.services import saved_search_create
from marketplace.tests.factories import make_project
from messaging.models import Notification, NotificationKind, Violation
from messaging.services import block_set, chat_open, message_send
from payments import services as payments
from payments.models import ConnectedAccount, LedgerAccount, Payment, Payout
from support import services as support
from tests.helpers.money import add_milestone, assert_ledger_balanced, balance, escrow_of, fund

pytestmark = pytest.mark.django_db


@pytest.fixture
def stripe(settings, stripe_clean):
    settings.STRIPE_API_BASE = stripe_clean.url
    return stripe_clean


@pytest.fixture
def staff(client, staff_user):
    client.force_login(staff_user)
    return client


def run_action(client, model: str, action: str, ids: list[int], **extra: object):
    app, name = model.split(".")
    return client.post(f"/admin/{app}/{name}/", {"action": action, "_selected_action": ids, **extra})


def shown_messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


@pytest.fixture
def contract(client_user, freelancer_user):
    return make_contract(client_user, freelancer_user)


@pytest.fixture
def funded(stripe, client_for, client_user, contract):
    """A milestone of 400.00 paid into escrow through the emulator."""
    api = client_for(client_user)
    milestone_id = add_milestone(api, contract.pk, "400.00")["id"]
    assert fund(api, milestone_id).status_code == 200
    return Milestone.objects.get(pk=milestone_id)


@pytest.fixture
def dispute(funded, client_user):
    return escrow.dispute_open(contract=funded.contract, milestone=funded, by=client_user,
                               reason="The work never arrived.")


# --- accounts -------------------------------------------------------------------------------------


def test_suspending_ends_the_accounts_tokens_and_is_audited(staff, staff_user, client_for, freelancer_user) -> None:
    api = client_for(freelancer_user)
    assert api.get("/api/auth/me").status_code == 200

    response = run_action(staff, "accounts.user", "suspend", [freelancer_user.pk, staff_user.pk])
    assert response.status_code == 302

    freelancer_user.refresh_from_db()
    staff_user.refresh_from_db()
    assert freelancer_user.is_active is False and staff_user.is_active is True  # nobody suspends themselves
    assert api.get("/api/auth/me").status_code == 401
    assert api.post("/api/auth/refresh", {"refresh_token": api.tokens["refresh_token"]},
                    format="json").status_code == 401
    assert AuditEvent.objects.filter(action="user.suspend", actor=staff_user,
                                     target_id=str(freelancer_user.pk)).count() == 1

    run_action(staff, "accounts.user", "reactivate", [freelancer_user.pk])
    freelancer_user.refresh_from_db()
    assert freelancer_user.is_active is True


# --- disputes and refunds -------------------------------------------------------------------------


def test_resolving_a_dispute_by_release_pays_the_freelancer(staff, staff_user, dispute, freelancer_user) -> None:
    contract_id = dispute.contract_id
    assert escrow_of(contract_id) == Decimal("400.00")

    response = run_action(staff, "contracts.dispute", "resolve_release", [dispute.pk])
    assert response.status_code == 302
    assert any("1 dispute resolved" in text for text in shown_messages(response))

    dispute.refresh_from_db()
    assert dispute.status == "resolved" and dispute.resolution == "release" and dispute.resolved_by == staff_user
    assert Milestone.objects.get(pk=dispute.milestone_id).status == "released"
    assert escrow_of(contract_id) == 0
    release = Payment.objects.get(user=freelancer_user, kind="release")
    assert release.amount == 36000 and release.payout_status == "held"  # 400.00 less the 10% fee
    assert dispute.contract.__class__.objects.get(pk=contract_id).status == "active"
    assert_ledger_balanced()

    # A second try is refused by the service and said so, nothing moves twice.
    again = run_action(staff, "contracts.dispute", "resolve_refund", [dispute.pk])
    assert any("already resolved" in text for text in shown_messages(again))
    assert not Payment.objects.filter(kind="refund").exists()


def test_resolving_a_dispute_by_refund_returns_the_money(staff, dispute, client_user) -> None:
    run_action(staff, "contracts.dispute", "resolve_refund", [dispute.pk])

    dispute.refresh_from_db()
    assert dispute.resolution == "refund"
    assert Milestone.objects.get(pk=dispute.milestone_id).status == "refunded"
    refund = Payment.objects.get(user=client_user, kind="refund")
    assert refund.amount == 40000 and refund.stripe_refund
    assert escrow_of(dispute.contract_id) == 0
    assert_ledger_balanced()


def test_a_split_asks_for_the_freelancers_amount_first(staff, dispute, client_user, freelancer_user) -> None:
    page = run_action(staff, "contracts.dispute", "resolve_split", [dispute.pk])
    assert page.status_code == 200
    html = page.content.decode()
    assert "Freelancer&#x27;s part" in html or "Freelancer's part" in html
    assert "400.00 USD" in html and 'name="freelancer_amount"' in html
    dispute.refresh_from_db()
    assert dispute.status == "open"  # nothing happened yet

    too_much = run_action(staff, "contracts.dispute", "resolve_split", [dispute.pk], apply="yes",
                          freelancer_amount="400.00", note="")
    assert too_much.status_code == 200  # the page again, with the service's refusal
    assert any("between 0 and 400.00" in text for text in shown_messages(too_much))
    dispute.refresh_from_db()
    assert dispute.status == "open"

    done = run_action(staff, "contracts.dispute", "resolve_split", [dispute.pk], apply="yes",
                      freelancer_amount="150.00", note="Half of it was delivered.")
    assert done.status_code == 302
    dispute.refresh_from_db()
    assert dispute.resolution == "split" and dispute.freelancer_amount == Decimal("150.00")
    assert dispute.resolution_note == "Half of it was delivered."
    assert Payment.objects.get(user=freelancer_user, kind="release").amount == 13500
    assert Payment.objects.get(user=client_user, kind="refund").amount == 25000
    assert escrow_of(dispute.contract_id) == 0
    assert_ledger_balanced()


def test_a_split_takes_one_dispute_at_a_time(staff, funded, client_for, client_user) -> None:
    api = client_for(client_user)
    second_id = add_milestone(api, funded.contract_id, "50.00", title="Second part")["id"]
    assert fund(api, second_id).status_code == 200
    disputes = [escrow.dispute_open(contract=funded.contract, milestone=milestone, by=client_user,
                                    reason="Missing.") for milestone in Milestone.objects.order_by("id")]

    response = run_action(staff, "contracts.dispute", "resolve_split", [d.pk for d in disputes])
    assert response.status_code == 302
    assert any("one dispute at a time" in text for text in shown_messages(response))
    assert Dispute.objects.filter(status="open").count() == 2


def test_refunding_a_milestone_from_the_admin(staff, staff_user, funded, client_user) -> None:
    response = run_action(staff, "contracts.milestone", "refund_to_client", [funded.pk])
    assert response.status_code == 302

    funded.refresh_from_db()
    assert funded.status == "refunded"
    assert Payment.objects.get(user=client_user, kind="refund").amount == 40000
    assert escrow_of(funded.contract_id) == 0
    assert AuditEvent.objects.filter(action="milestone.refund", actor=staff_user).count() == 1

    again = run_action(staff, "contracts.milestone", "refund_to_client", [funded.pk])
    assert any("Only funded milestones" in text for text in shown_messages(again))
    assert Payment.objects.filter(kind="refund").count() == 1


# --- payouts --------------------------------------------------------------------------------------


def test_retrying_held_payouts_transfers_them(staff, staff_user, stripe, funded, client_for, client_user,
                                             freelancer_user) -> None:
    escrow.milestone_submit(milestone=funded, by=freelancer_user, note="Done.", files=[])
    escrow.milestone_approve(milestone=funded, by=client_user)
    payout = Payout.objects.get(user=freelancer_user)
    assert payout.status == "held"

    nothing = run_action(staff, "payments.payout", "retry_held_payouts", [payout.pk])
    assert any("nothing was sent" in text for text in shown_messages(nothing))

    account = payments.connect_account_for(freelancer_user)
    stripe.complete_onboarding(account.stripe_account_id)
    ConnectedAccount.objects.filter(pk=account.pk).update(details_submitted=True, transfers_active=True)

    response = run_action(staff, "payments.payment", "retry_held_payouts",
                          list(Payment.objects.filter(kind="release").values_list("pk", flat=True)))
    assert response.status_code == 302
    payout.refresh_from_db()
    assert payout.status == "paid" and payout.stripe_transfer_id
    assert Payment.objects.get(kind="release").payout_status == "paid"
    assert balance(LedgerAccount.FREELANCER_PAYABLE, user=freelancer_user) == 0
    retries = AuditEvent.objects.filter(action="payout.retry", actor=staff_user).order_by("id")
    assert [e.new_value["sent"] for e in retries] == [0, 1]


def test_retrying_a_payout_while_stripe_is_unreachable_says_so_and_keeps_it_held(
        staff, staff_user, stripe, funded, client_user, freelancer_user, settings) -> None:
    import stripe as stripe_sdk

    from payments.models import LedgerTransaction, PaymentOperation
    from tests.helpers.stripe_emulator import _free_port

    escrow.milestone_submit(milestone=funded, by=freelancer_user, note="Done.", files=[])
    escrow.milestone_approve(milestone=funded, by=client_user)
    payout = Payout.objects.get(user=freelancer_user)
    account = payments.connect_account_for(freelancer_user)
    stripe.complete_onboarding(account.stripe_account_id)
    ConnectedAccount.objects.filter(pk=account.pk).update(details_submitted=True, transfers_active=True)
    payouts_before = LedgerTransaction.objects.filter(kind="payout").count()

    saved = stripe_sdk.api_base
    settings.STRIPE_API_BASE = f"http://127.0.0.1:{_free_port()}"  # nothing listens there: refused
    settings.STRIPE_MAX_NETWORK_RETRIES = 0
    try:
        response = run_action(staff, "payments.payout", "retry_held_payouts", [payout.pk])
    finally:
        stripe_sdk.api_base = saved
    assert response.status_code == 302
    assert any("not answering" in text for text in shown_messages(response)), shown_messages(response)
    payout.refresh_from_db()
    assert (payout.status, payout.stripe_transfer_id, payout.paid_at) == ("held", "", None)
    assert Payment.objects.get(kind="release").payout_status == "held"
    assert LedgerTransaction.objects.filter(kind="payout").count() == payouts_before == 0
    assert balance(LedgerAccount.FREELANCER_PAYABLE, user=freelancer_user) == -36000  # 400.00 less 10%
    assert PaymentOperation.objects.get(kind="transfer").status == "unknown"
    retry = AuditEvent.objects.get(action="payout.retry", actor=staff_user)
    assert (retry.new_value["sent"], retry.new_value["unavailable"]) == (0, 1)


# --- moderation -----------------------------------------------------------------------------------


@pytest.fixture
def violations(make_user, freelancer_user):
    """Contact details a freelancer sent to a client they have no contract with: masked, kept for review."""
    chat = chat_open(user=make_user("client"), participant=freelancer_user)[0]
    message_send(chat=chat, sender=freelancer_user, content="Mail me: bea@example.com")
    message_send(chat=chat, sender=freelancer_user, content="Call me on +44 20 7946 0958")
    return list(Violation.objects.order_by("id"))


def test_violations_are_dismissed_or_warned(staff, staff_user, violations, freelancer_user) -> None:
    first, second = violations
    run_action(staff, "messaging.violation", "dismiss", [first.pk])
    run_action(staff, "messaging.violation", "warn", [second.pk])

    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.resolution, first.reviewed_by, first.reviewed_at is not None) == ("dismissed", staff_user, True)
    assert (second.resolution, second.reviewed_by, second.reviewed_at is not None) == ("warned", staff_user, True)
    warning = Notification.objects.get(user=freelancer_user, kind=NotificationKind.SECURITY)
    assert "warning" in warning.title.lower()
    assert AuditEvent.objects.filter(action="violation.dismiss", target_id=str(first.pk)).count() == 1
    assert AuditEvent.objects.filter(action="violation.warn", target_id=str(second.pk)).count() == 1

    # Reviewed once: a second decision is refused and changes nothing.
    again = run_action(staff, "messaging.violation", "warn", [first.pk])
    assert any("Already reviewed" in text for text in shown_messages(again))
    first.refresh_from_db()
    assert first.resolution == "dismissed"


def test_featuring_a_project_is_audited(staff, staff_user, client_user) -> None:
    project = make_project(client_user)
    run_action(staff, "marketplace.project", "feature", [project.pk])
    project.refresh_from_db()
    assert project.is_featured
    assert AuditEvent.objects.filter(action="project.feature", actor=staff_user, target_id=str(project.pk)).exists()


def test_the_audit_log_is_read_only_and_searchable(staff, staff_user, client_user) -> None:
    audit("login", target=client_user, actor=client_user, ip="192.0.2.44")
    audit("password.change", target=client_user, actor=client_user, ip="192.0.2.45")
    model_admin = admin.site._registry[AuditEvent]
    request = staff.get("/admin/").wsgi_request
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request)
    assert not model_admin.has_delete_permission(request)
    assert "delete_selected" not in model_admin.get_actions(request)

    users = AuditEvent.objects.filter(target_type="accounts.User").count()  # the staff member's login too
    for term, expected in (("password.change", 1), (client_user.email, 2), ("192.0.2.44", 1),
                           ("accounts.User", users)):
        response = staff.get("/admin/core/auditevent/", {"q": term})
        assert response.status_code == 200
        assert response.context["cl"].result_count == expected, term
    event = AuditEvent.objects.first()
    assert staff.get(f"/admin/core/auditevent/{event.pk}/change/").status_code == 200
    assert staff.post(f"/admin/core/auditevent/{event.pk}/delete/").status_code == 403


# --- every changelist -----------------------------------------------------------------------------


@pytest.fixture
def platform(dispute, client_user, freelancer_user, staff_user, violations):
    """A bit of everything, made through the services, so that every changelist has rows to show."""
    contract = dispute.contract
    api_milestone = escrow.milestone_create(contract=contract, by=client_user,
                                            data={"title": "Second part", "amount": Decimal("100.00")})
    chat = chat_open(user=client_user, participant=freelancer_user)[0]
    block_set(user=client_user, other=staff_user, blocked=True)
    ticket = support.ticket_open(user=client_user, subject="Help", message="Where is my invoice?")
    support.ticket_reply(ticket=ticket, author=staff_user, body="In the payments page.")
    audit("test.event", target=contract, actor=staff_user)
    saved_search_create(user=freelancer_user, name="Django work", params={"skills": ["Django"]}, alert="daily")
    return {"contract": contract, "milestone": api_milestone, "chat": chat, "ticket": ticket}


def test_every_changelist_and_our_change_pages_answer(staff, platform) -> None:
    failures = []
    for model, model_admin in admin.site._registry.items():
        meta = model._meta
        url = reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist")
        response = staff.get(url)
        if response.status_code != 200:
            failures.append((url, response.status_code))
            continue
        if meta.app_label in ("core", "accounts", "messaging", "payments", "marketplace", "contracts", "discovery"):
            first = model_admin.get_queryset(response.wsgi_request).first()
            if first is not None:
                change = staff.get(reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[first.pk]))
                if change.status_code != 200:
                    failures.append((change.request["PATH_INFO"], change.status_code))
    assert not failures


def test_every_model_of_our_apps_is_registered() -> None:
    from django.apps import apps

    ours = ("core", "accounts", "messaging", "payments", "marketplace", "contracts", "analytics", "risk",
            "gigs", "discovery")
    missing = [model._meta.label for model in apps.get_models()
               if model._meta.app_label in ours and model not in admin.site._registry]
    assert not missing


def test_money_and_ledger_fields_are_read_only(staff) -> None:
    from payments.models import LedgerEntry, LedgerTransaction

    request = staff.get("/admin/").wsgi_request
    for model in (LedgerTransaction, LedgerEntry, Payment, Payout, AuditEvent, Dispute):
        model_admin = admin.site._registry[model]
        assert not model_admin.has_add_permission(request), model
        assert not model_admin.has_change_permission(request), model
        assert not model_admin.has_delete_permission(request), model
    milestone_admin = admin.site._registry[Milestone]
    assert {"amount", "currency", "status", "payment_intent_id"} <= set(milestone_admin.get_readonly_fields(request))


# --- changelist query counts ----------------------------------------------------------------------


def changelist_queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def more_users(make_user, n: int) -> None:
    for i in range(n):
        make_user("freelancer" if i % 2 else "client")


def more_projects(make_user, n: int) -> None:
    owner = make_user("client")
    for i in range(n):
        make_project(owner, title=f"Project number {i} for the query count")


def more_payments(make_user, n: int) -> None:
    for i in range(n):
        user = make_user("client")
        payments.funding_record(payer=user, payment_intent_id=f"pi_count_{user.pk}_{i}", amount_minor=1000 + i,
                                currency="usd", contract_id=None, milestone_id=None, description="counted")


def more_audit_events(make_user, n: int) -> None:
    for _ in range(n):
        user = make_user("client")
        audit("login", target=user, actor=user, ip="192.0.2.1")


@pytest.mark.parametrize(("url", "add"), [
    ("/admin/accounts/user/", more_users),
    ("/admin/marketplace/project/", more_projects),
    ("/admin/payments/payment/", more_payments),
    ("/admin/payments/ledgerentry/", more_payments),
    ("/admin/core/auditevent/", more_audit_events),
    ("/admin/support/supportticket/", None),
])
def test_changelist_queries_do_not_grow_with_rows(staff, make_user, url, add) -> None:
    if add is None:  # support tickets
        def add(make_user, n):
            for _ in range(n):
                support.ticket_open(user=make_user("client"), subject="Count me", message="Hello")

    add(make_user, 5)
    few = changelist_queries(staff, url)
    add(make_user, 45)
    many = changelist_queries(staff, url)
    assert few == many, f"{url}: {few} queries for 5 rows, {many} for 50"
