"""Reading discovery: recommendations both ways (from the `Match` table), price guidance, saved searches."""

import logging
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypedDict, cast

from django.db import connection
from django.db.models import (
    Aggregate,
    Case,
    Count,
    DecimalField,
    Exists,
    F,
    FloatField,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Value,
    When,
)
from django.utils.text import slugify

from accounts.models import Skill, User
from marketplace import selectors as marketplace_selectors
from marketplace.models import Project, ProjectStatus, Proposal, ProposalStatus, Visibility

from .models import Match, SavedSearch

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations

    # What the recommendation lists show carries its `Match` (set below) and the pages' figures and reasons. For
    # the type checker only: at run time these are the marketplace's projects and the accounts' users.
    class MatchedProject(Project):
        match: Match
        match_score: int
        match_reasons: list[str]

    class MatchedFreelancer(User):
        match: Match
        match_score: int
        match_reasons: list[str]

    class _Price(TypedDict):
        price: Decimal

# --- recommendations ----------------------------------------------------------------------------


def recommended_for_freelancer(user: User) -> QuerySet[Match]:
    """The freelancer's matches, best first, leaving out projects they proposed on: an index range of the
    `Match` table, which holds open public projects only (a project that closes loses its rows after commit;
    the page's rows are checked again when read)."""
    proposed = Exists(Proposal.objects.filter(project_id=OuterRef("project_id"), freelancer=user))
    return (Match.objects.filter(freelancer=user).exclude(proposed).order_by("-score", "-project_id")
            .only("id", "freelancer_id", "project_id", "score", "facts"))


def recommended_for_project(project: Project) -> QuerySet[Match]:
    """The freelancers matching the project, best first (active ones: checked when the page's rows are read)."""
    return Match.objects.filter(project=project).order_by("-score", "-freelancer_id")


def projects_for_matches(matches: list[Match]) -> "list[MatchedProject]":
    """The matches' open public projects with their list data, each with `match` set, in the matches' order."""
    projects = [cast("MatchedProject", project)
                for project in marketplace_selectors.projects_by_ids([match.project_id for match in matches])
                if project.status == ProjectStatus.OPEN and project.visibility == Visibility.PUBLIC]
    by_id = {match.project_id: match for match in matches}
    for project in projects:
        project.match = by_id[project.pk]
    return projects


def project_rows_for_matches(matches: list[Match]) -> list[tuple[dict[str, Any], Match]]:
    """The matches' open public projects as the project list's rows (`values()` dictionaries, as
    `marketplace.selectors.project_rows_by_ids` reads them), each with its match, in the matches' order."""
    by_id = {match.project_id: match for match in matches}
    return [(row, by_id[row["id"]])
            for row in marketplace_selectors.project_rows_by_ids([match.project_id for match in matches])
            if row["status"] == ProjectStatus.OPEN and row["visibility"] == Visibility.PUBLIC]


def freelancers_for_matches(matches: list[Match]) -> "list[MatchedFreelancer]":
    """The matches' active freelancers as the freelancer list shows them, each with `match` set, in order."""
    ids = [match.freelancer_id for match in matches]
    rows = (marketplace_selectors.with_profile_figures(User.objects.filter(pk__in=ids, is_active=True))
            .prefetch_related("skills").only(*marketplace_selectors.FREELANCER_LIST_FIELDS))
    by_id = {user.pk: cast("MatchedFreelancer", user) for user in rows}
    found = []
    for match in matches:
        if (user := by_id.get(match.freelancer_id)) is not None:
            user.match = match
            found.append(user)
    return found


def project_owned_by(user: User, pk: int) -> Project | None:
    if not user.is_authenticated:
        return None
    return Project.objects.filter(pk=pk, client=user).first()


# --- price guidance -----------------------------------------------------------------------------

QUARTILES = {"low": 0.25, "median": 0.5, "high": 0.75}
MIN_SAMPLE_SHOWN = 5  # pages say nothing below this many prices


class PercentileCont(Aggregate):
    """PostgreSQL's continuous percentile: linear interpolation between the two nearest values."""

    function = "percentile_cont"
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"

    def __init__(self, expression: Any, fraction: float, **extra: Any) -> None:
        super().__init__(expression, fraction=float(fraction), output_field=FloatField(), **extra)


@dataclass(frozen=True)
class PriceGuidance:
    currency: str
    low: Decimal | None
    median: Decimal | None
    high: Decimal | None
    sample_size: int

    @property
    def shown(self) -> bool:
        return self.sample_size >= MIN_SAMPLE_SHOWN


def price_sample(*, category: str = "", skills: list[str] | None = None, budget_type: str = "",
                 currency: str = "usd") -> "QuerySet[WithAnnotations[Proposal, _Price]]":
    """The prices of similar work, one per hire: each accepted proposal's bid, or, for a fixed-price contract
    that completed, the contract's final amount. Similar: the same category, sharing a skill, the same
    budget type (each when given)."""
    proposals = Proposal.objects.filter(status=ProposalStatus.ACCEPTED, currency=currency)
    if category:
        proposals = proposals.filter(Q(project__category__slug=slugify(category))
                                     | Q(project__category__name__iexact=category))
    if skills:
        slugs = [slugify(name) for name in skills if slugify(name)]
        proposals = proposals.filter(Exists(Project.skills.through.objects.filter(
            project_id=OuterRef("project_id"), skill__slug__in=slugs)))
    if budget_type in ("fixed", "hourly"):
        proposals = proposals.filter(project__budget_type=budget_type)
    final = When(project__budget_type="fixed", contract__status="completed", then=F("contract__total_amount"))
    return proposals.annotate(price=Case(final, default=F("bid_amount"),
                                         output_field=DecimalField(max_digits=12, decimal_places=2)))


# The answer for each set of parameters is kept in the cache under the current version token, which
# `services.price_guidance_changed` replaces after a hire is committed (a proposal accepted, a contract completed);
# the TTL is a backstop for changes no signal sees (a project's category edited after its hire, a bulk update).
GUIDANCE_VERSION_KEY = "discovery:price-guidance:version"
GUIDANCE_CACHE_SECONDS = 3600


def guidance_cache_key(*, category: str = "", skills: list[str] | None = None, budget_type: str = "",
                       currency: str = "usd", version: str) -> str:
    """The same key for spellings `price_sample` reads alike: an ASCII category in any case (it is matched by
    slug or case-insensitive name), the skills as their sorted distinct slugs (None when not asked for: no skill
    filter, unlike skills that all slugify to nothing, which match no project), the budget type only when it
    filters. The currency is compared as given, as the sample compares it."""
    import hashlib
    import json

    slugs = sorted({slugify(name) for name in skills if slugify(name)}) if skills else None
    facts = [category.lower() if category.isascii() else category, slugs,
             budget_type if budget_type in ("fixed", "hourly") else "", currency]
    digest = hashlib.sha256(json.dumps(facts).encode()).hexdigest()[:32]
    return f"discovery:price-guidance:{version}:{digest}"


def _guidance_version() -> str:
    """The current version token (a new one when the cache lost it, so answers kept before are never read)."""
    import uuid

    from django.core.cache import cache

    version = cache.get(GUIDANCE_VERSION_KEY)
    if version is None:
        cache.add(GUIDANCE_VERSION_KEY, uuid.uuid4().hex, timeout=None)
        version = cache.get(GUIDANCE_VERSION_KEY)
    return str(version)


def price_guidance(*, category: str = "", skills: list[str] | None = None, budget_type: str = "",
                   currency: str = "usd") -> PriceGuidance:
    """`low`, `median` and `high` are the 25th, 50th and 75th percentiles of the sample (continuous, as
    PostgreSQL's percentile_cont), None when the sample is empty. Kept in the cache (see
    `GUIDANCE_VERSION_KEY`); computed without it when the cache cannot be reached."""
    from django.core.cache import cache

    params: dict[str, Any] = {"category": category, "skills": skills, "budget_type": budget_type,
                              "currency": currency}
    try:
        # The version is read before the figures: an answer computed while a hire commits is kept under the
        # version that the hire's commit replaces, so it is never read again.
        key = guidance_cache_key(**params, version=_guidance_version())
        kept = cache.get(key)
    except Exception:  # the cache is down: answer from the database
        logging.getLogger(__name__).warning("Price guidance computed without the cache", exc_info=True)
        return price_guidance_uncached(**params)
    if kept is not None:
        return PriceGuidance(currency=currency, **kept)
    guidance = price_guidance_uncached(**params)
    try:
        cache.set(key, {"low": guidance.low, "median": guidance.median, "high": guidance.high,
                        "sample_size": guidance.sample_size}, GUIDANCE_CACHE_SECONDS)
    except Exception:
        logging.getLogger(__name__).warning("Price guidance not kept in the cache", exc_info=True)
    return guidance


def price_guidance_uncached(*, category: str = "", skills: list[str] | None = None, budget_type: str = "",
                            currency: str = "usd") -> PriceGuidance:
    """`price_guidance` computed from the database."""
    sample = price_sample(category=category, skills=skills, budget_type=budget_type, currency=currency)
    if connection.vendor != "postgresql":  # SQLite (the embedded default) has no percentile_cont: the same in Python
        return _guidance_in_python(list(sample.values_list("price", flat=True)), currency)
    figures = sample.order_by().aggregate(
        sample_size=Count("pk"), **{name: PercentileCont("price", fraction) for name, fraction in QUARTILES.items()})
    size = figures["sample_size"] or 0

    def money(value: float | None) -> Decimal | None:
        return None if value is None or not size else Decimal(str(value)).quantize(Decimal("0.01"))

    return PriceGuidance(currency=currency, low=money(figures["low"]), median=money(figures["median"]),
                         high=money(figures["high"]), sample_size=size)


def _guidance_in_python(prices: list[Decimal], currency: str) -> PriceGuidance:
    import statistics

    if not prices:
        return PriceGuidance(currency=currency, low=None, median=None, high=None, sample_size=0)
    if len(prices) == 1:
        low = median = high = prices[0]
    else:
        low, median, high = statistics.quantiles([Decimal(price) for price in prices], n=4, method="inclusive")
    cent = Decimal("0.01")
    return PriceGuidance(currency=currency, low=Decimal(low).quantize(cent), median=Decimal(median).quantize(cent),
                         high=Decimal(high).quantize(cent), sample_size=len(prices))


# --- saved searches and skills ------------------------------------------------------------------


def saved_searches_of(user: User) -> QuerySet[SavedSearch]:
    return SavedSearch.objects.filter(user=user).order_by("-created_at", "-id")


def saved_search_get(*, user: User, pk: int) -> SavedSearch | None:
    if not user.is_authenticated:
        return None
    return SavedSearch.objects.filter(user=user, pk=pk).first()


def skills_matching(text: str, *, limit: int = 10) -> QuerySet[Skill]:
    """Skill names for autocomplete: those starting with the text first, then those containing it, then
    (from three letters) those spelled nearly like it."""
    from django.contrib.postgres.search import TrigramWordSimilarity

    text = " ".join(text.split())[:50]
    skills = Skill.objects.all()
    if not text:
        return skills.order_by("name")[:limit]
    near = Q(name__icontains=text)
    if connection.vendor == "postgresql" and len(text) >= 3:
        near |= Q(name__trigram_word_similar=text)
        skills = skills.annotate(similar=TrigramWordSimilarity(text, "name"))
    else:
        skills = skills.annotate(similar=Value(0.0, output_field=FloatField()))
    first = Case(When(name__istartswith=text, then=Value(0)), When(name__icontains=text, then=Value(1)),
                 default=Value(2), output_field=IntegerField())
    return skills.filter(near).annotate(first=first).order_by("first", "-similar", "name")[:limit]
