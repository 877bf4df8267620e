"""Everything that changes discovery's data: saved searches, and the alerts they send."""

from datetime import timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.models import User
from core.exceptions import ApplicationError
from marketplace import selectors as marketplace_selectors
from marketplace.models import BudgetType, Category, Project, ProjectStatus, Visibility
from messaging.models import NotificationKind
from messaging.notifications import notify

from .models import Alert, DigestRun, SavedSearch, SavedSearchHit

PARAMS = ("search", "category", "skills", "budget_min", "budget_max", "budget_type")
MAX_SAVED_SEARCHES = 50
DIGEST_LOOKBACK = timedelta(days=7)  # a digest missed for a while still catches the week's projects
DIGEST_SHOWN = 20


def _invalid(field: str, message: str) -> ApplicationError:
    return ApplicationError(_("Invalid input: %(message)s") % {"message": message}, code="validation_error",
                            errors={field: [message]})


def _not_found() -> ApplicationError:
    return ApplicationError(_("Not found."), code="not_found", status_code=404)


def _amount(name: str, value: Any) -> str | None:
    if value in (None, ""):
        return None
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise _invalid(f"params.{name}", _("Enter a number.")) from None
    if not amount.is_finite() or amount < 0 or amount >= Decimal("10000000"):
        raise _invalid(f"params.{name}", _("Enter an amount from 0 to 9,999,999."))
    return str(amount.quantize(Decimal("0.01")))


def params_clean(raw: Any) -> dict[str, Any]:
    """A search's parameters as stored: only the known ones, each checked; the category as its slug and the
    skills as a list of names."""
    if raw in (None, ""):
        raw = {}
    if not isinstance(raw, dict):
        raise _invalid("params", _("Send the search's parameters as an object."))
    unknown = sorted(set(raw) - set(PARAMS))
    if unknown:
        raise _invalid(f"params.{unknown[0]}", _("This is not a search parameter."))
    params: dict[str, Any] = {}
    search = " ".join(str(raw.get("search") or "").split())
    if len(search) > 200:
        raise _invalid("params.search", _("Search for at most 200 characters."))
    if search:
        params["search"] = search
    if category := str(raw.get("category") or "").strip():
        found = (Category.objects.filter(slug=slugify(category)).first()
                 or Category.objects.filter(name__iexact=category).first())
        if found is None:
            raise _invalid("params.category", _("Choose one of the listed categories."))
        params["category"] = found.slug
    skills = raw.get("skills") or []
    if isinstance(skills, str):
        skills = skills.split(",")
    if not isinstance(skills, list) or not all(isinstance(name, str) for name in skills):
        raise _invalid("params.skills", _("Send skills as a list of names."))
    skills = [" ".join(name.split()) for name in skills if name.strip()]
    if len(skills) > 30 or any(len(name) > 50 for name in skills):
        raise _invalid("params.skills", _("Choose at most 30 skills of at most 50 characters."))
    if skills:
        params["skills"] = skills
    low, high = _amount("budget_min", raw.get("budget_min")), _amount("budget_max", raw.get("budget_max"))
    if low is not None and high is not None and Decimal(low) > Decimal(high):
        raise _invalid("params.budget_max", _("The highest budget must be at least the lowest."))
    if low is not None:
        params["budget_min"] = low
    if high is not None:
        params["budget_max"] = high
    if budget_type := raw.get("budget_type"):
        if budget_type not in BudgetType.values:
            raise _invalid("params.budget_type", _("Choose fixed or hourly."))
        params["budget_type"] = budget_type
    return params


def _name_clean(name: Any) -> str:
    name = " ".join(str(name or "").split())
    if not name:
        raise _invalid("name", _("Give the search a name."))
    if len(name) > 100:
        raise _invalid("name", _("A name has at most 100 characters."))
    return name


def _alert_clean(alert: Any) -> str:
    if alert not in Alert.values:
        raise _invalid("alert", _("Choose instant, daily or off."))
    return str(alert)


def saved_search_create(*, user: User, name: Any, params: Any, alert: Any = Alert.DAILY) -> SavedSearch:
    if not user.is_authenticated or not user.is_active:
        raise _not_found()
    clean = params_clean(params)
    search = SavedSearch(user=user, name=_name_clean(name), params=clean, alert=_alert_clean(alert))
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=user.pk).first()  # the limit holds under simultaneous saves
        if SavedSearch.objects.filter(user=user).count() >= MAX_SAVED_SEARCHES:
            raise _invalid("name", _("You can keep up to %(n)d saved searches.") % {"n": MAX_SAVED_SEARCHES})
        search.save()
    return search


def saved_search_update(*, search: SavedSearch, by: User, data: dict[str, Any]) -> SavedSearch:
    if search.user_id != by.pk:
        raise _not_found()
    unknown = sorted(set(data) - {"name", "params", "alert"})
    if unknown:
        raise _invalid(unknown[0], _("This field cannot be changed."))
    name = _name_clean(data["name"]) if "name" in data else search.name
    params = params_clean(data["params"]) if "params" in data else search.params
    alert = _alert_clean(data["alert"]) if "alert" in data else search.alert
    search.name, search.params, search.alert = name, params, alert
    search.save(update_fields=["name", "params", "alert", "updated_at"])
    return search


def saved_search_delete(*, search: SavedSearch, by: User) -> None:
    if search.user_id != by.pk:
        raise _not_found()
    search.delete()


# --- alerts -------------------------------------------------------------------------------------


def _url(path: str) -> str:
    return f"{settings.FRONTEND_URL}{path}"


def _fits(params: dict[str, Any], project: Project, skill_slugs: set[str]) -> bool:
    """The search's structured filters against the project, as `marketplace.selectors.project_filtered`
    applies them (the words are checked by the database)."""
    if params.get("category") and (project.category is None or project.category.slug != params["category"]):
        return False
    if params.get("skills") and not skill_slugs & {slugify(name) for name in params["skills"]}:
        return False
    if params.get("budget_min") and project.budget_max < Decimal(params["budget_min"]):
        return False
    if params.get("budget_max") and project.budget_min > Decimal(params["budget_max"]):
        return False
    return not (params.get("budget_type") and project.budget_type != params["budget_type"])


def _words_find(text: str, project: Project) -> bool:
    found = marketplace_selectors.project_filtered(user=project.client, params={"search": text, "ordering": "newest"},
                                                   base=Project.objects.filter(pk=project.pk))
    return found.exists()


def instant_alerts_send(project_id: int) -> int:
    """Tells the owner of each instant saved search that finds this newly published project, once per search
    and project (the hit's unique row is the record). Returns how many were told."""
    project = (Project.objects.select_related("category", "client").prefetch_related("skills")
               .filter(pk=project_id, status=ProjectStatus.OPEN, visibility=Visibility.PUBLIC).first())
    if project is None or project.published_at is None:
        return 0
    skill_slugs = {skill.slug for skill in project.skills.all()}
    searches = (SavedSearch.objects.filter(alert=Alert.INSTANT, created_at__lte=project.published_at,
                                           user__is_active=True)
                .exclude(user_id=project.client_id).exclude(hits__project=project).select_related("user"))
    words_cache: dict[str, bool] = {}
    told = 0
    for search in searches.iterator(chunk_size=500):
        if not _fits(search.params, project, skill_slugs):
            continue
        if text := search.params.get("search"):
            if text not in words_cache:
                words_cache[text] = _words_find(text, project)
            if not words_cache[text]:
                continue
        told += _instant_alert(search, project)
    return told


def _instant_alert(search: SavedSearch, project: Project) -> int:
    with transaction.atomic():
        _hit, created = SavedSearchHit.objects.get_or_create(search=search, project=project,
                                                             defaults={"via": Alert.INSTANT})
        if not created:
            return 0
        notify(user=search.user, kind=NotificationKind.SAVED_SEARCH_MATCH,
               title=_("New project for “%(name)s”") % {"name": search.name}, message=project.title,
               data={"project_id": project.pk, "saved_search_id": search.pk}, email_template="saved_search_match",
               email_context={"search_name": search.name, "project_title": project.title,
                              "project_url": _url(f"/projects/{project.pk}/"),
                              "searches_url": _url("/saved-searches/")},
               dedupe_key=f"saved-search:{search.pk}:project:{project.pk}")
    return 1


def daily_digests_send() -> dict[str, int]:
    """Once a day: each user with daily searches gets one e-mail listing the new projects their searches found
    that nothing told them about yet. A second run on the same day (UTC) sends nothing."""
    day = timezone.now().date()
    users = (User.objects.filter(is_active=True, saved_searches__alert=Alert.DAILY).distinct()
             .exclude(pk__in=DigestRun.objects.filter(day=day).values("user_id")))
    sent = users_seen = 0
    for user in users.iterator(chunk_size=200):
        users_seen += 1
        sent += digest_send(user=user, day=day)
    return {"users": users_seen, "sent": sent}


def digest_send(*, user: User, day: Any) -> int:
    """One user's digest for `day`; 1 when an e-mail went out, 0 when there was nothing new or it ran already."""
    since = timezone.now() - DIGEST_LOOKBACK
    with transaction.atomic():
        run, created = DigestRun.objects.get_or_create(user=user, day=day)
        if not created:
            return 0
        found: list[tuple[SavedSearch, list[Project]]] = []
        seen: set[int] = set()
        for search in SavedSearch.objects.filter(user=user, alert=Alert.DAILY).order_by("created_at", "id"):
            base = (Project.objects.filter(status=ProjectStatus.OPEN, visibility=Visibility.PUBLIC,
                                           published_at__gte=max(since, search.created_at))
                    .exclude(client=user).exclude(pk__in=SavedSearchHit.objects.filter(search=search)
                                                  .values("project_id")))
            params = {**search.params, "ordering": "newest"}
            projects = [project for project in
                        marketplace_selectors.project_filtered(user=user, params=params, base=base)[:DIGEST_SHOWN]
                        if project.pk not in seen]
            if projects:
                seen.update(project.pk for project in projects)
                found.append((search, projects))
                SavedSearchHit.objects.bulk_create(
                    [SavedSearchHit(search=search, project=project, via=Alert.DAILY) for project in projects],
                    ignore_conflicts=True)
        run.projects = len(seen)
        run.save(update_fields=["projects"])
        if not seen:
            return 0
        title = ngettext("%(n)d new project for your saved searches", "%(n)d new projects for your saved searches",
                         len(seen)) % {"n": len(seen)}
        notify(user=user, kind=NotificationKind.SAVED_SEARCH_DIGEST, title=title,
               data={"project_ids": sorted(seen)}, email_template="saved_search_digest",
               email_context={"searches": [{"name": search.name, "projects": [
                   {"title": project.title, "url": _url(f"/projects/{project.pk}/")} for project in projects]}
                   for search, projects in found], "searches_url": _url("/saved-searches/"), "count": len(seen)},
               dedupe_key=f"saved-search-digest:{user.pk}:{day.isoformat()}")
    return 1


# --- price guidance -----------------------------------------------------------------------------


def price_guidance_changed() -> None:
    """A hire was committed (a proposal accepted, a contract completed): a new version token, so every price
    guidance kept in the cache is computed again when next asked for (`selectors.price_guidance`). Called after
    commit; if the cache cannot be reached, the answers kept expire within `GUIDANCE_CACHE_SECONDS`."""
    import logging
    import uuid

    from django.core.cache import cache

    from .selectors import GUIDANCE_VERSION_KEY

    try:
        cache.set(GUIDANCE_VERSION_KEY, uuid.uuid4().hex, timeout=None)
    except Exception:
        logging.getLogger(__name__).warning("Could not renew the price guidance's version", exc_info=True)
