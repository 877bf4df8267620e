"""Shared steps of the money tests, made through HTTP as the apps and pages make them."""

from decimal import Decimal

from django.db import connection
from django.db.models import Sum

from payments.models import LedgerAccount, LedgerEntry, LedgerTransaction
from payments.stripe_client import sdk as stripe_sdk

DECLINED_CARD = "4000000000000341"
THREE_D_SECURE_CARD = "4000002500003155"


def card(number: str) -> str:
    """A PaymentMethod for a test card number, made at the emulator as Stripe.js would."""
    method = stripe_sdk().PaymentMethod.create(type="card", card={"number": number, "exp_month": 12, "exp_year": 2034,
                                                            "cvc": "123"})
    return method.id


def add_milestone(api, contract_id: int, amount: str = "1000.00", title: str = "Design and build") -> dict:
    response = api.post(f"/api/contracts/{contract_id}/milestones",
                        {"title": title, "description": "The first part of the work.", "amount": amount},
                        format="json")
    assert response.status_code == 201, response.json()
    return response.json()


def fund(api, milestone_id: int, payment_method: str = "pm_card_visa"):
    return api.post(f"/api/milestones/{milestone_id}/fund", {"payment_method": payment_method}, format="json")


def submit(api, milestone_id: int, note: str = "Done: see the attached report."):
    return api.post(f"/api/milestones/{milestone_id}/submit", {"note": note}, format="json")


def assert_ledger_balanced() -> None:
    """Every ledger transaction sums to zero per currency (and PostgreSQL's own check agrees now)."""
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
    unbalanced = (LedgerEntry.objects.values("transaction_id", "currency").annotate(total=Sum("amount"))
                  .exclude(total=0))
    assert not list(unbalanced)
    assert LedgerTransaction.objects.filter(entries__isnull=True).count() == 0


def balance(account: str, **filters: object) -> int:
    return LedgerEntry.objects.filter(account=account, **filters).aggregate(t=Sum("amount"))["t"] or 0


def escrow_of(contract_id: int) -> Decimal:
    return Decimal(-balance(LedgerAccount.ESCROW, contract_id=contract_id)) / 100


def emulator_available(currency: str = "usd") -> int:
    """What the Stripe emulator says the platform holds."""
    data = stripe_sdk().Balance.retrieve()
    available = data["available"]
    rows = available if isinstance(available, list) else [available]
    return sum(row["amount"] for row in rows if row["currency"] == currency)


def held_payout(client_api, freelancer_api, contract_id: int, amount: str = "500.00"):
    """A milestone funded, submitted and approved: the payout of its release, held because the freelancer
    has no payout account yet."""
    from payments.models import Payout

    milestone = add_milestone(client_api, contract_id, amount)
    assert fund(client_api, milestone["id"]).status_code == 200
    assert submit(freelancer_api, milestone["id"]).status_code == 200
    assert client_api.post(f"/api/milestones/{milestone['id']}/approve").status_code == 200
    payout = Payout.objects.get(payment__milestone_id=milestone["id"])
    assert payout.status == "held"
    return payout


def payout_account_ready(emulator, user, *, onboarded_at_stripe: bool = True):
    """The freelancer's Connect account, onboarding finished at the emulator (unless told otherwise), and the
    app told it can receive, as the `account.updated` webhook would."""
    from payments.models import ConnectedAccount
    from payments.services import connect_account_for

    account = connect_account_for(user)
    if onboarded_at_stripe:
        emulator.complete_onboarding(account.stripe_account_id)
    ConnectedAccount.objects.filter(pk=account.pk).update(details_submitted=True, transfers_active=True)
    account.refresh_from_db()
    return account


def transfers_to(account_id: str) -> list:
    """The transfers the emulator made to a connected account."""
    return list(stripe_sdk().Transfer.list(destination=account_id, limit=100)["data"])
