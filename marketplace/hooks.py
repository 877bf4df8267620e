"""What the project page asks the apps above the marketplace, answered by those apps when they load.

The marketplace cannot import contracts. Once a project has hired someone, its owner's "Manage your project"
card shows the contract: contracts registers `hired_summary` here (contracts/receivers.py). Until an app
registers, the card simply has nothing about a hire.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class HiredSummary:
    """A hired project's contract as its page shows it."""

    contract_url: str
    contract_title: str
    status: str  # shown as is, e.g. "Active"
    freelancer: Any  # the hired User
    next_milestone: str  # e.g. "“Design” · 1,000.00 USD · Funded", or "" when none is open
    next_step: str  # what the viewer may do next, or ""


HiredLookup = Callable[[Any, Any], HiredSummary | None]
"""`(project, viewer)`: the summary of the project's contract if the viewer is a party, else None."""

_hired_lookups: list[HiredLookup] = []


def register_hired_lookup(lookup: HiredLookup) -> None:
    if lookup not in _hired_lookups:
        _hired_lookups.append(lookup)


def hired_summary(project: Any, viewer: Any) -> HiredSummary | None:
    for lookup in _hired_lookups:
        summary = lookup(project, viewer)
        if summary is not None:
            return summary
    return None


# --- what apps above add to the marketplace's pages ---------------------------------------------

Recommender = Callable[[Any, int], list[Any]]
"""`(freelancer, limit)`: open projects ranked for the freelancer, each with `match_score` and `match_reasons`."""

_recommenders: list[Recommender] = []


def register_recommender(recommender: Recommender) -> None:
    if recommender not in _recommenders:
        _recommenders.append(recommender)


def recommended_projects(freelancer: Any, limit: int) -> list[Any] | None:
    """The first registered recommender's answer, or None when no app recommends projects."""
    return _recommenders[0](freelancer, limit) if _recommenders else None


Panel = Callable[[Any, dict[str, Any]], str]
"""`(request, template context)`: HTML to show in a named place of a page ("" for nothing)."""

_panels: dict[str, list[Panel]] = {}


def register_panel(slot: str, panel: Panel) -> None:
    panels = _panels.setdefault(slot, [])
    if panel not in panels:
        panels.append(panel)


def panels(slot: str, request: Any, context: dict[str, Any]) -> list[str]:
    """What the apps above put in `slot` (`{% panels "slot" %}` in a template)."""
    return [html for panel in _panels.get(slot, []) if (html := panel(request, context))]
