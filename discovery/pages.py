"""What discovery adds to the marketplace's pages (registered in marketplace/hooks.py when the app loads)."""

from typing import Any

from django.http import HttpRequest
from django.middleware.csrf import get_token
from django.template.loader import render_to_string

from accounts.models import User
from marketplace.models import Project, ProjectStatus

from . import reasons, selectors, services

SHOWN = 5


def recommended_projects(freelancer: User, limit: int) -> "list[selectors.MatchedProject]":
    """The freelancer's best matches, each with `match_score` and `match_reasons` (the dashboard's list)."""
    matches = list(selectors.recommended_for_freelancer(freelancer)[:limit])
    projects = selectors.projects_for_matches(matches)
    for project in projects:
        project.match_score = project.match.score
        project.match_reasons = reasons.for_freelancer(project.match.facts)
    return projects


def recommended_freelancers(project: Project, limit: int = SHOWN) -> "list[selectors.MatchedFreelancer]":
    freelancers = selectors.freelancers_for_matches(list(selectors.recommended_for_project(project)[:limit]))
    for freelancer in freelancers:
        freelancer.match_score = freelancer.match.score
        freelancer.match_reasons = reasons.for_client(freelancer.match.facts)
    return freelancers


def project_owner_panel(request: HttpRequest, context: dict[str, Any]) -> str:
    """The project page, for its owner while it is open: the freelancers who fit it, each with an Invite button."""
    project = context.get("project")
    if not context.get("is_owner") or project is None or project.status != ProjectStatus.OPEN:
        return ""
    freelancers = recommended_freelancers(project)
    get_token(request)
    return render_to_string("discovery/_recommended_freelancers.html",
                            {"project": project, "freelancers": freelancers}, request=request)


def budget_guidance_panel(request: HttpRequest, context: dict[str, Any]) -> str:
    """Beside the budget on the project form: what similar work was paid, fetched as the form is filled in."""
    return render_to_string("discovery/_budget_guidance.html", {"min_sample": selectors.MIN_SAMPLE_SHOWN},
                            request=request)


def bid_guidance_panel(request: HttpRequest, context: dict[str, Any]) -> str:
    """Beside the bid on the proposal form: what similar projects were paid (nothing below a few prices)."""
    project = context.get("project")
    if project is None:
        return ""
    guidance = selectors.price_guidance(
        category=project.category.slug if project.category else "",
        skills=[skill.name for skill in project.skills.all()], budget_type=project.budget_type,
        currency=project.currency)
    if not guidance.shown:
        return ""
    return render_to_string("discovery/_price_guidance.html", {"guidance": guidance, "id": "bid-guidance",
                                                              "budget_type": project.budget_type}, request=request)


def save_search_panel(request: HttpRequest, context: dict[str, Any]) -> str:
    """Under the search results: one click keeps this search, and tells its owner of new projects it finds."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return ""
    raw = {key: value for key, value in (context.get("search_params") or {}).items() if key in services.PARAMS}
    try:
        params = services.params_clean(raw)
    except Exception:
        return ""
    name = params.get("search") or ", ".join(params.get("skills") or []) or params.get("category") or ""
    get_token(request)
    return render_to_string("discovery/_save_search.html", {"params": params, "name": name or "My search"},
                            request=request)
