"""Project browsing and full-text search at marketplace scale: prints latency figures, asserts nothing.

    make services-up
    source .var/services/env && .venv/bin/python bench/projects_search.py --projects 100000

It works in its own database (`megilance_bench` on the PostgreSQL of DATABASE_URL), fills it once with
N projects spread over categories, skills and budgets, and measures the API as a client would see it
(in-process, through Django's test client, so the figures are the application's own cost without HTTP).
"""

import argparse
import os
import random
import statistics
import sys
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

WORDS = [
    "booking", "payments", "dashboard", "mobile", "redesign", "migration", "api", "analytics", "shop",
    "marketplace", "search", "chat", "invoice", "reporting", "scraper", "onboarding", "checkout", "newsletter",
    "inventory", "scheduling",
]
RARE = "zeppelin"


def setup(database: str) -> None:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        sys.exit("Set DATABASE_URL to a PostgreSQL server (make services-up; source .var/services/env).")
    os.environ["DATABASE_URL"] = url.rsplit("/", 1)[0] + f"/{database}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "megilance.settings.test")
    os.environ["THROTTLE_ENABLED"] = "0"
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [database]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{database}"')
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def fill(count: int) -> None:
    from django.contrib.postgres.search import SearchVector
    from django.db import transaction
    from django.utils import timezone

    from accounts.models import User
    from marketplace.categories import categories_ensure_defaults
    from marketplace.models import Category, Project

    categories_ensure_defaults()
    have = Project.objects.count()
    if have >= count:
        return
    clients = [User.objects.get_or_create(email=f"bench-client-{n}@example.com",
                                          defaults={"user_type": "client", "first_name": "Bench"})[0]
               for n in range(50)]
    categories = list(Category.objects.all())
    rng = random.Random(7)
    now = timezone.now()
    batch = []
    for n in range(have, count):
        words = rng.sample(WORDS, 4) + ([RARE] if n % 5000 == 0 else [])
        low = rng.randrange(100, 20000)
        batch.append(Project(
            client=rng.choice(clients), title=" ".join(words[:3]).capitalize(),
            description=f"We need help with {' and '.join(words)}. " * 5, category=rng.choice(categories),
            skills_text=" ".join(rng.sample(["Django", "React", "Figma", "Python", "Go", "SQL"], 2)),
            budget_min=low, budget_max=low + rng.randrange(0, 5000), status="open", published_at=now,
        ))
        if len(batch) == 5000:
            Project.objects.bulk_create(batch)
            batch = []
    Project.objects.bulk_create(batch)
    with transaction.atomic():
        Project.objects.filter(search_vector__isnull=True).update(
            search_vector=SearchVector("title", weight="A", config="english")
            + SearchVector("skills_text", weight="A", config="english")
            + SearchVector("description", weight="B", config="english"))
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE marketplace_project")


def measure(label: str, path: str, params: dict, rounds: int) -> None:
    from django.db import connection, reset_queries
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    client.get(path, params)  # warm caches and connections
    timings = []
    for _ in range(rounds):
        reset_queries()
        started = time.perf_counter()
        response = client.get(path, params)
        timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.content[:300]
    with CaptureQueriesContext(connection) as queries:
        count = client.get(path, params).json()["count"]
    timings.sort()
    p95 = timings[max(0, int(len(timings) * 0.95) - 1)]
    print(f"{label:<38} p50 {statistics.median(timings):7.1f} ms   p95 {p95:7.1f} ms   "
          f"{len(queries):2d} queries   {count:>7} matches")


def main() -> None:
    warnings.filterwarnings("ignore", message="No directory at")
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--projects", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--database", default="megilance_bench")
    args = parser.parse_args()
    setup(args.database)
    started = time.perf_counter()
    fill(args.projects)
    from marketplace.models import Project

    print(f"{Project.objects.count()} projects (filled in {time.perf_counter() - started:.0f} s)\n")
    measure("browse, newest first (20 a page)", "/api/projects", {}, args.rounds)
    measure("browse, 100 a page", "/api/projects", {"page_size": 100}, args.rounds)
    measure("filter: category + budget range", "/api/projects",
            {"category": "web-development", "budget_min": "1000", "budget_max": "3000"}, args.rounds)
    measure("search: common word, by relevance", "/api/projects", {"search": "payments"}, args.rounds)
    measure("search: common word, newest first", "/api/projects", {"search": "payments", "ordering": "newest"},
            args.rounds)
    measure("search: rare word", "/api/projects", {"search": RARE}, args.rounds)
    measure("search: two words", "/api/projects", {"search": "mobile checkout"}, args.rounds)


if __name__ == "__main__":
    main()
