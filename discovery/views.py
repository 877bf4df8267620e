"""Discovery's pages: best matches, saved searches, and inviting a recommended freelancer."""

from typing import TYPE_CHECKING, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.models import User, UserType
from accounts.requests import signed_in_user
from core.exceptions import ApplicationError
from marketplace import services as marketplace_services

from . import reasons, selectors, services
from .models import Alert, SavedSearch

if TYPE_CHECKING:
    class ListedSearch(SavedSearch):
        """A saved search as its list shows it; for the type checker only."""

        query: str  # its parameters as the query string of the project search it links to

PER_PAGE = 20


def _forbidden(request: HttpRequest, title: str, message: str) -> HttpResponse:
    return render(request, "marketplace/forbidden.html", {"title": title, "message": message,
                                                          "link": ("/projects/", _("Browse projects"))}, status=403)


def _message(exc: ApplicationError) -> str:
    """The refusal as a person reads it: the field's own message when there is one."""
    for problems in (exc.errors or {}).values():
        if problems:
            return str(problems[0])
    return str(exc.detail)


@login_required
@require_http_methods(["GET", "HEAD"])
def best_matches(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    if not user.is_freelancer:
        return _forbidden(request, _("Best matches are for freelancers"),
                          _("Freelancers see the open projects that fit their skills here."))
    page = Paginator(selectors.recommended_for_freelancer(user), PER_PAGE).get_page(request.GET.get("page"))
    projects = selectors.projects_for_matches(list(page.object_list))
    for project in projects:
        project.match_reasons = reasons.for_freelancer(project.match.facts)
    return render(request, "discovery/best_matches.html", {"page": page, "projects": projects})


def _search_query(params: dict) -> str:
    from urllib.parse import urlencode

    flat = {key: ",".join(value) if isinstance(value, list) else value for key, value in params.items()}
    return urlencode(flat)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def saved_search_list(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        raw = {name: request.POST.get(name, "") for name in services.PARAMS if request.POST.get(name, "")}
        try:
            search = services.saved_search_create(user=signed_in_user(request), name=request.POST.get("name", ""),
                                                  params=raw, alert=request.POST.get("alert") or Alert.DAILY)
        except ApplicationError as exc:
            messages.error(request, _message(exc))
        else:
            messages.success(request, _("Search “%(name)s” saved.") % {"name": search.name})
        return redirect("discovery:saved_searches")
    searches = cast("list[ListedSearch]", list(selectors.saved_searches_of(signed_in_user(request))))
    for listed in searches:
        listed.query = _search_query(listed.params)
    return render(request, "discovery/saved_searches.html", {"searches": searches, "alerts": Alert.choices})


@login_required
@require_POST
def saved_search_edit(request: HttpRequest, pk: int) -> HttpResponse:
    search = selectors.saved_search_get(user=signed_in_user(request), pk=pk)
    if search is None:
        raise Http404
    data = {field: request.POST[field] for field in ("name", "alert") if field in request.POST}
    try:
        services.saved_search_update(search=search, by=signed_in_user(request), data=data)
    except ApplicationError as exc:
        messages.error(request, _message(exc))
    else:
        messages.success(request, _("“%(name)s” updated.") % {"name": search.name})
    return redirect("discovery:saved_searches")


@login_required
@require_POST
def saved_search_delete(request: HttpRequest, pk: int) -> HttpResponse:
    search = selectors.saved_search_get(user=signed_in_user(request), pk=pk)
    if search is None:
        raise Http404
    services.saved_search_delete(search=search, by=signed_in_user(request))
    messages.success(request, _("“%(name)s” deleted.") % {"name": search.name})
    return redirect("discovery:saved_searches")


@login_required
@require_POST
def recommended_invite(request: HttpRequest, pk: int, freelancer_pk: int) -> HttpResponse:
    project = selectors.project_owned_by(signed_in_user(request), pk)
    if project is None:
        raise Http404
    freelancer = get_object_or_404(User, pk=freelancer_pk, user_type=UserType.FREELANCER, is_active=True)
    try:
        marketplace_services.invite_create(client=signed_in_user(request), project=project, freelancer=freelancer)
    except ApplicationError as exc:
        messages.error(request, _message(exc))
    else:
        messages.success(request, _("%(name)s is invited to “%(title)s”.") % {
            "name": freelancer.get_full_name(), "title": project.title})
    return redirect("project_detail", pk=project.pk)
