"""What each person sees first after signing in (`/dashboard/`).

A client: their projects with new proposals, the contracts waiting on them (milestones to fund, work to
approve) and what they have spent. A freelancer: open projects that match their skills, their proposals,
their active contracts with the next milestone, what they have earned, and how complete their profile is.

It lives in contracts because contracts sits above marketplace and payments: it can read all of them.
Every list is a fixed number of queries, however many rows it shows.
"""

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from core.money import money_text
from marketplace import hooks as marketplace_hooks
from marketplace import selectors as marketplace_selectors
from marketplace.models import PortfolioItem, Project, ProjectStatus, Proposal, ProposalStatus, Visibility
from payments import selectors as payment_selectors

from .hourly import dashboard_summary
from .models import Contract, ContractStatus, Milestone, MilestoneStatus

if TYPE_CHECKING:
    class DashboardContract(Contract):
        """A contract on the dashboard, as `_with_next_milestone` gives it; for the type checker only."""

        open_milestones: list[Milestone]
        to_fund: int
        to_approve: int
        to_deliver: int
        next_milestone: Milestone | None

SHOWN = 5
OPEN_MILESTONE = (MilestoneStatus.PENDING, MilestoneStatus.FUNDED, MilestoneStatus.SUBMITTED,
                  MilestoneStatus.DISPUTED)


@dataclass(frozen=True)
class ProfileStep:
    name: str | Promise  # translated when shown
    done: bool
    link: str


def _with_next_milestone(contracts: QuerySet[Contract]) -> "QuerySet[DashboardContract]":
    """Each contract with `open_milestones` (not yet paid out or refunded, in order) and its action counts."""
    annotated = contracts.select_related("client", "freelancer", "project").prefetch_related(
        Prefetch("milestones", queryset=Milestone.objects.filter(status__in=OPEN_MILESTONE).order_by("position", "id"),
                 to_attr="open_milestones")
    ).annotate(
        to_fund=Count("milestones", filter=Q(milestones__status=MilestoneStatus.PENDING)),
        to_approve=Count("milestones", filter=Q(milestones__status=MilestoneStatus.SUBMITTED)),
        to_deliver=Count("milestones", filter=Q(milestones__status=MilestoneStatus.FUNDED)),
    )
    return cast("QuerySet[DashboardContract]", annotated)


def next_milestone(contract: Contract) -> Milestone | None:
    open_milestones = getattr(contract, "open_milestones", None)
    if open_milestones is None:
        open_milestones = list(contract.milestones.filter(status__in=OPEN_MILESTONE).order_by("position", "id"))
    return open_milestones[0] if open_milestones else None


def client_dashboard(user: User) -> dict[str, Any]:
    new_proposals = Count("proposals", filter=Q(proposals__status=ProposalStatus.SUBMITTED))
    projects = list(
        marketplace_selectors.project_list(user=user, params={"mine": "1"})
        .filter(status__in=[ProjectStatus.OPEN, ProjectStatus.DRAFT, ProjectStatus.IN_PROGRESS])
        .annotate(new_proposals=new_proposals)[:SHOWN]
    )
    contracts = list(_with_next_milestone(
        Contract.objects.filter(client=user, status__in=[ContractStatus.ACTIVE, ContractStatus.DISPUTED])
    ).order_by("-created_at", "-id")[:SHOWN])
    for contract in contracts:
        contract.next_milestone = next_milestone(contract)
    needing_action = [contract for contract in contracts if contract.to_fund or contract.to_approve
                      or not contract.open_milestones]
    balances = payment_selectors.client_balances(user=user)
    return {
        "projects": projects,
        "contracts": contracts,
        "needing_action": needing_action,
        "spend": [{"spent": money_text(row.spent, row.currency), "in_escrow": money_text(row.in_escrow, row.currency)}
                  for row in balances],
        "open_projects": Project.objects.filter(client=user, status=ProjectStatus.OPEN).count(),
        "hourly": dashboard_summary(user),
    }


def best_matches(user: User, limit: int = SHOWN) -> list[Project]:
    """Open public projects sharing at least one of the freelancer's skills, leaving out those they already
    proposed on: ranked by the app that recommends projects (discovery, through marketplace/hooks.py), each with
    its `match_score` and `match_reasons`; newest first when no app does, or before it has scored them."""
    recommended = marketplace_hooks.recommended_projects(user, limit)
    if recommended:
        return recommended
    skill_ids = list(user.skills.values_list("pk", flat=True))
    if not skill_ids:
        return []
    shares_a_skill = Exists(Project.skills.through.objects.filter(project_id=OuterRef("pk"), skill_id__in=skill_ids))
    proposed = Exists(Proposal.objects.filter(project_id=OuterRef("pk"), freelancer=user))
    projects = marketplace_selectors.with_list_data(
        Project.objects.filter(status=ProjectStatus.OPEN, visibility=Visibility.PUBLIC).filter(shares_a_skill)
        .exclude(proposed)
    )
    return list(projects.order_by("-published_at", "-id")[:limit])


def profile_steps(user: User) -> list[ProfileStep]:
    has_portfolio = PortfolioItem.objects.filter(freelancer=user).exists()
    settings_link, portfolio_link = "/settings/profile/", "/portfolio/"
    return [
        ProfileStep(_("A headline"), bool(user.headline), settings_link),
        ProfileStep(_("A short bio"), bool(user.bio), settings_link),
        ProfileStep(_("Your skills"), user.skills.exists(), settings_link),
        ProfileStep(_("Your hourly rate"), user.hourly_rate is not None, settings_link),
        ProfileStep(_("A photo"), bool(user.avatar), settings_link),
        ProfileStep(_("Your country"), bool(user.country), settings_link),
        ProfileStep(_("A portfolio item"), has_portfolio, portfolio_link),
    ]


def freelancer_dashboard(user: User) -> dict[str, Any]:
    proposals = list(
        Proposal.objects.filter(freelancer=user).exclude(status=ProposalStatus.WITHDRAWN)
        .select_related("project", "project__client").order_by("-created_at", "-id")[:SHOWN]
    )
    contracts = list(_with_next_milestone(
        Contract.objects.filter(freelancer=user, status__in=[ContractStatus.ACTIVE, ContractStatus.DISPUTED])
    ).order_by("-created_at", "-id")[:SHOWN])
    for contract in contracts:
        contract.next_milestone = next_milestone(contract)
    steps = profile_steps(user)
    done = sum(step.done for step in steps)
    balances = payment_selectors.freelancer_balances(user=user)
    return {
        "matches": best_matches(user),
        "proposals": proposals,
        "contracts": contracts,
        "earnings": [{"earned": money_text(row.earned, row.currency), "pending": money_text(row.pending, row.currency),
                      "paid": money_text(row.paid, row.currency)} for row in balances],
        "profile_steps": steps,
        "profile_percent": round(done * 100 / len(steps)),
        "profile_missing": [step for step in steps if not step.done],
        "hourly": dashboard_summary(user),
    }
