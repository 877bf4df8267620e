"""Scoring freelancer-project pairs in bulk, and keeping the `Match` table fresh when either side changes.

A pair is a match when the freelancer has at least one of the project's skills. Its score, 0-100, adds up:

- skills (55): the project's skills the freelancer has, each weighted by its rarity among open projects
  (inverse document frequency), as a share of all the project's skills' weight;
- text (20): how much the freelancer's headline, bio and portfolio share words with the project's title,
  skills and description (PostgreSQL's English stemming; the cosine of the two sets of stems);
- budget (15): whether the project's budget pays the freelancer's hourly rate (for a fixed price, at least
  `FIXED_PRICE_HOURS` hours of it);
- hires (10): how many freelancers the client has hired before (up to `HIRES_FOR_FULL`).

Refreshing one side reads the other side's candidates in a fixed number of queries and writes its best
`BEST_KEPT` pairs with one upsert, so a request for recommendations only reads the table.
"""

import math
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import connection, transaction
from django.db.models import Count, Q

from accounts.models import User, UserType
from contracts.models import Contract
from marketplace.models import Project, ProjectStatus, Visibility

from .models import Match

SKILLS_POINTS, TEXT_POINTS, BUDGET_POINTS, HIRES_POINTS = 55, 20, 15, 10
FIXED_PRICE_HOURS = 10  # a fixed-price project fits a rate when its budget pays at least this many hours
HIRES_FOR_FULL = 5
TEXT_FULL_AT = 0.4  # a cosine of this or more earns every text point
BEST_KEPT = 500  # each refresh keeps its side's best pairs only: nobody pages past a few hundred matches


@dataclass(frozen=True)
class Side:
    """What scoring needs of a freelancer."""

    pk: int
    skills: frozenset[int]
    words: frozenset[str]
    rate: Decimal | None


@dataclass(frozen=True)
class ProjectSide:
    """What scoring needs of a project."""

    pk: int
    skills: frozenset[int]
    words: frozenset[str]
    budget_type: str
    budget_max: Decimal
    client_id: int


def _open_public() -> Q:
    return Q(status=ProjectStatus.OPEN, visibility=Visibility.PUBLIC)


# --- reading the two sides ----------------------------------------------------------------------

_FREELANCER_WORDS = """
    SELECT u.id, tsvector_to_array(to_tsvector('english',
        coalesce(u.headline, '') || ' ' || coalesce(u.bio, '') || ' ' || coalesce((
            SELECT string_agg(p.title || ' ' || p.description, ' ')
            FROM marketplace_portfolioitem p WHERE p.freelancer_id = u.id), '')))
    FROM accounts_user u WHERE u.id = ANY(%s)
"""


def _freelancer_words(ids: list[int]) -> dict[int, frozenset[str]]:
    if not ids:
        return {}
    if connection.vendor != "postgresql":
        users = User.objects.filter(pk__in=ids).values_list("pk", "headline", "bio")
        return {pk: frozenset(f"{headline} {bio}".lower().split()) for pk, headline, bio in users}
    with connection.cursor() as cursor:
        cursor.execute(_FREELANCER_WORDS, [ids])
        return {pk: frozenset(words or ()) for pk, words in cursor.fetchall()}


def _project_words(ids: list[int]) -> dict[int, frozenset[str]]:
    if not ids:
        return {}
    if connection.vendor != "postgresql":
        rows = Project.objects.filter(pk__in=ids).values_list("pk", "title", "skills_text", "description")
        return {pk: frozenset(" ".join(texts).lower().split()) for pk, *texts in rows}
    with connection.cursor() as cursor:
        cursor.execute("SELECT id, tsvector_to_array(coalesce(search_vector, ''::tsvector)) "
                       "FROM marketplace_project WHERE id = ANY(%s)", [ids])
        return {pk: frozenset(words or ()) for pk, words in cursor.fetchall()}


def _skills_of(through: Any, owner: str, ids: list[int]) -> dict[int, set[int]]:
    skills: dict[int, set[int]] = defaultdict(set)
    for owner_id, skill_id in through.objects.filter(**{f"{owner}__in": ids}).values_list(owner, "skill_id"):
        skills[owner_id].add(skill_id)
    return skills


def freelancers(ids: list[int]) -> list[Side]:
    rows = list(User.objects.filter(pk__in=ids, user_type=UserType.FREELANCER, is_active=True)
                .values_list("pk", "hourly_rate"))
    found = [pk for pk, _ in rows]
    skills = _skills_of(User.skills.through, "user_id", found)
    words = _freelancer_words(found)
    return [Side(pk, frozenset(skills[pk]), words.get(pk, frozenset()), rate) for pk, rate in rows]


def projects(ids: list[int]) -> list[ProjectSide]:
    rows = list(Project.objects.filter(_open_public(), pk__in=ids)
                .values_list("pk", "budget_type", "budget_max", "client_id"))
    found = [row[0] for row in rows]
    skills = _skills_of(Project.skills.through, "project_id", found)
    words = _project_words(found)
    return [ProjectSide(pk, frozenset(skills[pk]), words.get(pk, frozenset()), budget_type, budget_max, client)
            for pk, budget_type, budget_max, client in rows]


@dataclass(frozen=True)
class Context:
    """What every pair's score shares: how rare each skill is, and how often each client hired."""

    skill_weight: dict[int, float]
    hires: dict[int, int]


def context_for(skill_ids: set[int], client_ids: set[int]) -> Context:
    open_projects = Project.objects.filter(_open_public())
    total = open_projects.count()
    # The django plugin does not follow annotations on an auto-created through model: `n` is there.
    counts = dict(Project.skills.through.objects.filter(  # type: ignore[misc]
        skill_id__in=skill_ids, project__in=open_projects,
    ).values("skill_id").annotate(n=Count("project_id")).values_list("skill_id", "n"))
    weight = {skill: math.log((1 + total) / (1 + counts.get(skill, 0))) + 1 for skill in skill_ids}
    hires = dict(Contract.objects.filter(client_id__in=client_ids).values("client_id")
                 .annotate(n=Count("pk")).values_list("client_id", "n"))
    return Context(skill_weight=weight, hires=hires)


# --- scoring ------------------------------------------------------------------------------------


def budget_fit(project: ProjectSide, rate: Decimal | None) -> float | None:
    """1.0 when the budget pays the rate, less in proportion when it falls short; None without a rate."""
    if rate is None or rate <= 0:
        return None
    needed = rate if project.budget_type == "hourly" else rate * FIXED_PRICE_HOURS
    return 1.0 if project.budget_max >= needed else float(project.budget_max / needed)


def text_similarity(a: frozenset[str], b: frozenset[str]) -> float:
    if not a or not b:
        return 0.0
    return len(a & b) / math.sqrt(len(a) * len(b))


def score(freelancer: Side, project: ProjectSide, context: Context) -> tuple[int, dict[str, Any]] | None:
    """The pair's score and the facts behind it, or None when they share no skill."""
    shared = freelancer.skills & project.skills
    if not shared:
        return None
    total_weight = sum(context.skill_weight.get(skill, 1.0) for skill in project.skills)
    skills_part = sum(context.skill_weight.get(skill, 1.0) for skill in shared) / total_weight
    text = text_similarity(freelancer.words, project.words)
    fit = budget_fit(project, freelancer.rate)
    hires = context.hires.get(project.client_id, 0)
    points = (SKILLS_POINTS * skills_part + TEXT_POINTS * min(1.0, text / TEXT_FULL_AT)
              + BUDGET_POINTS * (0.5 if fit is None else fit) + HIRES_POINTS * min(1.0, hires / HIRES_FOR_FULL))
    facts = {"skills_matched": len(shared), "skills_needed": len(project.skills), "text": round(text, 3),
             "rate_fits": fit == 1.0, "has_rate": fit is not None, "client_hires": hires}
    return max(0, min(100, round(points))), facts


# --- keeping the table fresh --------------------------------------------------------------------


def _best(pairs: list[Match], other: str) -> list[Match]:
    return sorted(pairs, key=lambda pair: (-pair.score, -getattr(pair, other)))[:BEST_KEPT]


def _write(pairs: list[Match], *, stale: Q) -> int:
    with transaction.atomic():
        Match.objects.filter(stale).delete()
        Match.objects.bulk_create(pairs, update_conflicts=True, unique_fields=["freelancer", "project"],
                                  update_fields=["score", "facts", "computed_at"])
    return len(pairs)


def refresh_freelancer(freelancer_id: int) -> int:
    """Scores the freelancer against every open project sharing a skill; drops the pairs that no longer are."""
    found = freelancers([freelancer_id])
    if not found or not found[0].skills:
        Match.objects.filter(freelancer_id=freelancer_id).delete()
        return 0
    freelancer = found[0]
    candidate_ids = list(Project.objects.filter(_open_public(), skills__in=freelancer.skills)
                         .values_list("pk", flat=True).distinct())
    candidates = projects(candidate_ids)
    context = context_for({s for p in candidates for s in p.skills}, {p.client_id for p in candidates})
    pairs = []
    for project in candidates:
        result = score(freelancer, project, context)
        if result is not None:
            pairs.append(Match(freelancer_id=freelancer.pk, project_id=project.pk, score=result[0], facts=result[1]))
    pairs = _best(pairs, "project_id")
    keep = [pair.project_id for pair in pairs]
    return _write(pairs, stale=Q(freelancer_id=freelancer_id) & ~Q(project_id__in=keep))


def refresh_project(project_id: int) -> int:
    """Scores the project against every active freelancer sharing a skill (none when it is not open)."""
    found = projects([project_id])
    if not found or not found[0].skills:
        Match.objects.filter(project_id=project_id).delete()
        return 0
    project = found[0]
    candidate_ids = list(User.objects.filter(user_type=UserType.FREELANCER, is_active=True,
                                             skills__in=project.skills).values_list("pk", flat=True).distinct())
    context = context_for(set(project.skills), {project.client_id})
    pairs = []
    for freelancer in freelancers(candidate_ids):
        result = score(freelancer, project, context)
        if result is not None:
            pairs.append(Match(freelancer_id=freelancer.pk, project_id=project.pk, score=result[0], facts=result[1]))
    pairs = _best(pairs, "freelancer_id")
    keep = [pair.freelancer_id for pair in pairs]
    return _write(pairs, stale=Q(project_id=project_id) & ~Q(freelancer_id__in=keep))


def refresh_all() -> int:
    """Every open project again (skill rarity and clients' hires drift as the marketplace changes)."""
    Match.objects.exclude(project__in=Project.objects.filter(_open_public())).delete()
    return sum(refresh_project(pk) for pk in Project.objects.filter(_open_public()).values_list("pk", flat=True))
