"""Search that forgives a typo: when full-text search finds nothing, each word is looked up among the words of
public project titles and skill names spelled nearly like it (pg_trgm's word similarity, served by the GIN
trigram indexes on both), and replaced by the one at one edit from it (a letter changed, missing, added, or two
neighbours swapped). The corrected words are searched instead, and offered as "Did you mean …".

Only a search that found nothing pays for this: full text answers every other search as before.
"""

import re
from collections import Counter

from django.db import connection, transaction
from django.db.models import Q

from accounts.models import Skill

from .models import Project, ProjectStatus, Visibility

WORD = re.compile(r"[^\W_]+", re.UNICODE)
MIN_LENGTH = 4  # shorter words have too few letters for one typo to say which word was meant
MAX_WORDS = 6
CANDIDATES = 200  # titles and skill names read per search, the most similar first
SIMILARITY = "0.3"  # word similarity threshold for candidates (pg_trgm's default, 0.6, misses swapped letters)


def edit_distance(a: str, b: str, *, limit: int = 2) -> int:
    """Optimal string alignment distance (insertions, deletions, substitutions, adjacent swaps), capped at
    `limit` (anything further is `limit`)."""
    if abs(len(a) - len(b)) >= limit:
        return limit
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, start=1):
        current = [i] + [0] * len(b)
        for j, char_b in enumerate(b, start=1):
            cost = 0 if char_a == char_b else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and char_a == b[j - 2] and a[i - 2] == char_b:
                current[j] = min(current[j], previous2[j - 2] + 1)
        if min(current) >= limit:
            return limit
        previous2, previous = previous, current
    return min(previous[-1], limit)


def _vocabulary(words: list[str]) -> Counter[str]:
    """The words of public titles and skill names that look like any of `words`, with how often they occur."""
    near_title, near_skill = Q(), Q()
    for word in words:
        near_title |= Q(title__trigram_word_similar=word)
        near_skill |= Q(name__trigram_word_similar=word)
    public = Q(visibility=Visibility.PUBLIC) & ~Q(status=ProjectStatus.DRAFT)
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config('pg_trgm.word_similarity_threshold', %s, true)", [SIMILARITY])
        titles = list(Project.objects.filter(public & near_title).order_by().values_list("title", flat=True)
                      [:CANDIDATES])
        names = list(Skill.objects.filter(near_skill).order_by().values_list("name", flat=True)[:CANDIDATES])
    return Counter(found.lower() for text in [*titles, *names] for found in WORD.findall(text))


def did_you_mean(search: str) -> str | None:
    """`search` with each misspelled word replaced by the nearest word of a project title or skill name, or None
    when there is nothing to correct (or the database cannot tell: SQLite)."""
    if connection.vendor != "postgresql":
        return None
    words = WORD.findall(search.lower())[:MAX_WORDS]
    checked = [word for word in words if len(word) >= MIN_LENGTH and not word.isdigit()]
    if not checked:
        return None
    vocabulary = _vocabulary(checked)
    corrected, changed = [], False
    for word in words:
        if word not in checked or word in vocabulary:
            corrected.append(word)
            continue
        near = [(-count, known) for known, count in vocabulary.items()
                if abs(len(known) - len(word)) <= 1 and edit_distance(word, known) == 1]
        if near:
            corrected.append(min(near)[1])
            changed = True
        else:
            corrected.append(word)
    return " ".join(corrected) if changed else None
