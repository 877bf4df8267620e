"""What contracts tell the apps below them, and what they hear from them (connected in `ContractsConfig.ready`)."""

from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from core.audit import audit
from core.money import money_text, to_minor
from marketplace import hooks as marketplace_hooks
from messaging import subjects
from payments import signals as payment_signals

from .models import ChargebackStatus, Contract, ContractStatus, Milestone


def pair_has_contract(client_id: int, freelancer_id: int) -> bool:
    """Any contract between the two that was not cancelled: from then on their chats are not masked."""
    return Contract.objects.filter(client_id=client_id, freelancer_id=freelancer_id).exclude(
        status=ContractStatus.CANCELLED).exists()


def chargeback_changed(sender: Any, payment_intent_id: str, dispute_id: str, status: str, metadata: dict[str, Any],
                       **kwargs: Any) -> None:
    """A chargeback on the payment that funded a milestone: the milestone shows it to staff (open, won, lost).
    The money itself is booked by payments; staff settle the milestone."""
    milestone_id = str(metadata.get("milestone_id") or "")
    if metadata.get("purpose") != "escrow_funding" or not milestone_id.isdigit():
        return
    with transaction.atomic():
        milestone = Milestone.objects.select_for_update().filter(pk=int(milestone_id)).first()
        if milestone is None or milestone.chargeback == status:
            return
        before = milestone.chargeback
        if before in (ChargebackStatus.WON, ChargebackStatus.LOST) and status == ChargebackStatus.OPEN:
            return  # a late "created" event after the decision
        milestone.chargeback = status
        milestone.save(update_fields=["chargeback", "updated_at"])
        audit("milestone.chargeback", target=milestone, old={"chargeback": before},
              new={"chargeback": status, "dispute_id": dispute_id, "payment_intent_id": payment_intent_id})


NEXT_STEP = {
    # (viewer is the client, milestone status): what to do next
    (True, "pending"): _("Fund it to start the work."),
    (True, "submitted"): _("Review the submitted work and approve it."),
    (False, "funded"): _("It is funded: deliver the work."),
}


def hired_summary(project: Any, viewer: Any) -> marketplace_hooks.HiredSummary | None:
    """The project page's view of its contract, for the two parties."""
    from .dashboard import next_milestone

    contract = Contract.objects.select_related("freelancer").filter(project_id=project.pk).first()
    if contract is None or not contract.is_party(viewer):
        return None
    milestone = next_milestone(contract)
    is_client = viewer.pk == contract.client_id
    if milestone is not None:
        text = (f"“{milestone.title}” · {money_text(to_minor(milestone.amount), milestone.currency)} · "
                f"{milestone.get_status_display()}")
        step = str(NEXT_STEP.get((is_client, milestone.status), ""))  # in the viewer's language
    else:
        text = ""
        active = contract.status == ContractStatus.ACTIVE
        step = str(_("Add a milestone so the work can start.")) if is_client and active else ""
    return marketplace_hooks.HiredSummary(
        contract_url=f"/contracts/{contract.pk}/", contract_title=contract.title,
        status=contract.get_status_display(), freelancer=contract.freelancer, next_milestone=text, next_step=step)


def connect() -> None:
    subjects.register_contract_lookup(pair_has_contract)
    marketplace_hooks.register_hired_lookup(hired_summary)
    payment_signals.chargeback_changed.connect(chargeback_changed, dispatch_uid="contracts.chargeback")
