"""Everything that changes projects, proposals, invites and portfolios (reviews are written in contracts).

Status moves go through one function per model that locks the row, checks the move against its table
of allowed transitions, saves and records the change.
"""

import uuid
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext

from accounts.models import User, UserType
from accounts.plans import PLAN_NAME, PRO_INVITES_PER_PROJECT, invites_per_project
from accounts.services import skills_from_names
from core.audit import audit
from core.exceptions import ApplicationError, Conflict
from core.images import image_clean
from core.status import move
from core.uploads import file_check

from . import notices
from .models import (
    Attachment,
    Category,
    Invite,
    InviteStatus,
    PortfolioImage,
    PortfolioItem,
    Project,
    ProjectStatus,
    ProjectStatusChange,
    Proposal,
    ProposalStatus,
    ProposalStatusChange,
    Visibility,
)

PROJECT_TRANSITIONS: dict[str, set[str]] = {
    ProjectStatus.DRAFT: {ProjectStatus.OPEN, ProjectStatus.CANCELLED},
    ProjectStatus.OPEN: {ProjectStatus.DRAFT, ProjectStatus.IN_PROGRESS, ProjectStatus.CANCELLED},
    ProjectStatus.IN_PROGRESS: {ProjectStatus.COMPLETED, ProjectStatus.CANCELLED},
    ProjectStatus.COMPLETED: set(),
    ProjectStatus.CANCELLED: set(),
}
# Which status a client may set by editing the project; in_progress and completed follow the contract.
CLIENT_SETTABLE = {ProjectStatus.DRAFT, ProjectStatus.OPEN, ProjectStatus.CANCELLED}

PROPOSAL_TRANSITIONS: dict[str, set[str]] = {
    ProposalStatus.SUBMITTED: {ProposalStatus.SHORTLISTED, ProposalStatus.ACCEPTED, ProposalStatus.REJECTED,
                               ProposalStatus.WITHDRAWN},
    ProposalStatus.SHORTLISTED: {ProposalStatus.ACCEPTED, ProposalStatus.REJECTED, ProposalStatus.WITHDRAWN},
    ProposalStatus.ACCEPTED: set(),
    ProposalStatus.REJECTED: set(),
    ProposalStatus.WITHDRAWN: set(),
}

MAX_PORTFOLIO_IMAGES = 10
MAX_ATTACHMENTS = 10


def _invalid(field: str, message: str) -> ApplicationError:
    return ApplicationError(gettext("Invalid input: %(message)s") % {"message": message}, code="validation_error",
                            errors={field: [message]})


def _not_found() -> ApplicationError:
    return ApplicationError(gettext("Not found."), code="not_found", status_code=404)


# --- categories ---------------------------------------------------------------------------------


def category_resolve(value: str | None) -> Category | None:
    if value in (None, ""):
        return None
    text = str(value).strip()
    category = Category.objects.filter(slug=slugify(text)).first() or Category.objects.filter(
        name__iexact=text
    ).first()
    if category is None:
        raise _invalid("category", "Choose one of the listed categories.")
    return category


# --- projects -----------------------------------------------------------------------------------


def project_search_refresh(project: Project) -> None:
    """Rebuilds the project's full-text search vector (PostgreSQL; SQLite searches the text directly)."""
    if connection.vendor != "postgresql":
        return
    from django.contrib.postgres.search import SearchVector

    vector = (
        SearchVector("title", weight="A", config="english")
        + SearchVector("skills_text", weight="A", config="english")
        + SearchVector("description", weight="B", config="english")
    )
    Project.objects.filter(pk=project.pk).update(search_vector=vector)


def _check_budget(budget_min: Decimal, budget_max: Decimal) -> None:
    if budget_min > budget_max:
        raise _invalid("budget_max", "The highest budget must be at least the lowest.")


def _set_skills(project: Project, names: list[str]) -> None:
    project.skills.set(skills_from_names(names))
    project_skills_refresh(project=project)


def project_skills_refresh(*, project: Project) -> None:
    """Writes the skills' names beside the relation after the skills changed (by a service or in the admin)."""
    project.skills_text = " ".join(sorted(project.skills.values_list("name", flat=True)))
    Project.objects.filter(pk=project.pk).update(skills_text=project.skills_text)


PROJECT_FIELDS = {"title", "description", "category", "skills", "budget_type", "budget_min", "budget_max",
                  "currency", "deadline", "visibility", "status"}


def project_create(*, client: User, data: dict[str, Any]) -> Project:
    if client.user_type != UserType.CLIENT:
        raise ApplicationError(gettext("Only clients post projects."), code="permission_denied", status_code=403)
    status = data.get("status") or ProjectStatus.OPEN
    if status not in (ProjectStatus.DRAFT, ProjectStatus.OPEN):
        raise _invalid("status", "A new project is either a draft or open.")
    _check_budget(data["budget_min"], data["budget_max"])
    deadline: date | None = data.get("deadline")
    if deadline and deadline < timezone.localdate():
        raise _invalid("deadline", "The deadline cannot be in the past.")
    # Client Pro (accounts/plans.py; sold by payments/billing.py): invite-only projects come with the paid plan.
    if data.get("visibility") == Visibility.INVITE_ONLY and not client.has_client_plan:
        raise _invalid("visibility", "Invite-only projects come with the Client Pro plan.")
    with transaction.atomic():
        project = Project.objects.create(
            client=client,
            title=data["title"].strip(),
            description=data["description"].strip(),
            category=category_resolve(data.get("category")),
            budget_type=data.get("budget_type") or "fixed",
            budget_min=data["budget_min"],
            budget_max=data["budget_max"],
            currency=data.get("currency") or "usd",
            deadline=deadline,
            visibility=data.get("visibility") or Visibility.PUBLIC,
            status=status,
            published_at=timezone.now() if status == ProjectStatus.OPEN else None,
        )
        ProjectStatusChange.objects.create(project=project, from_status="", to_status=status, changed_by=client)
        _set_skills(project, data.get("skills") or [])
        project_search_refresh(project)
        if status == ProjectStatus.OPEN:
            notices.project_posted(project)
    return project


def _lock_project(project: Project) -> Project:
    return Project.objects.select_for_update().get(pk=project.pk)


def project_set_status(*, project: Project, to: str, by: User | None) -> Project:
    """The one place a project's status changes: locked, checked against the table, recorded."""
    with transaction.atomic():
        project = _lock_project(project)
        if project.status == to:
            return project
        move(project, to, allowed=PROJECT_TRANSITIONS, history=ProjectStatusChange, by=by)
        fields = ["status", "updated_at"]
        if to == ProjectStatus.OPEN and project.published_at is None:
            project.published_at = timezone.now()
            fields.append("published_at")
        project.save(update_fields=fields)
    return project


def project_update(*, project: Project, by: User, data: dict[str, Any]) -> Project:
    if project.client_id != by.pk:
        raise _not_found()
    unknown = set(data) - PROJECT_FIELDS
    if unknown:
        raise _invalid(sorted(unknown)[0], "This field cannot be changed.")
    with transaction.atomic():
        project = _lock_project(project)
        if project.status not in (ProjectStatus.DRAFT, ProjectStatus.OPEN):
            raise Conflict(gettext("A project can be edited only while it is a draft or open."), code="not_editable")
        _check_budget(data.get("budget_min", project.budget_min), data.get("budget_max", project.budget_max))
        if "deadline" in data and data["deadline"] and data["deadline"] < timezone.localdate():
            raise _invalid("deadline", "The deadline cannot be in the past.")
        # Client Pro (accounts/plans.py): making a project invite-only needs the paid plan (a project that
        # already is stays invite-only, and editable, after the plan ends).
        if (data.get("visibility") == Visibility.INVITE_ONLY and project.visibility != Visibility.INVITE_ONLY
                and not by.has_client_plan):
            raise _invalid("visibility", "Invite-only projects come with the Client Pro plan.")
        for field in ("title", "description"):
            if field in data:
                setattr(project, field, data[field].strip())
        for field in ("budget_type", "budget_min", "budget_max", "currency", "deadline", "visibility"):
            if field in data:
                setattr(project, field, data[field])
        if "category" in data:
            project.category = category_resolve(data["category"])
        project.save()
        if "skills" in data:
            _set_skills(project, data["skills"] or [])
        if "status" in data and data["status"] != project.status:
            if data["status"] not in CLIENT_SETTABLE:
                raise _invalid("status", "Choose draft, open or cancelled; the contract moves the rest.")
            project = project_set_status(project=project, to=data["status"], by=by)
        project_search_refresh(project)
    return project


def project_delete(*, project: Project, by: User) -> bool:
    """Deletes a draft without proposals; an open project is cancelled instead, so nothing is lost.

    Returns True when the project was deleted, False when it was cancelled.
    """
    if project.client_id != by.pk:
        raise _not_found()
    with transaction.atomic():
        project = _lock_project(project)
        if project.status == ProjectStatus.DRAFT and not project.proposals.exists():
            project.delete()
            return True
        if project.status in (ProjectStatus.DRAFT, ProjectStatus.OPEN):
            project_set_status(project=project, to=ProjectStatus.CANCELLED, by=by)
            return False
    raise Conflict(gettext("A project with a contract cannot be deleted."), code="not_deletable")


def project_feature(*, project: Project, featured: bool, by: User | None = None) -> None:
    """Shows the project on the home page, or stops. A staff decision (`by`) is recorded in the audit log."""
    Project.objects.filter(pk=project.pk).update(is_featured=featured)
    if by is not None:
        audit("project.feature" if featured else "project.unfeature", target=project, actor=by,
              old={"is_featured": project.is_featured}, new={"is_featured": featured})


# --- attachments --------------------------------------------------------------------------------


def _prepared_attachment(upload: UploadedFile) -> tuple[Any, str, str]:
    """Checks one upload by its content; returns (content to store, extension, content type)."""
    kind = file_check(upload, field="files")
    if kind.is_image:  # images are re-encoded, which also strips anything hidden in them
        content: Any = image_clean(upload, field="files", max_bytes=10 * 1024 * 1024, max_side=2400)
        extension = content.name.rsplit(".", 1)[-1]
        return content, extension, {"jpg": "image/jpeg", "png": "image/png", "webp": "image/webp"}[extension]
    return upload, kind.extension, kind.content_type


def attachments_add(*, uploaded_by: User, uploads: list[UploadedFile], project: Project | None = None,
                    proposal: Proposal | None = None) -> list[Attachment]:
    """Adds files to a project or a proposal, all or none: one bad file rejects the whole upload and
    leaves nothing behind, in the database or in storage."""
    parent_owner = project.client_id if project else proposal.freelancer_id  # type: ignore[union-attr]
    if parent_owner != uploaded_by.pk:
        raise _not_found()
    if not uploads:
        raise _invalid("files", "Attach at least one file.")
    prepared = [(upload, *_prepared_attachment(upload)) for upload in uploads]  # every file checked first
    parent_filter = {"project": project} if project else {"proposal": proposal}
    stored: list[Attachment] = []
    try:
        with transaction.atomic():
            # The parent row is locked so two uploads at once cannot both pass the limit.
            (Project if project else Proposal).objects.select_for_update().filter(
                pk=(project or proposal).pk).first()  # type: ignore[union-attr]
            if Attachment.objects.filter(**parent_filter).count() + len(uploads) > MAX_ATTACHMENTS:
                raise _invalid("files", gettext("At most %(count)s files can be attached.")
                               % {"count": MAX_ATTACHMENTS})
            for upload, content, extension, content_type in prepared:
                attachment = Attachment(uploaded_by=uploaded_by, original_name=(upload.name or "file")[:255],
                                        content_type=content_type, size=content.size, **parent_filter)
                attachment.file.save(f"{uuid.uuid4().hex}.{extension}", content, save=False)
                stored.append(attachment)
                attachment.save()
    except Exception:
        for attachment in stored:
            attachment.file.delete(save=False)
        raise
    return stored


def attachment_add(*, uploaded_by: User, upload: UploadedFile, project: Project | None = None,
                   proposal: Proposal | None = None) -> Attachment:
    return attachments_add(uploaded_by=uploaded_by, uploads=[upload], project=project, proposal=proposal)[0]


def attachment_delete(*, attachment: Attachment, by: User) -> None:
    if attachment.uploaded_by_id != by.pk:
        raise _not_found()
    attachment.file.delete(save=False)
    attachment.delete()


# --- proposals ----------------------------------------------------------------------------------


def proposal_set_status(*, proposal: Proposal, to: str, by: User | None) -> Proposal:
    with transaction.atomic():
        proposal = Proposal.objects.select_for_update().get(pk=proposal.pk)
        if proposal.status == to:
            return proposal
        move(proposal, to, allowed=PROPOSAL_TRANSITIONS, history=ProposalStatusChange, by=by)
        proposal.save(update_fields=["status", "updated_at"])
    return proposal


def project_is_visible_to(project: Project, user: User) -> bool:
    if user.is_authenticated and (user.is_staff or project.client_id == user.pk):
        return True
    if project.status == ProjectStatus.DRAFT:
        return False
    if project.visibility == Visibility.PUBLIC:
        return True
    if not user.is_authenticated:
        return False
    return (
        project.invites.filter(freelancer=user).exists() or project.proposals.filter(freelancer=user).exists()
    )


def proposal_submit(*, freelancer: User, project: Project, data: dict[str, Any]) -> Proposal:
    if freelancer.user_type != UserType.FREELANCER:
        raise ApplicationError(gettext("Only freelancers send proposals."), code="permission_denied", status_code=403)
    if not project_is_visible_to(project, freelancer):
        raise _invalid("project_id", "There is no such project.")
    if project.client_id == freelancer.pk:
        raise _invalid("project_id", "You cannot propose on your own project.")
    with transaction.atomic():
        project = Project.objects.select_for_update().get(pk=project.pk)
        if project.status != ProjectStatus.OPEN:
            raise Conflict(gettext("This project is not taking proposals."), code="project_not_open")
        if Proposal.objects.filter(project=project, freelancer=freelancer).exists():
            raise Conflict(gettext("You already sent a proposal for this project; edit it instead."),
                           code="duplicate_proposal")
        try:
            with transaction.atomic():
                proposal = Proposal.objects.create(
                    project=project,
                    freelancer=freelancer,
                    cover_letter=data["cover_letter"].strip(),
                    bid_amount=data["bid_amount"],
                    currency=data.get("currency") or project.currency,
                    estimated_duration_days=data["estimated_duration_days"],
                )
        except IntegrityError as exc:
            raise Conflict(gettext("You already sent a proposal for this project."), code="duplicate_proposal") from exc
        ProposalStatusChange.objects.create(proposal=proposal, from_status="", to_status=ProposalStatus.SUBMITTED,
                                            changed_by=freelancer)
        Invite.objects.filter(project=project, freelancer=freelancer).update(status=InviteStatus.ACCEPTED)
        notices.proposal_received(proposal)
    return proposal


PROPOSAL_EDITABLE = {"cover_letter", "bid_amount", "currency", "estimated_duration_days"}


def proposal_update(*, proposal: Proposal, by: User, data: dict[str, Any]) -> Proposal:
    if proposal.freelancer_id != by.pk:
        raise _not_found()
    unknown = set(data) - PROPOSAL_EDITABLE - {"project_id"}
    if unknown:
        raise _invalid(sorted(unknown)[0], "This field cannot be changed.")
    if "project_id" in data and data["project_id"] != proposal.project_id:
        raise _invalid("project_id", "A proposal cannot move to another project.")
    with transaction.atomic():
        proposal = Proposal.objects.select_for_update().select_related("project").get(pk=proposal.pk)
        if proposal.status != ProposalStatus.SUBMITTED or proposal.project.status != ProjectStatus.OPEN:
            raise Conflict(gettext("A proposal can be edited only while it is submitted and the project open."),
                           code="not_editable")
        for field in PROPOSAL_EDITABLE & set(data):
            value = data[field].strip() if field == "cover_letter" else data[field]
            setattr(proposal, field, value)
        proposal.save()
    return proposal


def proposal_withdraw(*, proposal: Proposal, by: User) -> Proposal:
    if proposal.freelancer_id != by.pk:
        raise _not_found()
    return proposal_set_status(proposal=proposal, to=ProposalStatus.WITHDRAWN, by=by)


def _client_decides(proposal: Proposal, by: User) -> None:
    if proposal.project.client_id != by.pk:
        raise _not_found()


def proposal_shortlist(*, proposal: Proposal, by: User) -> Proposal:
    _client_decides(proposal, by)
    return proposal_set_status(proposal=proposal, to=ProposalStatus.SHORTLISTED, by=by)


def proposal_reject(*, proposal: Proposal, by: User) -> Proposal:
    _client_decides(proposal, by)
    with transaction.atomic():
        before = Proposal.objects.select_for_update().get(pk=proposal.pk).status
        proposal = proposal_set_status(proposal=proposal, to=ProposalStatus.REJECTED, by=by)
        if before != ProposalStatus.REJECTED:
            notices.proposal_rejected(proposal)
    return proposal


def proposal_delete(*, proposal: Proposal, by: User) -> None:
    """A freelancer's DELETE withdraws the proposal: the client's record of it stays."""
    proposal_withdraw(proposal=proposal, by=by)


# --- invites ------------------------------------------------------------------------------------


def invite_create(*, client: User, project: Project, freelancer: User, message: str = "") -> Invite:
    if project.client_id != client.pk:
        raise _invalid("project_id", "There is no such project.")
    if freelancer.user_type != UserType.FREELANCER or not freelancer.is_active:
        raise _invalid("freelancer_id", "There is no such freelancer.")
    if project.status != ProjectStatus.OPEN:
        raise Conflict(gettext("Invite freelancers to an open project."), code="project_not_open")

    limit = invites_per_project(client)
    try:
        with transaction.atomic():
            # Client Pro (accounts/plans.py): up to 5 invites per project on the free plan, 50 on Client Pro.
            # Counted under the project's lock, so two invites at once cannot both take the last place.
            if _lock_project(project).invites.count() >= limit:
                message = gettext("A project can have up to %(limit)s invites on your plan.") % {"limit": limit}
                if limit < PRO_INVITES_PER_PROJECT:
                    message += " " + gettext("%(plan)s allows up to %(count)s.") % {
                        "plan": PLAN_NAME, "count": PRO_INVITES_PER_PROJECT}
                raise Conflict(message, code="invite_limit")
            invite = Invite.objects.create(project=project, freelancer=freelancer, message=message.strip())
            notices.invite_received(invite)
            return invite
    except IntegrityError as exc:
        raise Conflict(gettext("This freelancer is already invited to this project."), code="duplicate_invite") from exc


def invite_decline(*, invite: Invite, by: User) -> Invite:
    if invite.freelancer_id != by.pk:
        raise _not_found()
    if invite.status != InviteStatus.PENDING:
        raise Conflict(gettext("This invite was already answered."), code="invalid_transition")
    invite.status = InviteStatus.DECLINED
    invite.save(update_fields=["status"])
    return invite


# --- portfolio ----------------------------------------------------------------------------------


def _add_images(item: PortfolioItem, images: list[UploadedFile]) -> None:
    """Cleans every image first, then stores them; if anything fails, no stored file is left behind."""
    existing = item.images.count()
    if existing + len(images) > MAX_PORTFOLIO_IMAGES:
        raise _invalid("images", gettext("A portfolio item has at most %(count)s images.")
                       % {"count": MAX_PORTFOLIO_IMAGES})
    cleaned = []
    for upload in images:
        full = image_clean(upload, field="images", max_bytes=10 * 1024 * 1024, max_side=2000)
        upload.seek(0)
        thumb = image_clean(upload, field="images", max_bytes=10 * 1024 * 1024, max_side=400)
        cleaned.append((full, thumb))
    saved: list[PortfolioImage] = []
    try:
        for position, (full, thumb) in enumerate(cleaned, start=existing):
            image = PortfolioImage(item=item, position=position)
            saved.append(image)
            assert full.name is not None and thumb.name is not None  # image_clean names every file it makes
            image.image.save(full.name, full, save=False)
            image.thumbnail.save(thumb.name, ContentFile(thumb.read(), name=thumb.name), save=False)
            image.save()
    except Exception:
        for image in saved:
            image.image.delete(save=False)
            image.thumbnail.delete(save=False)
        raise


def portfolio_item_create(*, freelancer: User, data: dict[str, Any], images: list[UploadedFile]) -> PortfolioItem:
    if freelancer.user_type != UserType.FREELANCER:
        raise ApplicationError(gettext("Only freelancers have a portfolio."), code="permission_denied", status_code=403)
    with transaction.atomic():
        item = PortfolioItem.objects.create(
            freelancer=freelancer,
            title=data["title"].strip(),
            description=(data.get("description") or "").strip(),
            project_url=data.get("project_url") or "",
        )
        _add_images(item, images)
    return item


def portfolio_item_update(*, item: PortfolioItem, by: User, data: dict[str, Any],
                          images: list[UploadedFile]) -> PortfolioItem:
    if item.freelancer_id != by.pk:
        raise _not_found()
    with transaction.atomic():
        for field in ("title", "description", "project_url"):
            if field in data:
                setattr(item, field, (data[field] or "").strip())
        item.save()
        if images:
            _add_images(item, images)
    return item


def portfolio_item_delete(*, item: PortfolioItem, by: User) -> None:
    if item.freelancer_id != by.pk:
        raise _not_found()
    files = [(image.image, image.thumbnail) for image in item.images.all()]
    item.delete()
    for image, thumbnail in files:
        image.delete(save=False)
        thumbnail.delete(save=False)
