"""Marketplace pages: the home page, projects, proposals, the freelancer directory and profiles, invites and
portfolios. (Accepting a proposal is the act of contracting: its page view is in contracts.)

Each view reads through `selectors`, changes through one service, and shows the answer. A service's
`ApplicationError` is shown next to the field it names (or at the top of the page) with its 4xx status.
"""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import AnonymousUser
from django.contrib.auth.views import redirect_to_login
from django.core.files.uploadedfile import UploadedFile
from django.core.paginator import Page, Paginator
from django.db import transaction
from django.db.models import F, OrderBy, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.forms import form_add_service_error
from accounts.models import User
from accounts.requests import signed_in_user
from core.exceptions import ApplicationError

from . import hooks, selectors, services
from . import search as project_search
from .forms import (
    INVITE_FIELDS,
    FreelancerSearchForm,
    InviteForm,
    PortfolioItemForm,
    ProjectForm,
    ProjectSearchForm,
    ProposalForm,
)
from .models import Attachment, Invite, InviteStatus, PortfolioItem, Project, ProjectStatus, Proposal, ProposalStatus

PER_PAGE = 20
EDITABLE_PROJECT = (ProjectStatus.DRAFT, ProjectStatus.OPEN)
UNDECIDED = (ProposalStatus.SUBMITTED, ProposalStatus.SHORTLISTED)


# --- helpers ------------------------------------------------------------------------------------


def _posted(request: HttpRequest) -> Any:
    """The submitted data on a POST (even an empty one, so that it shows "required" errors), else None."""
    return request.POST if request.method == "POST" else None


def _files(request: HttpRequest) -> Any:
    return request.FILES if request.method == "POST" else None


def _error_status(exc: ApplicationError) -> int:
    return exc.status_code if 400 <= exc.status_code < 500 else 400


def _page(request: HttpRequest, items: QuerySet) -> Page:
    return Paginator(items, PER_PAGE).get_page(request.GET.get("page"))


def _safe_next(request: HttpRequest) -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(candidate, allowed_hosts={request.get_host()},
                                                     require_https=request.is_secure()):
        return candidate
    return ""


def _forbidden(request: HttpRequest, title: str, message: str, link: tuple[str, str] | None = None) -> HttpResponse:
    """The page for a signed-in person who may not use this page (a freelancer on "Post a project", say)."""
    return render(request, "marketplace/forbidden.html", {"title": title, "message": message, "link": link},
                  status=403)


def _attach(user: User, uploads: list[UploadedFile], **parent: Any) -> None:
    """Attaches every upload, or none: files already stored are removed when a later one is refused."""
    created: list[Attachment] = []
    try:
        for upload in uploads:
            created.append(services.attachment_add(uploaded_by=user, upload=upload, **parent))
    except ApplicationError:
        for attachment in created:
            attachment.file.delete(save=False)
        raise


def project_or_404(request: HttpRequest, pk: int) -> Project:
    project = selectors.project_get(user=request.user, pk=pk)
    if project is None:
        raise Http404
    return project


def _own_project_or_404(request: HttpRequest, pk: int) -> Project:
    return get_object_or_404(Project.objects.select_related("category").prefetch_related("skills", "attachments"),
                             pk=pk, client=request.user)


# --- home ---------------------------------------------------------------------------------------


def home(request: HttpRequest) -> HttpResponse:
    featured = list(selectors.project_list(user=request.user, params={"featured": "true", "status": "open"})[:6])
    picked = bool(featured)
    if not featured:  # none featured: the newest open projects instead
        featured = list(selectors.project_list(user=request.user, params={"status": "open", "ordering": "newest"})[:6])
    return render(request, "home.html", {"featured_projects": featured, "featured_are_picked": picked})


# --- projects: browse and search ----------------------------------------------------------------


@require_http_methods(["GET", "HEAD"])
def project_list(request: HttpRequest) -> HttpResponse:
    mine = request.GET.get("mine") in ("1", "true")
    if mine and not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    data = request.GET.copy()
    if not mine and "status" not in data:
        data["status"] = ProjectStatus.OPEN  # browsing shows the projects taking proposals unless asked otherwise
    form = ProjectSearchForm(data, mine=mine)
    params = form.params()
    if mine:
        params["mine"] = "1"
    page = _page(request, selectors.project_list(user=request.user, params=params))
    did_you_mean = ""
    if not page.paginator.count and params.get("search") and (
            corrected := project_search.did_you_mean(str(params["search"])[:200])):
        # Nothing matched the words as typed: show the matches of the nearest spelling, and say so.
        did_you_mean, params = corrected, {**params, "search": corrected}
        page = _page(request, selectors.project_list(user=request.user, params=params))
    context = {"form": form, "page": page, "projects": page.object_list, "mine": mine,
               "searching": bool(params.get("search")), "did_you_mean": did_you_mean,
               "search_params": params}
    return render(request, "marketplace/project_list.html", context, status=400 if form.errors else 200)


# --- projects: create, show, edit, cancel -------------------------------------------------------


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def project_create(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    if not user.is_client:
        message = ("Your account is a freelancer account: you send proposals on projects instead."
                   if user.is_freelancer else "Projects are posted from client accounts.")
        return _forbidden(request, "Only clients post projects", message, ("/projects/", "Browse projects"))
    form = ProjectForm(_posted(request), _files(request))
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.service_data()
            draft = request.POST.get("action") == "draft"
            data["status"] = ProjectStatus.DRAFT if draft else ProjectStatus.OPEN
            try:
                with transaction.atomic():
                    project = services.project_create(client=user, data=data)
                    _attach(user, form.cleaned_data["files"], project=project)
            except ApplicationError as exc:
                form_add_service_error(form, exc)
                status = _error_status(exc)
            else:
                if draft:
                    messages.success(request, _("Your project is saved as a draft: only you see it until you post it."))
                else:
                    messages.success(request, _("Your project is posted. Freelancers can now send proposals."))
                return redirect("project_detail", pk=project.pk)
    return render(request, "marketplace/project_form.html", {"form": form, "project": None}, status=status)


def project_page(request: HttpRequest, project: Project, *, proposal_form: ProposalForm | None = None,
                 error: str = "", status: int = 200) -> HttpResponse:
    """The project's page for whoever looks: its owner compares proposals, a freelancer proposes."""
    user = request.user
    is_owner = user.is_authenticated and project.client_id == user.pk
    contract = getattr(project, "contract", None)  # made when a proposal is accepted (the relation is contracts')
    context: dict[str, Any] = {
        "project": project,
        "is_owner": is_owner,
        "client_figures": selectors.client_figures(project.client),
        "contract": contract if contract and contract.is_party(user) else None,
        "error": error,
        "can_edit": is_owner and project.status in EDITABLE_PROJECT,
        "undecided": UNDECIDED,
    }
    if is_owner:
        context.update(_owner_proposals(request, project))
        context["hired"] = hooks.hired_summary(project, user)
    elif user.is_authenticated and user.is_freelancer:
        mine = selectors.proposals_visible_to(user).filter(project=project, freelancer=user).first()
        context["my_proposal"] = mine
        if mine is None and project.status == ProjectStatus.OPEN:
            context["proposal_form"] = proposal_form or ProposalForm(currency=project.currency)
        elif proposal_form is not None and proposal_form.non_field_errors() and not error:
            context["error"] = proposal_form.non_field_errors()[0]
    return render(request, "marketplace/project_detail.html", context, status=status)


PROPOSAL_SORTS: dict[str, tuple[Promise, list[str | OrderBy]]] = {
    "newest": (_("Newest first"), ["-created_at", "-id"]),
    "bid": (_("Lowest bid first"), ["bid_amount", "id"]),
    "-bid": (_("Highest bid first"), ["-bid_amount", "-id"]),
    "rating": (_("Best rated first"), [F("freelancer_rating").desc(nulls_last=True), "-freelancer_review_count", "id"]),
}
PROPOSAL_SHOWS = {"": _("All proposals"), "shortlisted": _("Shortlisted only"), "submitted": _("Not yet decided")}
MAX_COMPARED = 4


def _owner_proposals(request: HttpRequest, project: Project) -> dict[str, Any]:
    """The owner's proposals, sorted and filtered as asked, and those picked for a side-by-side comparison."""
    sort = request.GET.get("sort") or ""
    sort = sort if sort in PROPOSAL_SORTS else "newest"
    show = request.GET.get("show") or ""
    show = show if show in PROPOSAL_SHOWS else ""
    visible = selectors.proposals_visible_to(signed_in_user(request)).filter(project=project).exclude(
        status=ProposalStatus.WITHDRAWN)
    total = visible.count()
    if show:
        visible = visible.filter(status=show)
    proposals = list(visible.order_by(*PROPOSAL_SORTS[sort][1]))
    picked = {int(value) for value in request.GET.getlist("compare") if value.isdigit()}
    compared = [proposal for proposal in proposals if proposal.pk in picked][:MAX_COMPARED]
    return {
        "proposals": proposals,
        "proposal_total": total,
        "sort": sort,
        "show": show,
        "sorts": [(key, label) for key, (label, _) in PROPOSAL_SORTS.items()],
        "shows": list(PROPOSAL_SHOWS.items()),
        "compared": compared if len(compared) >= 2 else [],
        "compare_too_few": len(picked) == 1,
        "picked": picked,
        "max_compared": MAX_COMPARED,
    }


@require_http_methods(["GET", "HEAD"])
def project_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return project_page(request, project_or_404(request, pk))


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def project_edit(request: HttpRequest, pk: int) -> HttpResponse:
    project = _own_project_or_404(request, pk)
    if project.status not in EDITABLE_PROJECT and request.method != "POST":
        messages.info(request, _("A project can be edited only while it is a draft or open."))
        return redirect("project_detail", pk=project.pk)
    if request.method == "POST":
        form = ProjectForm(request.POST, request.FILES, project=project)
    else:
        form = ProjectForm(initial=ProjectForm.initial_for(project), project=project)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.service_data()
            action = request.POST.get("action")
            if project.status == ProjectStatus.DRAFT and action == "post":
                data["status"] = ProjectStatus.OPEN
            user = signed_in_user(request)
            try:
                with transaction.atomic():
                    project = services.project_update(project=project, by=user, data=data)
                    _attach(user, form.cleaned_data["files"], project=project)
            except ApplicationError as exc:
                form_add_service_error(form, exc)
                status = _error_status(exc)
            else:
                if data.get("status") == ProjectStatus.OPEN:
                    messages.success(request, _("Your project is posted. Freelancers can now send proposals."))
                else:
                    messages.success(request, _("Your changes are saved."))
                return redirect("project_detail", pk=project.pk)
    return render(request, "marketplace/project_form.html", {"form": form, "project": project}, status=status)


@login_required
@require_POST
def project_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    project = _own_project_or_404(request, pk)
    try:
        deleted = services.project_delete(project=project, by=signed_in_user(request))
    except ApplicationError as exc:
        return project_page(request, project_or_404(request, pk), error=str(exc.detail), status=_error_status(exc))
    if deleted:
        messages.success(request, _("The draft “{title}” is deleted.").format(title=project.title))
        return redirect(f"{reverse('project_list')}?mine=1")
    messages.success(request, _("Your project is cancelled. It no longer takes proposals."))
    return redirect("project_detail", pk=pk)


@login_required
@require_http_methods(["GET", "HEAD"])
def attachment_download(request: HttpRequest, pk: int) -> HttpResponseBase:
    """A project's or proposal's file, for the people who may see its project or proposal."""
    from .api.views import attachment_response, attachment_visible

    attachment = Attachment.objects.filter(pk=pk).first()
    if attachment is None or not attachment_visible(attachment, signed_in_user(request)):
        raise Http404
    return attachment_response(attachment)


# --- proposals ----------------------------------------------------------------------------------


@login_required
@require_POST
def project_propose(request: HttpRequest, pk: int) -> HttpResponse:
    project = project_or_404(request, pk)
    user = signed_in_user(request)
    if not user.is_freelancer:
        return _forbidden(request, "Only freelancers send proposals",
                          "Your account is a client account: you receive proposals on the projects you post.",
                          (reverse("project_detail", args=[pk]), "Back to the project"))
    form = ProposalForm(request.POST, request.FILES, currency=project.currency)
    status = 400
    if form.is_valid():
        try:
            with transaction.atomic():
                proposal = services.proposal_submit(freelancer=user, project=project, data=form.service_data())
                _attach(user, form.cleaned_data["files"], proposal=proposal)
        except ApplicationError as exc:
            form_add_service_error(form, exc)
            status = _error_status(exc)
        else:
            messages.success(request, _("Your proposal is sent. The client will see it with the others."))
            return redirect(f"{reverse('project_detail', args=[pk])}#my-proposal")
    return project_page(request, project, proposal_form=form, status=status)


def _proposal_or_404(request: HttpRequest, pk: int) -> Proposal:
    proposal = selectors.proposals_visible_to(signed_in_user(request)).filter(pk=pk).first()
    if proposal is None:
        raise Http404
    return proposal


def _owner_decides(request: HttpRequest, pk: int, service: Any, done: str) -> HttpResponse:
    proposal = _proposal_or_404(request, pk)
    user = signed_in_user(request)
    if proposal.project.client_id != user.pk:
        raise Http404
    try:
        service(proposal=proposal, by=user)
    except ApplicationError as exc:
        project = project_or_404(request, proposal.project_id)
        return project_page(request, project, error=str(exc.detail), status=_error_status(exc))
    messages.success(request, done.format(name=proposal.freelancer.get_full_name()))
    return redirect(f"{reverse('project_detail', args=[proposal.project_id])}#proposals")


@login_required
@require_POST
def proposal_shortlist(request: HttpRequest, pk: int) -> HttpResponse:
    return _owner_decides(request, pk, services.proposal_shortlist, "The proposal from {name} is shortlisted.")


@login_required
@require_POST
def proposal_reject(request: HttpRequest, pk: int) -> HttpResponse:
    return _owner_decides(request, pk, services.proposal_reject, "The proposal from {name} is rejected.")


def _my_proposals_page(request: HttpRequest, *, error: str = "", status: int = 200) -> HttpResponse:
    status_filter = request.GET.get("status") or ""
    params = {"status": status_filter} if status_filter in ProposalStatus.values else {}
    user = signed_in_user(request)
    proposals = selectors.proposal_list(user=user, params=params).filter(freelancer=user)
    page = _page(request, proposals)
    context = {"page": page, "proposals": page.object_list, "error": error, "undecided": UNDECIDED,
               "status_filter": status_filter, "statuses": ProposalStatus.choices}
    return render(request, "marketplace/proposal_list.html", context, status=status)


@login_required
@require_http_methods(["GET", "HEAD"])
def proposal_list(request: HttpRequest) -> HttpResponse:
    if not signed_in_user(request).is_freelancer:
        return _forbidden(request, "Proposals are sent by freelancers",
                          "The proposals on your projects are on each project's page.",
                          (f"{reverse('project_list')}?mine=1", "Go to my projects"))
    return _my_proposals_page(request)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def proposal_edit(request: HttpRequest, pk: int) -> HttpResponse:
    proposal = get_object_or_404(Proposal.objects.select_related("project"), pk=pk, freelancer=signed_in_user(request))
    project = proposal.project
    editable = proposal.status == ProposalStatus.SUBMITTED and project.status == ProjectStatus.OPEN
    if not editable and request.method != "POST":
        messages.info(request, _("A proposal can be edited only while it is submitted and the project open."))
        return redirect("proposal_list")
    if request.method == "POST":
        form = ProposalForm(request.POST, currency=proposal.currency, with_files=False)
    else:
        form = ProposalForm(initial={"cover_letter": proposal.cover_letter, "bid_amount": proposal.bid_amount,
                                     "estimated_duration_days": proposal.estimated_duration_days},
                            currency=proposal.currency, with_files=False)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                services.proposal_update(proposal=proposal, by=signed_in_user(request), data=form.service_data())
            except ApplicationError as exc:
                form_add_service_error(form, exc)
                status = _error_status(exc)
            else:
                messages.success(request, _("Your proposal is updated."))
                return redirect(f"{reverse('project_detail', args=[project.pk])}#my-proposal")
    return render(request, "marketplace/proposal_form.html", {"form": form, "proposal": proposal,
                                                               "project": project}, status=status)


@login_required
@require_POST
def proposal_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    user = signed_in_user(request)
    proposal = get_object_or_404(Proposal, pk=pk, freelancer=user)
    try:
        services.proposal_withdraw(proposal=proposal, by=user)
    except ApplicationError as exc:
        return _my_proposals_page(request, error=str(exc.detail), status=_error_status(exc))
    messages.success(request, _("Your proposal is withdrawn."))
    return redirect(_safe_next(request) or reverse("proposal_list"))


# --- freelancers --------------------------------------------------------------------------------


@require_http_methods(["GET", "HEAD"])
def freelancer_list(request: HttpRequest) -> HttpResponse:
    form = FreelancerSearchForm(request.GET)
    page = _page(request, selectors.freelancer_search(form.params()))
    context = {"form": form, "page": page, "freelancers": page.object_list}
    return render(request, "marketplace/freelancer_list.html", context, status=400 if form.errors else 200)


def _open_projects_of(user: User | AnonymousUser) -> list[Project]:
    if not (user.is_authenticated and user.is_client):
        return []
    return list(Project.objects.filter(client=user, status=ProjectStatus.OPEN).order_by("-published_at", "-id"))


def _freelancer_page(request: HttpRequest, freelancer: User, *, invite_form: InviteForm | None = None,
                     status: int = 200) -> HttpResponse:
    projects = _open_projects_of(request.user)
    context = {
        "freelancer": freelancer,
        "portfolio": freelancer.portfolio.all(),
        "reviews": selectors.with_contract_titles(selectors.reviews_for(reviewee_id=freelancer.pk))[:50],
        "invite_form": invite_form or (InviteForm(projects=projects) if projects else None),
        "is_self": request.user.is_authenticated and request.user.pk == freelancer.pk,
    }
    return render(request, "marketplace/freelancer_detail.html", context, status=status)


def _freelancer_or_404(pk: int) -> User:
    freelancer = selectors.freelancer_get(pk)
    if freelancer is None:
        raise Http404
    return freelancer


@require_http_methods(["GET", "HEAD"])
def freelancer_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _freelancer_page(request, _freelancer_or_404(pk))


@login_required
@require_POST
def freelancer_invite(request: HttpRequest, pk: int) -> HttpResponse:
    freelancer = _freelancer_or_404(pk)
    user = signed_in_user(request)
    if not user.is_client:
        return _forbidden(request, "Only clients invite freelancers",
                          "Invites are how clients ask a freelancer to propose on their project.",
                          (reverse("freelancer_detail", args=[pk]), "Back to the profile"))
    projects = _open_projects_of(user)
    form = InviteForm(request.POST, projects=projects)
    status = 400
    if form.is_valid():
        project = next(project for project in projects if project.pk == form.cleaned_data["project"])
        try:
            services.invite_create(client=user, project=project, freelancer=freelancer,
                                   message=form.cleaned_data["message"])
        except ApplicationError as exc:
            form_add_service_error(form, exc, INVITE_FIELDS)
            status = _error_status(exc)
        else:
            messages.success(request, _("{name} is invited to “{title}”.").format(name=freelancer.get_full_name(),
                                                                                     title=project.title))
            return redirect("freelancer_detail", pk=pk)
    return _freelancer_page(request, freelancer, invite_form=form, status=status)


# --- invites ------------------------------------------------------------------------------------


def _invites_page(request: HttpRequest, *, error: str = "", status: int = 200) -> HttpResponse:
    invites = Invite.objects.filter(freelancer=signed_in_user(request)).select_related(
        "project", "project__client").order_by("-created_at", "-id")
    page = _page(request, invites)
    context = {"page": page, "invites": page.object_list, "error": error, "pending": InviteStatus.PENDING}
    return render(request, "marketplace/invite_list.html", context, status=status)


@login_required
@require_http_methods(["GET", "HEAD"])
def invite_list(request: HttpRequest) -> HttpResponse:
    if not signed_in_user(request).is_freelancer:
        return _forbidden(request, "Invites are for freelancers",
                          "Clients invite freelancers from their profiles in the directory.",
                          (reverse("freelancer_list"), "Find freelancers"))
    return _invites_page(request)


@login_required
@require_POST
def invite_decline(request: HttpRequest, pk: int) -> HttpResponse:
    user = signed_in_user(request)
    invite = get_object_or_404(Invite.objects.select_related("project"), pk=pk, freelancer=user)
    try:
        services.invite_decline(invite=invite, by=user)
    except ApplicationError as exc:
        return _invites_page(request, error=str(exc.detail), status=_error_status(exc))
    messages.success(request, _("You declined the invite to “{title}”.").format(title=invite.project.title))
    return redirect("invite_list")


# --- portfolio ----------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def portfolio(request: HttpRequest) -> HttpResponse:
    if not signed_in_user(request).is_freelancer:
        return _forbidden(request, "Portfolios are for freelancers",
                          "Freelancers show their past work here; clients find it on their profiles.",
                          (reverse("freelancer_list"), "Find freelancers"))
    form = PortfolioItemForm(_posted(request), _files(request))
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                services.portfolio_item_create(freelancer=signed_in_user(request), data=form.service_data(),
                                               images=form.cleaned_data["images"])
            except ApplicationError as exc:
                form_add_service_error(form, exc)
                status = _error_status(exc)
            else:
                messages.success(request,
                                 _("“{title}” is added to your portfolio.").format(title=form.cleaned_data["title"]))
                return redirect("portfolio")
    items = PortfolioItem.objects.filter(freelancer=signed_in_user(request)).prefetch_related("images")
    return render(request, "marketplace/portfolio.html", {"form": form, "items": items}, status=status)


@login_required
@require_POST
def portfolio_delete(request: HttpRequest, pk: int) -> HttpResponse:
    user = signed_in_user(request)
    item = get_object_or_404(PortfolioItem, pk=pk, freelancer=user)
    services.portfolio_item_delete(item=item, by=user)
    messages.success(request, _("“{title}” is removed from your portfolio.").format(title=item.title))
    return redirect("portfolio")
