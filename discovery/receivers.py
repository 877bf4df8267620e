"""Discovery listens to the apps below it: when a project, a freelancer's profile, a portfolio or a client's
hires change, the affected matches are scored again after commit (once per object and transaction); when a
proposal is accepted or a contract completes, the price guidance kept in the cache is renewed after commit."""

import logging
from typing import Any

from django.db import connection, transaction
from django.db.models.signals import m2m_changed, post_delete, post_save

from accounts.models import User, UserType
from contracts.models import Contract, ContractStatus
from marketplace import hooks
from marketplace.models import PortfolioItem, Project, ProjectStatus, Proposal, ProposalStatus

# Saving these fields of a user says nothing about what they are good at (a sign-in writes last_login).
PROFILE_FIELDS = {"headline", "bio", "hourly_rate", "available", "is_active", "user_type"}


def _queue(kind: str, pk: int) -> None:
    """Asks for one refresh of `kind` ("project" or "freelancer") `pk` after the transaction commits."""
    pending: dict[tuple[str, int], Any] = connection.__dict__.setdefault("_discovery_pending", {})
    waiting = pending.get((kind, pk))
    if waiting is not None and any(item[1] is waiting for item in connection.run_on_commit):
        return  # already asked for in this transaction (a rolled-back one's request is gone from the list)

    def run() -> None:
        from . import tasks

        pending.pop((kind, pk), None)
        task = tasks.project_changed if kind == "project" else tasks.freelancer_changed
        try:
            task.delay(pk)
        except Exception:  # the broker is down: tonight's full refresh catches up
            logging.getLogger(__name__).warning("Could not queue the %s %s refresh", kind, pk, exc_info=True)

    if connection.in_atomic_block:
        pending[(kind, pk)] = run
    transaction.on_commit(run)


def project_saved(sender: Any, instance: Project, **kwargs: Any) -> None:
    _queue("project", instance.pk)


def project_skills_changed(sender: Any, instance: Any, action: str, pk_set: Any, **kwargs: Any) -> None:
    if action not in ("post_add", "post_remove", "post_clear"):
        return
    if isinstance(instance, Project):
        _queue("project", instance.pk)
    else:  # removing a skill from its side of the relation
        for pk in pk_set or ():
            _queue("project", pk)


def user_saved(sender: Any, instance: User, update_fields: Any = None, **kwargs: Any) -> None:
    if instance.user_type != UserType.FREELANCER:
        return
    if update_fields is not None and not set(update_fields) & PROFILE_FIELDS:
        return
    _queue("freelancer", instance.pk)


def user_skills_changed(sender: Any, instance: Any, action: str, pk_set: Any, **kwargs: Any) -> None:
    if action not in ("post_add", "post_remove", "post_clear"):
        return
    if isinstance(instance, User):
        if instance.user_type == UserType.FREELANCER:
            _queue("freelancer", instance.pk)
    else:
        for pk in pk_set or ():
            _queue("freelancer", pk)


def portfolio_changed(sender: Any, instance: PortfolioItem, **kwargs: Any) -> None:
    _queue("freelancer", instance.freelancer_id)


def contract_saved(sender: Any, instance: Contract, created: bool = False, **kwargs: Any) -> None:
    """A client who hires again counts for more on their open projects."""
    if not created:
        return
    for pk in Project.objects.filter(client_id=instance.client_id, status=ProjectStatus.OPEN).values_list(
            "pk", flat=True):
        _queue("project", pk)


def _price_guidance_changed() -> None:
    from . import services

    services.price_guidance_changed()


def proposal_hired(sender: Any, instance: Proposal, **kwargs: Any) -> None:
    """An accepted proposal saved or removed: its bid is one of the prices guidance reads."""
    if instance.status == ProposalStatus.ACCEPTED:
        transaction.on_commit(_price_guidance_changed)


def contract_settled(sender: Any, instance: Contract, update_fields: Any = None, **kwargs: Any) -> None:
    """A contract completed (or a completed one removed): a fixed-price one's final amount becomes its price."""
    if instance.status != ContractStatus.COMPLETED:
        return
    if update_fields is not None and not {"status", "total_amount"} & set(update_fields):
        return
    transaction.on_commit(_price_guidance_changed)


def connect() -> None:
    post_save.connect(project_saved, sender=Project, dispatch_uid="discovery.project_saved")
    m2m_changed.connect(project_skills_changed, sender=Project.skills.through,
                        dispatch_uid="discovery.project_skills")
    post_save.connect(user_saved, sender=User, dispatch_uid="discovery.user_saved")
    m2m_changed.connect(user_skills_changed, sender=User.skills.through, dispatch_uid="discovery.user_skills")
    post_save.connect(portfolio_changed, sender=PortfolioItem, dispatch_uid="discovery.portfolio_saved")
    post_delete.connect(portfolio_changed, sender=PortfolioItem, dispatch_uid="discovery.portfolio_deleted")
    post_save.connect(contract_saved, sender=Contract, dispatch_uid="discovery.contract_saved")
    post_save.connect(proposal_hired, sender=Proposal, dispatch_uid="discovery.proposal_hired")
    post_delete.connect(proposal_hired, sender=Proposal, dispatch_uid="discovery.proposal_hired_deleted")
    post_save.connect(contract_settled, sender=Contract, dispatch_uid="discovery.contract_settled")
    post_delete.connect(contract_settled, sender=Contract, dispatch_uid="discovery.contract_settled_deleted")
    from . import pages

    hooks.register_recommender(pages.recommended_projects)
    hooks.register_panel("project_owner", pages.project_owner_panel)
    hooks.register_panel("project_form_budget", pages.budget_guidance_panel)
    hooks.register_panel("proposal_form_bid", pages.bid_guidance_panel)
    hooks.register_panel("project_list_results", pages.save_search_panel)
