"""Everything that changes a service listing: the service with its packages and extras, its gallery and its status.

A service and its packages and extras are written in one transaction, and with them the figures browsing reads
from the service's own row: `price_from` and `fastest_delivery_days` (from the packages), `skills_text` and
`search_vector` (for full-text search, as projects keep theirs). Only the seller changes a service; to anyone
else it does not exist (404).
"""

from typing import Any

from django.core.cache import cache
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, connection, transaction
from django.db.models import Max, Min, ProtectedError
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User, UserType
from accounts.services import skills_from_names
from core.audit import audit
from core.exceptions import ApplicationError, Conflict
from core.images import image_clean
from core.status import move
from marketplace.services import category_resolve

from .models import (
    PackageTier,
    Service,
    ServiceExtra,
    ServiceImage,
    ServicePackage,
    ServiceStatus,
    ServiceStatusChange,
)
from .selectors import COUNT_CACHE_KEY, FACETS_CACHE_KEY

MAX_IMAGES = 8
MAX_EXTRAS = 10
MAX_REQUIREMENTS = 10
IMAGE_MAX_BYTES = 10 * 1024 * 1024
IMAGE_MAX_SIDE = 1600

# A draft is published once it has a package; an active service may be paused and activated again; a service
# that was published goes back to draft only by the seller's choice, to rework it out of sight.
SERVICE_TRANSITIONS: dict[str, set[str]] = {
    ServiceStatus.DRAFT: {ServiceStatus.ACTIVE},
    ServiceStatus.ACTIVE: {ServiceStatus.PAUSED, ServiceStatus.DRAFT},
    ServiceStatus.PAUSED: {ServiceStatus.ACTIVE, ServiceStatus.DRAFT},
}
SERVICE_FIELDS = {"title", "description", "category", "skills", "requirements", "packages", "extras", "status"}
TIERS = [PackageTier.BASIC, PackageTier.STANDARD, PackageTier.PREMIUM]


def _invalid(field: str, message: str) -> ApplicationError:
    return ApplicationError(_("Invalid input: %(message)s") % {"message": message}, code="validation_error",
                            errors={field: [message]})


def _not_found() -> ApplicationError:
    return ApplicationError(_("Not found."), code="not_found", status_code=404)


# --- figures kept on the service's row ---------------------------------------------------------------


def service_search_refresh(service: Service) -> None:
    """Rebuilds the service's full-text search vector (PostgreSQL; SQLite searches the text directly)."""
    if connection.vendor != "postgresql":
        return
    from django.contrib.postgres.search import SearchVector

    vector = (
        SearchVector("title", weight="A", config="english")
        + SearchVector("skills_text", weight="A", config="english")
        + SearchVector("description", weight="B", config="english")
    )
    Service.objects.filter(pk=service.pk).update(search_vector=vector)


def service_skills_refresh(*, service: Service) -> None:
    """Writes the skills' names beside the relation after the skills changed (by a service or in the admin)."""
    service.skills_text = " ".join(sorted(service.skills.values_list("name", flat=True)))
    Service.objects.filter(pk=service.pk).update(skills_text=service.skills_text)


def service_figures_refresh(*, service: Service) -> None:
    """The cheapest price and the fastest delivery of the packages, as the browse cards show them."""
    figures = service.packages.aggregate(price=Min("price"), days=Min("delivery_days"))
    service.price_from, service.fastest_delivery_days = figures["price"], figures["days"]
    Service.objects.filter(pk=service.pk).update(price_from=figures["price"], fastest_delivery_days=figures["days"])
    browse_changed()


def browse_changed() -> None:
    """After the change commits, browsing counts the services afresh (its unfiltered count and facets are kept
    a while)."""
    transaction.on_commit(lambda: cache.delete_many([FACETS_CACHE_KEY, COUNT_CACHE_KEY]))


# --- validation of the body ----------------------------------------------------------------------


def _clean_requirements(value: Any) -> str:
    questions = value if isinstance(value, list) else str(value or "").splitlines()
    questions = [" ".join(str(question).split()) for question in questions]
    questions = [question for question in questions if question]
    if len(questions) > MAX_REQUIREMENTS:
        raise _invalid("requirements", _("Ask at most %(count)d questions.") % {"count": MAX_REQUIREMENTS})
    if any(len(question) > 300 for question in questions):
        raise _invalid("requirements", _("A question has at most 300 characters."))
    return "\n".join(questions)


def _check_packages(packages: list[dict[str, Any]]) -> str | None:
    """Refuses two packages of one tier or in different currencies; returns their currency."""
    tiers = [package["tier"] for package in packages]
    if len(set(tiers)) != len(tiers):
        raise _invalid("packages", _("Offer each tier (basic, standard, premium) at most once."))
    currencies = {package.get("currency") for package in packages if package.get("currency")}
    if len(currencies) > 1:
        raise _invalid("packages", _("All packages of a service are priced in one currency."))
    return currencies.pop() if currencies else None


def _write_packages(service: Service, packages: list[dict[str, Any]]) -> None:
    """Makes the service's packages these: each tier updated in place (orders may point at it), new tiers added,
    tiers left out removed."""
    existing = {package.tier: package for package in service.packages.all()}
    for data in packages:
        package = existing.pop(data["tier"], None) or ServicePackage(service=service, tier=data["tier"])
        package.title = data["title"].strip()
        package.description = data["description"].strip()
        package.price = data["price"]
        package.delivery_days = data["delivery_days"]
        package.revisions = data.get("revisions", 1)
        package.save()
    for package in existing.values():
        try:
            with transaction.atomic():
                package.delete()
        except (ProtectedError, IntegrityError) as exc:
            raise Conflict(_("The %(tier)s package has orders and cannot be removed.")
                           % {"tier": package.get_tier_display()}, code="package_in_use") from exc


def _write_extras(service: Service, extras: list[dict[str, Any]]) -> None:
    """Makes the service's extras these: an extra with the `id` of one of them is updated, one without is added,
    and the others are removed."""
    if len(extras) > MAX_EXTRAS:
        raise _invalid("extras", _("Offer at most %(count)d extras.") % {"count": MAX_EXTRAS})
    existing = {extra.pk: extra for extra in service.extras.all()}
    for data in extras:
        extra = existing.pop(data["id"], None) if data.get("id") else None
        if data.get("id") and extra is None:
            raise _invalid("extras", _("There is no extra %(id)s on this service.") % {"id": data["id"]})
        extra = extra or ServiceExtra(service=service)
        extra.title = data["title"].strip()
        extra.price = data["price"]
        extra.delivery_days = data.get("delivery_days", 0)
        extra.save()
    for extra in existing.values():
        try:
            with transaction.atomic():
                extra.delete()
        except (ProtectedError, IntegrityError) as exc:
            raise Conflict(_("The extra “%(title)s” has orders and cannot be removed.") % {"title": extra.title},
                           code="extra_in_use") from exc


def _set_skills(service: Service, names: list[str]) -> None:
    service.skills.set(skills_from_names(names))
    service_skills_refresh(service=service)


# --- create, update, delete ---------------------------------------------------------------------


def service_create(*, seller: User, data: dict[str, Any]) -> Service:
    """A new service with its packages and extras, all or nothing. Active at once when asked and it has a
    package; a draft otherwise."""
    if seller.user_type != UserType.FREELANCER:
        raise ApplicationError(_("Only freelancers sell services."), code="permission_denied", status_code=403)
    unknown = set(data) - SERVICE_FIELDS
    if unknown:
        raise _invalid(sorted(unknown)[0], _("This field is not part of a service."))
    status = data.get("status") or ServiceStatus.DRAFT
    if status not in (ServiceStatus.DRAFT, ServiceStatus.ACTIVE):
        raise _invalid("status", _("A new service is either a draft or active."))
    packages = data.get("packages") or []
    currency = _check_packages(packages)
    requirements = _clean_requirements(data.get("requirements"))
    with transaction.atomic():
        service = Service.objects.create(
            seller=seller,
            title=data["title"].strip(),
            description=data["description"].strip(),
            category=category_resolve(data.get("category")),
            requirements=requirements,
            currency=currency or "usd",
        )
        ServiceStatusChange.objects.create(service=service, from_status="", to_status=ServiceStatus.DRAFT,
                                           changed_by=seller)
        _set_skills(service, data.get("skills") or [])
        _write_packages(service, packages)
        _write_extras(service, data.get("extras") or [])
        service_figures_refresh(service=service)
        service_search_refresh(service)
        if status == ServiceStatus.ACTIVE:
            service = service_set_status(service=service, to=ServiceStatus.ACTIVE, by=seller)
    return service


def _lock(service: Service) -> Service:
    return Service.objects.select_for_update().get(pk=service.pk)


def service_update(*, service: Service, by: User, data: dict[str, Any]) -> Service:
    """Changes what `data` names (PUT names everything, PATCH some); packages and extras given replace the
    service's. An active service keeps at least one package."""
    if service.seller_id != by.pk:
        raise _not_found()
    unknown = set(data) - SERVICE_FIELDS
    if unknown:
        raise _invalid(sorted(unknown)[0], _("This field cannot be changed."))
    if "packages" in data:
        currency = _check_packages(data["packages"] or [])
    with transaction.atomic():
        service = _lock(service)
        for field in ("title", "description"):
            if field in data:
                setattr(service, field, data[field].strip())
        if "category" in data:
            service.category = category_resolve(data["category"])
        if "requirements" in data:
            service.requirements = _clean_requirements(data["requirements"])
        if "packages" in data and currency:
            service.currency = currency
        service.save()
        if "skills" in data:
            _set_skills(service, data["skills"] or [])
        if "packages" in data:
            _write_packages(service, data["packages"] or [])
        if "extras" in data:
            _write_extras(service, data["extras"] or [])
        service_figures_refresh(service=service)
        if "status" in data and data["status"] != service.status:
            service = service_set_status(service=service, to=data["status"], by=by)
        elif service.status == ServiceStatus.ACTIVE and service.price_from is None:
            raise _invalid("packages", _("An active service needs at least one package; pause it first."))
        service_search_refresh(service)
    return service


def service_delete(*, service: Service, by: User) -> None:
    """Deletes the seller's service with its gallery. One that has orders stays (pause it instead)."""
    if service.seller_id != by.pk:
        raise _not_found()
    files = [image.image for image in service.images.all()]
    try:
        with transaction.atomic():
            _lock(service).delete()
    except (ProtectedError, IntegrityError) as exc:
        raise Conflict(_("A service with orders cannot be deleted; pause it instead."),
                       code="not_deletable") from exc
    browse_changed()
    for file in files:
        file.delete(save=False)


# --- status -------------------------------------------------------------------------------------


def service_set_status(*, service: Service, to: str, by: User | None, staff: bool = False) -> Service:
    """The one place a service's status changes: locked, checked against the table, recorded. Activating
    needs a package. `staff` marks a decision taken in the admin (kept in the audit log)."""
    with transaction.atomic():
        service = _lock(service)
        if service.status == to:
            return service
        if to == ServiceStatus.ACTIVE and not service.packages.exists():
            raise _invalid("packages", _("Add at least one package before activating the service."))
        before = move(service, to, allowed=SERVICE_TRANSITIONS, history=ServiceStatusChange, by=by)
        fields = ["status", "updated_at"]
        if to == ServiceStatus.ACTIVE and service.published_at is None:
            service.published_at = timezone.now()
            fields.append("published_at")
        service.save(update_fields=fields)
        browse_changed()
        if staff:
            audit(f"service.{to}", target=service, actor=by, old={"status": before}, new={"status": to})
    return service


def service_activate(*, service: Service, by: User) -> Service:
    if service.seller_id != by.pk:
        raise _not_found()
    return service_set_status(service=service, to=ServiceStatus.ACTIVE, by=by)


def service_pause(*, service: Service, by: User) -> Service:
    if service.seller_id != by.pk:
        raise _not_found()
    return service_set_status(service=service, to=ServiceStatus.PAUSED, by=by)


# --- gallery ------------------------------------------------------------------------------------


def service_images_add(*, service: Service, by: User, uploads: list[UploadedFile]) -> list[ServiceImage]:
    """Adds pictures to the gallery, all or none: each is checked by its content and re-encoded first, and one
    bad picture rejects the upload leaving nothing behind, in the database or in storage."""
    if service.seller_id != by.pk:
        raise _not_found()
    if not uploads:
        raise _invalid("images", _("Choose at least one image."))
    cleaned = [image_clean(upload, field="images", max_bytes=IMAGE_MAX_BYTES, max_side=IMAGE_MAX_SIDE)
               for upload in uploads]
    stored: list[ServiceImage] = []
    try:
        with transaction.atomic():
            service = _lock(service)  # two uploads at once cannot both pass the limit
            count = service.images.count()
            if count + len(cleaned) > MAX_IMAGES:
                raise _invalid("images", _("A service has at most %(count)d images.") % {"count": MAX_IMAGES})
            start = (service.images.aggregate(top=Max("position"))["top"] or 0) + 1 if count else 0
            for position, content in enumerate(cleaned, start=start):
                image = ServiceImage(service=service, position=position)
                image.image.save(content.name or "image", content, save=False)
                stored.append(image)
                image.save()
            Service.objects.filter(pk=service.pk).update(updated_at=timezone.now())
    except Exception:
        for image in stored:
            image.image.delete(save=False)
        raise
    return stored


def service_image_delete(*, image: ServiceImage, by: User) -> None:
    if image.service.seller_id != by.pk:
        raise _not_found()
    image.delete()
    image.image.delete(save=False)
