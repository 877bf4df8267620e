"""Reading services: who may see which, browse and search with filters and ordering, and the facet counts.

Everyone browses the active services; a seller also reads their own drafts and paused services (their "My
services" list and each service's page). Each list is a fixed number of SQL queries whatever its length: the
card's picture and the seller's level are subqueries, the skills one prefetch.
"""

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache
from django.db import connection
from django.db.models import (
    Count,
    Exists,
    F,
    IntegerField,
    OrderBy,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils.functional import Promise
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from core.prepared import prepared_rows
from marketplace.models import Category
from marketplace.selectors import _decimal, _names

from .models import Service, ServiceExtra, ServiceImage, ServicePackage, ServiceStatus

# Search ranks the newest matches only: enough for relevant first pages, and bounded whatever the word.
SEARCH_CANDIDATES = 500
ORDERINGS = ("relevance", "newest", "price", "-price", "rating")
FILTERS = ("search", "category", "skills", "min_price", "max_price", "delivery_days", "seller")
PERSON_FIELDS = ("id", "first_name", "last_name", "user_type", "headline", "avatar", "company", "country")
# What a list shows: never the description, the search vector or the seller's private columns.
SERVICE_LIST_FIELDS = (
    "id", "title", "status", "currency", "price_from", "fastest_delivery_days", "rating_avg", "rating_count",
    "orders_completed", "created_at", "updated_at", "published_at", "seller_id", "category_id",
    *(f"seller__{name}" for name in PERSON_FIELDS), "category__id", "category__name", "category__slug",
)
# The delivery-time facet: services with a package delivered within so many days (the `delivery_days` filter).
DELIVERY_BUCKETS = (1, 3, 7, 14)
# The price facet: the "from" price within [low, high] (the `min_price` and `max_price` filters).
PRICE_BUCKETS: tuple[tuple[Decimal | None, Decimal | None], ...] = (
    (None, Decimal("49.99")),
    (Decimal("50.00"), Decimal("99.99")),
    (Decimal("100.00"), Decimal("249.99")),
    (Decimal("250.00"), Decimal("499.99")),
    (Decimal("500.00"), None),
)
FACETS_CACHE_SECONDS = 60
FACETS_CACHE_KEY = "gigs:browse-facets"
COUNT_CACHE_KEY = "gigs:browse-count"


@dataclass(frozen=True)
class Level:
    key: str
    label: "str | Promise"  # translated when shown


LEVELS = (
    (50, Decimal("4.7"), Level("top_rated", _("Top rated seller"))),
    (10, Decimal("4.5"), Level("level_2", _("Level 2 seller"))),
    (1, Decimal("0"), Level("level_1", _("Level 1 seller"))),
)
NEW_SELLER = Level("new", _("New seller"))


def seller_level(orders_completed: int | None, rating: Decimal | None) -> Level:
    """A seller's level from the orders they completed across their services and the service's rating."""
    for orders, least_rating, level in LEVELS:
        if (orders_completed or 0) >= orders and (rating or Decimal(0)) >= least_rating:
            return level
    return NEW_SELLER


# --- who sees what ------------------------------------------------------------------------------


def services_visible_to(user: User | AnonymousUser) -> QuerySet[Service]:
    """Active services for everyone, and the seller's own in any status."""
    if user.is_authenticated:
        return Service.objects.filter(Q(status=ServiceStatus.ACTIVE) | Q(seller=user))
    return Service.objects.filter(status=ServiceStatus.ACTIVE)


def _mine(params: dict[str, Any]) -> bool:
    return str(params.get("seller") or "") == "me"


# --- browse and search --------------------------------------------------------------------------


def _filtered(user: User | AnonymousUser, params: dict[str, Any], *, skip: str = "") -> QuerySet[Service]:
    """The services the filters select, unordered. `skip` leaves out one filter (a facet counts what its
    own choices would select among what the other filters select)."""
    seller = str(params.get("seller") or "")
    if seller == "me":
        services = Service.objects.filter(seller=user) if user.is_authenticated else Service.objects.none()
    else:
        services = Service.objects.filter(status=ServiceStatus.ACTIVE)
        if seller:
            services = services.filter(seller_id=int(seller)) if seller.isdigit() else services.none()
    if skip != "category" and (category := params.get("category")):
        services = services.filter(Q(category__slug=category) | Q(category__name__iexact=category))
    skills = _names(params.get("skills"))
    if skills:
        services = services.filter(Exists(Service.skills.through.objects.filter(
            service_id=OuterRef("pk"), skill__slug__in=[slugify(name) for name in skills])))
    if skip != "price":
        if (low := _decimal(params.get("min_price"))) is not None:
            services = services.filter(price_from__gte=low)
        if (high := _decimal(params.get("max_price"))) is not None:
            services = services.filter(price_from__lte=high)
    if skip != "delivery" and str(params.get("delivery_days") or "").isdigit():
        services = services.filter(fastest_delivery_days__lte=int(params["delivery_days"]))
    search = _search_text(params)
    if search:
        if connection.vendor == "postgresql":
            from django.contrib.postgres.search import SearchQuery

            services = services.filter(search_vector=SearchQuery(search, search_type="websearch", config="english"))
        else:
            for word in search.split()[:8]:
                services = services.filter(Q(title__icontains=word) | Q(description__icontains=word)
                                           | Q(skills_text__icontains=word))
    return services


def _search_text(params: dict[str, Any]) -> str:
    return str(params.get("search") or "").strip()[:200]


def ordering_of(params: dict[str, Any]) -> str:
    search = _search_text(params)
    ordering = str(params.get("ordering") or "")
    if ordering not in ORDERINGS or (ordering == "relevance" and not search):
        ordering = "relevance" if search else "newest"
    return ordering


def service_filtered(*, user: User | AnonymousUser, params: dict[str, Any]) -> QuerySet[Service]:
    """`GET /api/services` and `/services/`: filtered and ordered, without the list data (see `with_list_data`).

    `search` (full text of title, skills and description), `category` (slug or name), `skills` (any of, comma
    separated), `min_price` and `max_price` (the "from" price), `delivery_days` (a package delivered within that
    many days), `seller` (an id, or `me` for the caller's own in every status), `ordering` (relevance when
    searching, newest, price, -price, rating)."""
    services = _filtered(user, params)
    ordering = ordering_of(params)
    if ordering == "relevance" and connection.vendor == "postgresql":
        from django.contrib.postgres.search import SearchQuery, SearchRank

        query = SearchQuery(_search_text(params), search_type="websearch", config="english")
        # Rank a bounded candidate set (the newest matches), not every match of a common word.
        candidates = services.order_by("-published_at", "-id").values("pk")[:SEARCH_CANDIDATES]
        return Service.objects.filter(pk__in=Subquery(candidates)).annotate(
            rank=SearchRank(F("search_vector"), query)).order_by("-rank", "-published_at", "-id")
    orderings: dict[str, list[str | OrderBy]] = {
        "newest": ["-published_at", "-id"],
        "price": ["price_from", "id"],
        "-price": [F("price_from").desc(nulls_last=True), "-id"],
        "rating": [F("rating_avg").desc(nulls_last=True), "-rating_count", "-id"],
    }
    order_by = orderings.get(ordering, ["-published_at", "-id"])
    if _mine(params) and ordering == "newest":
        order_by = ["-created_at", "-id"]  # drafts have no publication date
    return services.order_by(*order_by)


def with_list_data(services: QuerySet[Service]) -> QuerySet[Service]:
    """What a card shows beside the service's own row: the seller, the category, the first picture (`cover`),
    the skills, and the orders the seller completed across their services (for their level)."""
    cover = ServiceImage.objects.filter(service=OuterRef("pk")).order_by("position", "id").values("image")[:1]
    seller_orders = (Service.objects.filter(seller=OuterRef("seller_id")).order_by().values("seller")
                     .annotate(n=Sum("orders_completed")).values("n"))
    return (
        services.select_related("seller", "category")
        .only(*SERVICE_LIST_FIELDS)
        .prefetch_related("skills")
        .annotate(cover=Subquery(cover),
                  seller_orders=Coalesce(Subquery(seller_orders, output_field=IntegerField()), Value(0)))
    )


# A list row as `values()` reads it: the card's columns with the seller's and the category's (the same joins as
# `with_list_data`), written by `gigs.api.serializers.service_rows` without a model instance per row.
SERVICE_ROW_FIELDS = (
    "id", "title", "status", "currency", "price_from", "fastest_delivery_days", "rating_avg", "rating_count",
    "orders_completed", "created_at", "updated_at", "published_at",
    *(f"seller__{name}" for name in PERSON_FIELDS), "category__name", "category__slug",
)


def with_list_rows(services: QuerySet[Service]) -> QuerySet:
    """`with_list_data` as `values()` dictionaries: the same row, seller, category, cover and seller's orders in
    one query, without the skills (`with_skill_names` adds them to a page in a second query)."""
    cover = ServiceImage.objects.filter(service=OuterRef("pk")).order_by("position", "id").values("image")[:1]
    seller_orders = (Service.objects.filter(seller=OuterRef("seller_id")).order_by().values("seller")
                     .annotate(n=Sum("orders_completed")).values("n"))
    return services.annotate(
        cover=Subquery(cover), seller_orders=Coalesce(Subquery(seller_orders, output_field=IntegerField()), Value(0)),
    ).values(*SERVICE_ROW_FIELDS, "cover", "seller_orders")


def with_skill_names(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The page's rows, each with `skills`: its skills' names in the skills' own order (by name), in one query."""
    skills: dict[int, list[str]] = {row["id"]: [] for row in rows}
    if skills:
        for service_id, name in prepared_rows("gigs:service-skills", _service_skills_query, ids=list(skills)):
            skills[service_id].append(name)
    return [{**row, "skills": skills[row["id"]]} for row in rows]


def _service_skills_query(ids: list[int]) -> QuerySet:
    return (Service.skills.through.objects.filter(service_id__in=ids).order_by("skill__name", "skill_id")
            .values_list("service_id", "skill__name"))


def service_rows_by_ids(ids: list[int]) -> list[dict[str, Any]]:
    """A page's rows (`with_list_rows`, with their skills) in the order of `ids`, the SQL compiled once per
    process (`core.prepared`): building the row query with its joins and subqueries costs more than running
    it, so a page is its ids (the filters and order, built per request) and then these two fixed queries."""
    if not ids:
        return []
    rows = prepared_rows("gigs:service-rows", _service_rows_query, ids=ids)
    by_id = {row["id"]: row for row in rows}
    return with_skill_names([by_id[pk] for pk in ids if pk in by_id])


def _service_rows_query(ids: list[int]) -> QuerySet:
    return with_list_rows(Service.objects.filter(pk__in=ids)).order_by()


def service_count(*, user: User | AnonymousUser, params: dict[str, Any], services: QuerySet[Service]) -> int:
    """The `count` of a list: exact; a search by relevance ranks at most SEARCH_CANDIDATES. Browsing with no
    filter at all reads the count kept with the facets (for up to a minute, or until a service changes):
    counting every active service on each page costs more than the page."""
    if not any(params.get(name) for name in FILTERS):
        kept = cache.get_or_set(COUNT_CACHE_KEY, lambda: services.order_by().count(), FACETS_CACHE_SECONDS)
        return kept if kept is not None else services.order_by().count()
    return services.order_by().count()


# --- facets -------------------------------------------------------------------------------------


def service_facets(*, user: User | AnonymousUser, params: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """Counts beside the filters: per category, per delivery time and per price range. Each facet counts among
    the services the other filters select, so its numbers say what choosing one of its entries would show.
    Browsing with no filter at all reads the counts kept for up to a minute, or until a service changes."""
    if not any(params.get(name) for name in FILTERS):
        kept = cache.get_or_set(FACETS_CACHE_KEY, lambda: _facets(user, {}), FACETS_CACHE_SECONDS)
        return kept if kept is not None else _facets(user, {})
    return _facets(user, params)


def _facets(user: User | AnonymousUser, params: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    by_category = dict(_filtered(user, params, skip="category").order_by().values_list("category_id")
                       .annotate(n=Count("pk")).values_list("category_id", "n"))
    categories = [{"slug": category.slug, "name": category.name, "count": by_category.get(category.pk, 0)}
                  for category in Category.objects.order_by("name")]
    delivery = _filtered(user, params, skip="delivery").aggregate(**{
        f"d{days}": Count("pk", filter=Q(fastest_delivery_days__lte=days)) for days in DELIVERY_BUCKETS})
    price_counts = _filtered(user, params, skip="price").aggregate(**{
        f"p{index}": Count("pk", filter=_price_range(low, high)) for index, (low, high) in enumerate(PRICE_BUCKETS)})
    return {
        "categories": categories,
        "delivery_days": [{"delivery_days": days, "count": delivery[f"d{days}"]} for days in DELIVERY_BUCKETS],
        "price": [{"min_price": _text(low), "max_price": _text(high), "count": price_counts[f"p{index}"]}
                  for index, (low, high) in enumerate(PRICE_BUCKETS)],
    }


def _price_range(low: Decimal | None, high: Decimal | None) -> Q:
    query = Q(price_from__isnull=False)
    if low is not None:
        query &= Q(price_from__gte=low)
    if high is not None:
        query &= Q(price_from__lte=high)
    return query


def _text(amount: Decimal | None) -> str | None:
    return None if amount is None else f"{amount:.2f}"


# --- one service --------------------------------------------------------------------------------


def service_get(*, user: User | AnonymousUser, pk: int) -> Service | None:
    """The service with its packages (cheapest first), extras, gallery and skills, if `user` may see it."""
    seller_orders = (Service.objects.filter(seller=OuterRef("seller_id")).order_by().values("seller")
                     .annotate(n=Sum("orders_completed")).values("n"))
    return (
        services_visible_to(user)
        .select_related("seller", "category")
        .prefetch_related(
            "skills",
            Prefetch("packages", queryset=ServicePackage.objects.order_by("price", "id")),
            Prefetch("extras", queryset=ServiceExtra.objects.order_by("id")),
            Prefetch("images", queryset=ServiceImage.objects.order_by("position", "id")),
        )
        .annotate(seller_orders=Coalesce(Subquery(seller_orders, output_field=IntegerField()), Value(0)))
        .filter(pk=pk)
        .first()
    )


def packages_by_tier(service: Service) -> list[ServicePackage | None]:
    """The service's packages in tier order, None where a tier is not offered (for the comparison table)."""
    by_tier = {package.tier: package for package in service.packages.all()}
    return [by_tier.get(tier) for tier in ("basic", "standard", "premium")]


def seller_services(*, seller: User, exclude: int | None = None, limit: int = 4) -> list[Service]:
    """A few more active services of the same seller, for the service page."""
    services = Service.objects.filter(seller=seller, status=ServiceStatus.ACTIVE)
    if exclude is not None:
        services = services.exclude(pk=exclude)
    return list(with_list_data(services.order_by("-published_at", "-id"))[:limit])
