"""Reading the marketplace: who may see what, search, filters and the figures shown on profiles.

Every list here is one query (plus fixed prefetches) whatever its length: counts and averages are
subqueries, never a query per row.
"""

import time
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib.auth.models import AnonymousUser
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
    Value,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.models import User, UserType
from core.prepared import prepared_rows

from .models import Invite, PortfolioItem, Project, ProjectStatus, Proposal, Review, Visibility

# Who reads a list or a page: signed in, or anyone (the public lists and pages).
Viewer = User | AnonymousUser


def _decimal(value: Any) -> Decimal | None:
    """A filter's amount, or None when it is missing or not an ordinary number (NaN, Infinity, 1e999)."""
    try:
        number = Decimal(str(value)) if value not in (None, "") else None
    except (InvalidOperation, ValueError):
        return None
    if number is None or not number.is_finite() or abs(number) >= Decimal("1e12"):
        return None
    return number


def _names(value: str | list[str] | None) -> list[str]:
    if not value:
        return []
    items = value if isinstance(value, list) else str(value).split(",")
    return [item.strip() for item in items if item and item.strip()]


# --- projects -----------------------------------------------------------------------------------


def projects_visible_to(user: Viewer) -> QuerySet[Project]:
    projects = Project.objects.all()
    if user.is_authenticated and user.is_staff:
        return projects
    public = Q(visibility=Visibility.PUBLIC) & ~Q(status=ProjectStatus.DRAFT)
    if not user.is_authenticated:
        return projects.filter(public)
    involved = Exists(Invite.objects.filter(project=OuterRef("pk"), freelancer=user)) | Exists(
        Proposal.objects.filter(project=OuterRef("pk"), freelancer=user)
    )
    return projects.filter(public | Q(client=user) | (~Q(status=ProjectStatus.DRAFT) & involved))


# What a project list shows of its client and category: never the client's password hash or other private
# columns, and never the search vector.
PERSON_FIELDS = ("id", "first_name", "last_name", "user_type", "headline", "avatar", "company", "country")
PROJECT_LIST_FIELDS = (
    "id", "title", "description", "budget_type", "budget_min", "budget_max", "currency", "deadline", "visibility",
    "status", "is_featured", "created_at", "updated_at", "published_at", "client_id", "category_id",
    *(f"client__{name}" for name in PERSON_FIELDS), "category__id", "category__name", "category__slug",
)
# Search ranks the newest matches only: enough for a relevant first pages, and bounded whatever the word.
SEARCH_CANDIDATES = 500
PROJECT_FILTERS = ("mine", "client", "status", "category", "skills", "budget_min", "budget_max", "budget_type",
                   "featured", "search")


def _private_visible_ids(user: User) -> list[int]:
    """The projects outside the public list that `user` may still see: their own drafts and private
    projects, and private ones they were invited to or proposed on (one query over three small indexed sets)."""
    return prepared_rows("marketplace:private-visible-ids", _private_visible_ids_query, user_id=user.pk)


def _private_visible_ids_query(user_id: int) -> QuerySet:
    public = Q(visibility=Visibility.PUBLIC) & ~Q(status=ProjectStatus.DRAFT)
    hidden = Project.objects.exclude(public).order_by()
    return hidden.filter(client_id=user_id).values_list("pk", flat=True).union(
        hidden.exclude(status=ProjectStatus.DRAFT).filter(invites__freelancer_id=user_id).values_list("pk", flat=True),
        hidden.exclude(status=ProjectStatus.DRAFT).filter(proposals__freelancer_id=user_id)
        .values_list("pk", flat=True),
    )


def _visible_for_lists(user: Viewer) -> QuerySet[Project]:
    """`projects_visible_to`, shaped for lists: the public projects (which the browse index serves), plus the
    few others the user may see by id, instead of a per-row check of every project."""
    if not user.is_authenticated or user.is_staff:
        return projects_visible_to(user)
    public = Q(visibility=Visibility.PUBLIC) & ~Q(status=ProjectStatus.DRAFT)
    private = _private_visible_ids(user)
    return Project.objects.filter(public | Q(pk__in=private)) if private else Project.objects.filter(public)


def project_list(*, user: Viewer, params: dict[str, Any]) -> QuerySet[Project]:
    """Browse and search: `status`, `category`, `skills`, `budget_min`, `budget_max`, `search`, `ordering`,
    `mine` (the caller's own projects), `client` (a client's id). Each project with its list data."""
    return with_list_data(project_filtered(user=user, params=params))


class MergedIds:
    """The ids of a newest-first list made of two ordered parts, for a paginator: the public projects (read
    from the browse index up to the page's end) and the caller's few private ones, merged in Python."""

    def __init__(self, public: QuerySet[Project], private: QuerySet[Project], count: Callable[[], int]) -> None:
        self.public, self.private, self._count = public, private, count

    def count(self) -> int:
        return self._count()

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, page: slice) -> list[int]:
        end = page.stop if page.stop is not None else self.count()
        rows = [*self.public.values_list("published_at", "pk")[:end], *self.private.values_list("published_at", "pk")]
        # The database's own order: PostgreSQL's DESC puts unpublished (NULL) first, SQLite's last.
        nulls_first, unpublished = connection.vendor == "postgresql", timezone.now()
        rows.sort(key=lambda row: ((row[0] is None) == nulls_first, row[0] or unpublished, row[1]), reverse=True)
        return [pk for _, pk in rows][page]


def project_ids(*, user: Viewer, params: dict[str, Any]) -> QuerySet | MergedIds:
    """The ids `GET /api/projects` pages through. A signed-in user's newest-first browsing with private
    projects of their own is merged from two index reads instead of one scan of every project."""
    search = (params.get("search") or "").strip()
    ordering = params.get("ordering") or ("relevance" if search else "newest")
    if user.is_authenticated and not user.is_staff and ordering in ("newest", "-published_at") and not search:
        private = _private_visible_ids(user)
        if private:
            public = project_filtered(user=user, params=params,
                                      base=Project.objects.filter(Q(visibility=Visibility.PUBLIC)
                                                                  & ~Q(status=ProjectStatus.DRAFT)))
            mine = project_filtered(user=user, params=params, base=Project.objects.filter(pk__in=private))

            def count() -> int:
                if any(params.get(name) for name in PROJECT_FILTERS):
                    return public.order_by().count() + mine.order_by().count()
                return _public_count() + len(private)
            return MergedIds(public, mine, count)
    return project_filtered(user=user, params=params).values_list("pk", flat=True)


def project_filtered(*, user: Viewer, params: dict[str, Any],
                     base: QuerySet[Project] | None = None) -> QuerySet[Project]:
    """The projects of `project_list`, filtered and ordered, without the list data: page through its ids
    (`project_ids`), then fetch the page's rows with `project_rows_by_ids`. `base` replaces what the user may see."""
    projects = _visible_for_lists(user) if base is None else base
    if params.get("mine") in ("1", "true", True) and user.is_authenticated:
        projects = projects.filter(client=user)
    if client_id := params.get("client"):
        projects = projects.filter(client_id=client_id) if str(client_id).isdigit() else projects.none()
    status = params.get("status")
    if status in ProjectStatus.values:
        projects = projects.filter(status=status)
    if category := params.get("category"):
        projects = projects.filter(Q(category__slug=category) | Q(category__name__iexact=category))
    skills = _names(params.get("skills"))
    if skills:
        from django.utils.text import slugify

        projects = projects.filter(
            Exists(Project.skills.through.objects.filter(
                project_id=OuterRef("pk"), skill__slug__in=[slugify(name) for name in skills]
            ))
        )
    if (low := _decimal(params.get("budget_min"))) is not None:
        projects = projects.filter(budget_max__gte=low)
    if (high := _decimal(params.get("budget_max"))) is not None:
        projects = projects.filter(budget_min__lte=high)
    if params.get("budget_type") in ("fixed", "hourly"):
        projects = projects.filter(budget_type=params["budget_type"])
    if params.get("featured") in ("1", "true"):
        projects = projects.filter(is_featured=True)

    search = (params.get("search") or "").strip()[:200]
    ordering = params.get("ordering") or ("relevance" if search else "newest")
    if search:
        if connection.vendor == "postgresql":
            from django.contrib.postgres.search import SearchQuery, SearchRank

            query = SearchQuery(search, search_type="websearch", config="english")
            projects = projects.filter(search_vector=query)
            if ordering == "relevance":
                # Rank a bounded candidate set (the newest matches), not every match of a common word.
                candidates = projects.order_by("-published_at", "-id").values("pk")[:SEARCH_CANDIDATES]
                projects = Project.objects.filter(pk__in=Subquery(candidates)).annotate(
                    rank=SearchRank(F("search_vector"), query))
        else:
            for word in search.split()[:8]:
                projects = projects.filter(
                    Q(title__icontains=word) | Q(description__icontains=word) | Q(skills_text__icontains=word)
                )
    orderings: dict[str, list[str | OrderBy]] = {
        "newest": ["-published_at", "-id"],
        "-published_at": ["-published_at", "-id"],
        "oldest": ["published_at", "id"],
        "budget": ["budget_max", "id"],
        "budget_max": ["budget_max", "id"],
        "-budget": ["-budget_max", "-id"],
        "-budget_max": ["-budget_max", "-id"],
        "deadline": [F("deadline").asc(nulls_last=True), "id"],
        "proposals": ["proposal_count", "-id"],
        "-proposals": ["-proposal_count", "-id"],
    }
    order_by = orderings.get(ordering)
    if ordering in ("proposals", "-proposals"):
        projects = projects.annotate(proposal_count=_proposal_count())
    if ordering == "relevance" and search and connection.vendor == "postgresql":
        order_by = ["-rank", "-published_at", "-id"]
    return projects.order_by(*(order_by or ["-published_at", "-id"]))


# The public count is at most a minute old (the API's documented `count`): kept in the shared cache for
# PUBLIC_COUNT_SHARED seconds, and by each process for PUBLIC_COUNT_LOCAL more, so most pages make no round
# trip to the cache either.
PUBLIC_COUNT_SHARED, PUBLIC_COUNT_LOCAL = 50, 10
_public_count_memo: tuple[float, int] | None = None


def _public_count() -> int:
    from django.core.cache import cache

    global _public_count_memo
    now = time.monotonic()
    if _public_count_memo is not None and now - _public_count_memo[0] < PUBLIC_COUNT_LOCAL:
        return _public_count_memo[1]
    public = Project.objects.filter(visibility=Visibility.PUBLIC).exclude(status=ProjectStatus.DRAFT)
    count = cache.get_or_set("marketplace:public-project-count", lambda: public.count(), PUBLIC_COUNT_SHARED)
    count = count if count is not None else public.count()
    _public_count_memo = (now, count)
    return count


def public_count_forget() -> None:
    """Drops this process's copy of the public count (tests that clear the cache start from nothing)."""
    global _public_count_memo
    _public_count_memo = None


def project_filtered_count(*, user: Viewer, params: dict[str, Any], projects: QuerySet | MergedIds) -> int:
    """The `count` of a project list: exact, except when browsing with no filter at all, where the public part
    is the count kept for a minute (counting every public project on each page costs more than the page)."""
    if isinstance(projects, MergedIds):
        return projects.count()
    search = (params.get("search") or "").strip()
    if search and connection.vendor == "postgresql" and (params.get("ordering") or "relevance") == "relevance":
        return projects.order_by().count()  # the ranked candidates: at most SEARCH_CANDIDATES
    if (user.is_authenticated and user.is_staff) or any(params.get(name) for name in PROJECT_FILTERS):
        return projects.order_by().count()
    return _public_count() + (len(_private_visible_ids(user)) if user.is_authenticated else 0)


PROJECT_ROW_FIELDS = (
    "id", "title", "description", "budget_type", "budget_min", "budget_max", "currency", "deadline", "visibility",
    "status", "is_featured", "created_at", "updated_at", "published_at", "category__slug", "category__name",
    *(f"client__{name}" for name in PERSON_FIELDS),
)


def projects_by_ids(ids: list[int]) -> list[Project]:
    """The projects of one page as model rows (for pages that add to each, like best matches), in the order of
    `ids`, with their list data and only the columns lists show."""
    rows = with_list_data(Project.objects.filter(pk__in=ids)).only(*PROJECT_LIST_FIELDS)
    by_id = {project.pk: project for project in rows}
    return [by_id[pk] for pk in ids if pk in by_id]


def project_rows_by_ids(ids: list[int]) -> list[dict[str, Any]]:
    """The rows of one page as `values()` dictionaries, in the order of `ids`: the project with its client,
    category and proposal count in one query, and `skills` (names, as the skill's own order) in a second."""
    if not ids:
        return []
    # Compiled once per process (core.prepared): building these querysets costs more than running them.
    rows = prepared_rows("marketplace:project-rows", _project_rows_query, ids=ids)
    skills: dict[int, list[str]] = {pk: [] for pk in ids}
    for project_id, name in prepared_rows("marketplace:project-skills", _project_skills_query, ids=ids):
        skills[project_id].append(name)
    by_id = {row["id"]: {**row, "skills": skills[row["id"]]} for row in rows}
    return [by_id[pk] for pk in ids if pk in by_id]


def _project_rows_query(ids: list[int]) -> QuerySet:
    return (Project.objects.filter(pk__in=ids).annotate(proposal_count=_proposal_count()).order_by()
            .values(*PROJECT_ROW_FIELDS, "proposal_count"))


def _project_skills_query(ids: list[int]) -> QuerySet:
    return (Project.skills.through.objects.filter(project_id__in=ids).order_by("skill__name", "skill_id")
            .values_list("project_id", "skill__name"))


def _proposal_count() -> Coalesce:
    proposal_count = (
        Proposal.objects.filter(project=OuterRef("pk")).exclude(status="withdrawn").order_by()
        .values("project").annotate(n=Count("pk")).values("n")
    )
    return Coalesce(Subquery(proposal_count, output_field=IntegerField()), Value(0))


def with_list_data(projects: QuerySet[Project]) -> QuerySet[Project]:
    projects = projects.select_related("client", "category").prefetch_related("skills")
    if "proposal_count" in projects.query.annotations:
        return projects
    return projects.annotate(proposal_count=_proposal_count())


def project_get(*, user: Viewer, pk: int) -> Project | None:
    return (
        with_list_data(projects_visible_to(user))
        .prefetch_related("attachments")
        .filter(pk=pk)
        .first()
    )


# --- proposals ----------------------------------------------------------------------------------


def proposals_visible_to(user: User) -> QuerySet[Proposal]:
    """Freelancers see their own proposals, clients those on their projects, staff all."""
    # The freelancer's rating as kept on their account (marketplace/ratings.py), as their profile shows it.
    proposals = (
        Proposal.objects.select_related("project", "project__client", "freelancer")
        .prefetch_related("attachments")
        .annotate(freelancer_rating=F("freelancer__rating_avg"), freelancer_review_count=F("freelancer__rating_count"))
    )
    if user.is_staff:
        return proposals
    return proposals.filter(Q(freelancer=user) | Q(project__client=user))


def proposal_list(*, user: User, params: dict[str, Any]) -> QuerySet[Proposal]:
    proposals = proposals_visible_to(user)
    if project := params.get("project") or params.get("project_id"):
        proposals = proposals.filter(project_id=project) if str(project).isdigit() else proposals.none()
    if params.get("status") in ("submitted", "shortlisted", "accepted", "rejected", "withdrawn"):
        proposals = proposals.filter(status=params["status"])
    ordering = {"newest": ["-created_at", "-id"], "bid": ["bid_amount", "id"], "-bid": ["-bid_amount", "-id"],
                "duration": ["estimated_duration_days", "id"]}.get(params.get("ordering") or "newest")
    return proposals.order_by(*(ordering or ["-created_at", "-id"]))


# --- people -------------------------------------------------------------------------------------


def visible_reviews() -> QuerySet[Review]:
    """Reviews anyone may read: both parties wrote theirs, or the blind period is over."""
    return Review.objects.filter(visible_from__lte=timezone.now())


def with_profile_figures(users: QuerySet[User]) -> QuerySet[User]:
    """Average rating and review count (kept on the account, `marketplace.ratings`), and completed contracts as
    one subquery."""
    completed = (
        User.objects.filter(pk=OuterRef("pk"))
        .annotate(n=Count("freelancer_contracts", filter=Q(freelancer_contracts__status="completed")))
        .values("n")
    )
    return users.annotate(
        review_count=F("rating_count"),
        completed_contracts=Subquery(completed, output_field=IntegerField()),
    )


# What the freelancer list shows: never the password hash, e-mail or other private columns.
# The rating is a column of the account; the review count and completed contracts are `with_profile_figures`.
FREELANCER_LIST_FIELDS = ("id", "first_name", "last_name", "headline", "bio", "avatar", "country", "timezone",
                          "hourly_rate", "available", "date_joined", "rating_avg")


def freelancer_search(params: dict[str, Any]) -> QuerySet[User]:
    """`search` (name, headline, bio, skills), `skills`, `min_rate`, `max_rate`, `min_rating`, `country`,
    `available`, `ordering` (rating, -rating, rate, -rate, newest, relevance)."""
    users = User.objects.filter(user_type=UserType.FREELANCER, is_active=True)
    skills = _names(params.get("skills"))
    if skills:
        from django.utils.text import slugify

        for slug in {slugify(name) for name in skills}:
            users = users.filter(
                Exists(User.skills.through.objects.filter(user_id=OuterRef("pk"), skill__slug=slug))
            )
    if (low := _decimal(params.get("min_rate"))) is not None:
        users = users.filter(hourly_rate__gte=low)
    if (high := _decimal(params.get("max_rate"))) is not None:
        users = users.filter(hourly_rate__lte=high)
    if country := (params.get("country") or "").strip():
        users = users.filter(country__iexact=country[:2])
    if params.get("available") in ("true", "1", True):
        users = users.filter(available=True)
    elif params.get("available") in ("false", "0", False):
        users = users.filter(available=False)
    users = with_profile_figures(users)
    if (min_rating := _decimal(params.get("min_rating"))) is not None:
        users = users.filter(rating_avg__gte=min_rating)

    search = (params.get("search") or "").strip()[:200]
    ordering = params.get("ordering") or ("relevance" if search else "-rating")
    if search:
        skill_match = Exists(User.skills.through.objects.filter(user_id=OuterRef("pk"),
                                                                skill__name__icontains=search))
        if connection.vendor == "postgresql":
            from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector

            vector = (SearchVector("first_name", "last_name", weight="A", config="english")
                      + SearchVector("headline", weight="A", config="english")
                      + SearchVector("bio", weight="B", config="english"))
            query = SearchQuery(search, search_type="websearch", config="english")
            users = users.annotate(search=vector, rank=SearchRank(vector, query)).filter(Q(search=query) | skill_match)
        else:
            match = Q()
            for word in search.split()[:8]:
                match &= (Q(first_name__icontains=word) | Q(last_name__icontains=word) | Q(headline__icontains=word)
                          | Q(bio__icontains=word))
            users = users.filter(match | skill_match)
    orderings: dict[str, list[str | OrderBy]] = {
        "rating": [F("rating_avg").asc(nulls_first=True), "id"],
        # As the index user_freelancer_rating_idx reads them.
        "-rating": [F("rating_avg").desc(nulls_last=True), F("rating_count").desc(), "id"],
        "rate": [F("hourly_rate").asc(nulls_last=True), "id"],
        "-rate": [F("hourly_rate").desc(nulls_last=True), "id"],
        "newest": ["-date_joined", "-id"],
    }
    order_by = orderings.get(ordering)
    if ordering == "relevance" and search and connection.vendor == "postgresql":
        order_by = ["-rank", "id"]
    return users.prefetch_related("skills").order_by(*(order_by or ["id"]))


def skill_names_of(user_ids: list[int]) -> dict[int, list[str]]:
    """{user id: their skills' names, in the skills' own order}, in one query (compiled once, core.prepared)."""
    names: dict[int, list[str]] = {pk: [] for pk in user_ids}
    if user_ids:
        for user_id, name in prepared_rows("marketplace:user-skills", _user_skills_query, ids=list(user_ids)):
            names[user_id].append(name)
    return names


def _user_skills_query(ids: list[int]) -> QuerySet:
    return (User.skills.through.objects.filter(user_id__in=ids).order_by("skill__name", "skill_id")
            .values_list("user_id", "skill__name"))


def freelancer_rows_by_ids(ids: list[int]) -> list[dict[str, Any]]:
    """The freelancer list's rows of one page (`FREELANCER_LIST_FIELDS` with the review count and completed
    contracts) as `values()` dictionaries in the order of `ids`, in one query compiled once (core.prepared).
    Someone deactivated or no longer a freelancer since the page's ids were read is left out."""
    if not ids:
        return []
    rows = prepared_rows("marketplace:freelancer-rows", _freelancer_rows_query, ids=ids)
    by_id = {row["id"]: row for row in rows}
    return [by_id[pk] for pk in ids if pk in by_id]


def _freelancer_rows_query(ids: list[int]) -> QuerySet:
    users = User.objects.filter(pk__in=ids, user_type=UserType.FREELANCER, is_active=True)
    return with_profile_figures(users).order_by().values(*FREELANCER_LIST_FIELDS, "review_count",
                                                          "completed_contracts")


def freelancer_get(pk: int) -> User | None:
    """One freelancer's profile, with the rating kept on their account (`rating_avg`, and `review_count` from
    `rating_count`), as the freelancer list shows it: the reviews are not averaged per request. A review
    revealed by time counts once the hourly task has run (`marketplace.ratings`)."""
    return with_profile_figures(
        User.objects.filter(user_type=UserType.FREELANCER, is_active=True)
    ).prefetch_related(
        "skills", Prefetch("portfolio", queryset=PortfolioItem.objects.prefetch_related("images"))
    ).filter(pk=pk).first()


def client_figures(client: User) -> dict[str, Any]:
    posted = Project.objects.filter(client=client).exclude(status=ProjectStatus.DRAFT)
    total = posted.count()
    hired = posted.filter(contract__isnull=False).count()
    return {
        "projects_posted": total,
        "hire_rate": round(hired * 100 / total) if total else None,
    }


def with_contract_titles(reviews: QuerySet[Review]) -> QuerySet[Review]:
    """Each review with `contract_title`, the title of the contract it is about (through the project's contract)."""
    titles = Project.objects.filter(contract__pk=OuterRef("contract_id")).values("contract__title")[:1]
    return reviews.annotate(contract_title=Subquery(titles))


def reviews_for(*, reviewee_id: int | None = None, viewer: User | None = None) -> QuerySet[Review]:
    reviews = Review.objects.select_related("reviewer", "reviewee")
    visible = Q(visible_from__lte=timezone.now())
    if viewer is not None and viewer.is_authenticated:
        visible |= Q(reviewer=viewer)  # your own review is always yours to see
        if viewer.is_staff:
            visible = Q()
    reviews = reviews.filter(visible)
    if reviewee_id is not None:
        reviews = reviews.filter(reviewee_id=reviewee_id)
    return reviews.order_by("-created_at", "-id")
