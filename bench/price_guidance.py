"""Price guidance on the `make bench` database, in process and read-only: the plan of its query (`EXPLAIN
ANALYZE`), the query's own time, and the API view's time when its answer is computed and when it is kept in the
cache.

    source .var/services/env && .venv/bin/python bench/price_guidance.py [--database megilance_bench] [--rounds 20]

The connection is opened read-only (`default_transaction_read_only`), so the script never changes the data. The
view is called through DRF's request factory with the user set on the request (no session is written); the
uncached rounds renew the guidance's version before each request, as an accepted proposal does.
"""

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

QUESTIONS = {
    "skills=django&budget_type=fixed": {"skills": "django", "budget_type": "fixed"},
    "category=web-development&skills=django,python&budget_type=fixed": {
        "category": "web-development", "skills": "django,python", "budget_type": "fixed"},
}


def timed(work: Callable[[], object], rounds: int) -> tuple[float, float]:
    """p50 and p95 in milliseconds."""
    timings = []
    for _ in range(rounds):
        started = time.perf_counter()
        work()
        timings.append((time.perf_counter() - started) * 1000)
    timings.sort()
    return statistics.median(timings), timings[min(len(timings) - 1, round(0.95 * (len(timings) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default="megilance_bench")
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        sys.exit("Set DATABASE_URL (source .var/services/env); `make bench` loads the data first.")
    os.environ["DATABASE_URL"] = url.rsplit("/", 1)[0] + "/" + args.database
    os.environ["PGOPTIONS"] = "-c default_transaction_read_only=on"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "megilance.settings.test")
    import django

    django.setup()
    from django.db import connection
    from rest_framework.test import APIRequestFactory, force_authenticate

    from accounts.models import User
    from discovery import selectors, services
    from discovery.api.views import PriceGuidanceView

    with connection.cursor() as cursor:
        cursor.execute("SHOW default_transaction_read_only")
        assert cursor.fetchone()[0] == "on"
        cursor.execute("SELECT indexname FROM pg_indexes WHERE indexname IN ('proposal_accepted_idx', "
                       "'project_price_facts_idx')")
        print(f"database {args.database}; the guidance's indexes present:",
              ", ".join(sorted(row[0] for row in cursor.fetchall())) or "none")
    user = User.objects.filter(user_type="client", is_active=True).order_by("id").first()
    view = PriceGuidanceView.as_view()
    factory = APIRequestFactory()

    def ask(params: dict[str, str]) -> object:
        request = factory.get("/api/price-guidance", params)
        force_authenticate(request, user=user)
        response = view(request)
        assert response.status_code == 200, response.data
        return response.data

    captured: list[tuple[str, object]] = []

    def capture(execute: Callable[..., object], sql: str, params_: object, many: bool, context: object) -> object:
        captured.append((sql, params_))
        return execute(sql, params_, many, context)

    for label, params in QUESTIONS.items():
        skills = [name.strip() for name in params.get("skills", "").split(",") if name.strip()]
        kwargs = {"category": params.get("category", ""), "skills": skills, "budget_type": params["budget_type"]}
        captured.clear()
        with connection.execute_wrapper(capture):
            guidance = selectors.price_guidance_uncached(**kwargs)
        sql, sql_params = next((sql, p) for sql, p in captured if "percentile_cont" in sql)
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, sql_params)
            plan = "\n".join(row[0] for row in cursor.fetchall())
        print(f"\n## {label}: sample {guidance.sample_size}, quartiles {guidance.low} / {guidance.median} / "
              f"{guidance.high}\n{plan}\n")
        query = timed(lambda kwargs=kwargs: selectors.price_guidance_uncached(**kwargs), args.rounds)

        def uncached(params: dict[str, str] = params) -> object:
            services.price_guidance_changed()
            return ask(params)

        computed = timed(uncached, args.rounds)
        ask(params)
        kept = timed(lambda params=params: ask(params), args.rounds)
        print(f"query p50/p95 ms: {query[0]:.1f} / {query[1]:.1f}; view, computed: {computed[0]:.1f} / "
              f"{computed[1]:.1f}; view, kept in the cache: {kept[0]:.2f} / {kept[1]:.2f} ({args.rounds} rounds)")
    print("\nload:", os.getloadavg())


if __name__ == "__main__":
    main()
