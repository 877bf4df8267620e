"""Contracts: made by accepting a proposal, then moved through their life by their parties and staff."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from accounts.models import User
from core.audit import audit
from core.exceptions import ApplicationError, Conflict
from core.status import CLIENT, FREELANCER, STAFF, SYSTEM, Move, apply, authorize, moves
from marketplace.models import Project, ProjectStatus, Proposal, ProposalStatus
from marketplace.services import project_set_status, proposal_set_status
from messaging.services import pair_changed as chat_pair_changed

from .models import Contract, ContractStatus, ContractStatusChange

_C = ContractStatus
# Every move a contract may make, by whom. A contract is disputed while any of its milestones is; it becomes
# active again when the last open dispute is resolved (staff) or withdrawn (its opener). It completes only
# once its money is settled and some of it was paid to the freelancer (`completion_refusal`), so never while
# disputed and never with nothing paid: reviews are for paid work.
CONTRACT_MOVES: dict[tuple[str, str], Move] = moves(
    (_C.ACTIVE, "complete", _C.COMPLETED, (CLIENT,)),
    ((_C.ACTIVE, _C.DISPUTED), "open_dispute", _C.DISPUTED, (CLIENT, FREELANCER)),
    (_C.DISPUTED, "close_dispute", _C.ACTIVE, (STAFF, CLIENT, FREELANCER)),
    (_C.ACTIVE, "cancel", _C.CANCELLED, (CLIENT, STAFF)),
)


def role_of(contract: Contract, user: User | None) -> str:
    """The part a user plays on a contract: client, freelancer, staff, or system (no user: a timed job or what
    Stripe told us); "" for anyone else."""
    if user is None:
        return SYSTEM
    if user.pk == contract.client_id:
        return CLIENT
    if user.pk == contract.freelancer_id:
        return FREELANCER
    return STAFF if user.is_staff else ""


def proposal_accept(*, proposal: Proposal, by: User) -> Contract:
    """Accepting a proposal is the act of contracting, all in one transaction.

    The proposal becomes accepted, the project's other open proposals rejected, the project in progress,
    and the contract is created. The project row is locked first, so two accepts at the same moment
    end with one contract; the second answers 409.
    """
    if proposal.project.client_id != by.pk:
        raise ApplicationError(gettext("Not found."), code="not_found", status_code=404)
    with transaction.atomic():
        project = Project.objects.select_for_update().get(pk=proposal.project_id)
        if Contract.objects.filter(project=project).exists() or project.status != ProjectStatus.OPEN:
            raise Conflict(gettext("This project already has a contract or is not open."), code="project_not_open")
        proposal = Proposal.objects.select_for_update().get(pk=proposal.pk)
        if proposal.status not in (ProposalStatus.SUBMITTED, ProposalStatus.SHORTLISTED):
            raise Conflict(gettext("A proposal that is %(status)s cannot be accepted.")
                           % {"status": str(proposal.get_status_display()).lower()}, code="invalid_transition")
        proposal_set_status(proposal=proposal, to=ProposalStatus.ACCEPTED, by=by)
        others = list(Proposal.objects.filter(
            project=project, status__in=[ProposalStatus.SUBMITTED, ProposalStatus.SHORTLISTED]
        ).exclude(pk=proposal.pk).select_related("project", "freelancer").order_by("pk"))
        for other in others:
            proposal_set_status(proposal=other, to=ProposalStatus.REJECTED, by=by)
        project_set_status(project=project, to=ProjectStatus.IN_PROGRESS, by=by)
        contract = Contract.objects.create(
            project=project,
            proposal=proposal,
            client_id=project.client_id,
            freelancer_id=proposal.freelancer_id,
            title=project.title,
            terms=proposal.cover_letter,
            contract_type=project.budget_type,
            total_amount=proposal.bid_amount,
            hourly_rate=proposal.bid_amount if project.budget_type == "hourly" else None,
            currency=proposal.currency,
        )
        ContractStatusChange.objects.create(contract=contract, from_status="", to_status=ContractStatus.ACTIVE,
                                            changed_by=by)
        chat_pair_changed(contract.client_id, contract.freelancer_id)  # their open chats stop masking
        _tell_contract_started(contract, rejected=others)
    return contract


def _tell_contract_started(contract: Contract, rejected: list[Proposal]) -> None:
    from django.conf import settings
    from django.utils.text import format_lazy
    from django.utils.translation import gettext_lazy as _

    from core.money import Money
    from marketplace import notices
    from messaging.models import NotificationKind
    from messaging.notifications import notify

    url = f"{settings.FRONTEND_URL}/contracts/{contract.pk}/"
    notify(user=contract.freelancer, kind=NotificationKind.PROPOSAL_ACCEPTED,
           title=format_lazy(_("Your proposal for “{title}” was accepted"), title=contract.title),
           data={"contract_id": contract.pk},
           email_template="proposal_accepted", email_context={"project_title": contract.title, "contract_url": url})
    amount = Money.of(contract.total_amount, contract.currency)
    for person, other in ((contract.client, contract.freelancer), (contract.freelancer, contract.client)):
        notify(user=person, kind=NotificationKind.CONTRACT_CREATED,
               title=format_lazy(_("Contract started: “{title}”"), title=contract.title),
               message=format_lazy(_("With {name}, for {amount}."), name=other.get_full_name(), amount=amount),
               data={"contract_id": contract.pk},
               email_template="contract_created",
               email_context={"contract_title": contract.title, "other_party_name": other.get_full_name(),
                              "contract_url": url, "amount": amount})
    for proposal in rejected:
        notices.proposal_rejected(proposal)


def contract_act(*, contract: Contract, action: str, by: User | None) -> Contract:
    """Takes `action` on the contract, checked against CONTRACT_MOVES (409 if its status does not allow it).

    A move to the status it already has (a second milestone disputed) writes no history."""
    with transaction.atomic():
        contract = Contract.objects.select_for_update().get(pk=contract.pk)
        rule = CONTRACT_MOVES.get((contract.status, action))
        if rule is not None and rule.to == contract.status and role_of(contract, by) in rule.actors:
            return contract
        if action == "complete" and rule is not None:
            refusal = completion_refusal(contract)
            if refusal is not None:
                raise refusal
        apply(contract, action, table=CONTRACT_MOVES, actor=role_of(contract, by), history=ContractStatusChange,
              by=by)
        to = contract.status
        fields = ["status", "updated_at"]
        if to == ContractStatus.COMPLETED:
            contract.completed_at = timezone.now()
            fields.append("completed_at")
        contract.save(update_fields=fields)
        if to == ContractStatus.COMPLETED:
            project_set_status(project=contract.project, to=ProjectStatus.COMPLETED, by=by)
        elif to == ContractStatus.CANCELLED:
            project_set_status(project=contract.project, to=ProjectStatus.CANCELLED, by=by)
            chat_pair_changed(contract.client_id, contract.freelancer_id)
    return contract


def contract_set_status(*, contract: Contract, to: str, by: User | None) -> Contract:
    """Moves the contract to `to` by the action the table has for it from its status (409 if none)."""
    current = Contract.objects.only("status").get(pk=contract.pk).status
    actions = [action for (source, action), rule in CONTRACT_MOVES.items() if source == current and rule.to == to]
    if not actions:
        labels = dict(ContractStatus.choices)
        raise Conflict(gettext("A contract that is %(status)s cannot become %(to)s.")
                       % {"status": str(labels.get(current, current)).lower(), "to": str(labels.get(to, to)).lower()},
                       code="invalid_transition")
    return contract_act(contract=contract, action=actions[0], by=by)


def contract_complete(*, contract: Contract, by: User) -> Contract:
    """The client closes the contract once the work is done."""
    authorize(CONTRACT_MOVES, "complete", role_of(contract, by), party=contract.is_party(by))
    with transaction.atomic():
        contract = Contract.objects.select_for_update().get(pk=contract.pk)
        if contract.status != ContractStatus.ACTIVE:
            raise Conflict(gettext("A contract that is %(status)s cannot be completed.")
                           % {"status": str(contract.get_status_display()).lower()}, code="invalid_transition")
        return contract_act(contract=contract, action="complete", by=by)


def completion_refusal(contract: Contract) -> Conflict | None:
    """Why the contract cannot be completed yet (None if it can): money still in escrow or in dispute, or no
    milestone approved and paid, since a completed contract opens reviews and reviews are for paid work. An
    hourly contract completes once no week is left to bill or pay and one was paid."""
    milestones = contract.milestones.all()
    if contract.contract_type == "hourly" and contract.invoices.filter(
            status__in=["open", "in_review", "disputed"]).exists():
        return Conflict(gettext("Hours on this contract are still to be billed or paid: weeks are closed on Monday "
                        "and paid once reviewed."), code="hours_not_settled")
    if milestones.filter(status__in=["funded", "submitted", "disputed"]).exists():
        return Conflict(gettext("Money is still in escrow on this contract: approve, refund or settle those milestones "
                        "first."), code="escrow_not_settled")
    paid_hours = contract.contract_type == "hourly" and contract.invoices.filter(status="paid").exists()
    if not paid_hours and not milestones.filter(status="released").exists():
        return Conflict(gettext("Nothing has been paid on this contract yet: a contract is completed once at least one "
                        "milestone is approved and paid."), code="nothing_paid")
    return None


def contract_update(*, contract: Contract, by: User, data: dict) -> Contract:
    """The client may retitle the contract or reword its terms while it is active, and set an hourly contract's
    weekly limit (`weekly_limit_set`)."""
    if not contract.is_party(by):
        raise ApplicationError(gettext("Not found."), code="not_found", status_code=404)
    if by.pk != contract.client_id:
        raise ApplicationError(gettext("Only the client edits the contract."),
                               code="permission_denied", status_code=403)
    with transaction.atomic():
        contract = Contract.objects.select_for_update().get(pk=contract.pk)
        if contract.status != ContractStatus.ACTIVE:
            raise Conflict(gettext("Only an active contract can be edited."), code="contract_not_active")
        for field in ("title", "terms"):
            if field in data:
                setattr(contract, field, data[field].strip())
        contract.save()
        if "weekly_limit_hours" in data:
            contract = weekly_limit_set(contract=contract, by=by, hours=data["weekly_limit_hours"])
    return contract


def weekly_limit_set(*, contract: Contract, by: User, hours: int | None) -> Contract:
    """The client of an hourly contract sets the hours a week they pay for at most (None: no limit). It applies
    to every week not closed yet, the one in progress included; a closed week keeps the limit on its invoice."""
    if not contract.is_party(by):
        raise ApplicationError(gettext("Not found."), code="not_found", status_code=404)
    if by.pk != contract.client_id:
        raise ApplicationError(gettext("Only the client sets the weekly limit."), code="permission_denied",
                               status_code=403)
    if hours is not None and not 1 <= hours <= 168:
        raise ApplicationError("Invalid input: between 1 and 168 hours.", code="validation_error",
                               errors={"weekly_limit_hours": [gettext("Between 1 and 168 hours.")]})
    with transaction.atomic():
        locked = Contract.objects.select_for_update().get(pk=contract.pk)
        if locked.contract_type != "hourly":
            raise Conflict(gettext("Only an hourly contract has a weekly limit."), code="not_hourly")
        if locked.status not in (ContractStatus.ACTIVE, ContractStatus.DISPUTED):
            raise Conflict(gettext("Only an active contract can be changed."), code="contract_not_active")
        old = locked.weekly_limit_hours
        locked.weekly_limit_hours = hours
        locked.save(update_fields=["weekly_limit_hours", "updated_at"])
        audit("contract.weekly_limit", target=locked, actor=by, old={"weekly_limit_hours": old},
              new={"weekly_limit_hours": hours})
    return locked
