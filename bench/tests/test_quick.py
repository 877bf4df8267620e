"""`make bench --quick` runs end to end: data, both servers, wrk, the report and a figure per endpoint.

A smoke test only: it checks that the benchmark ran and wrote what it should, never a time.
"""

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_the_quick_benchmark_runs_and_writes_its_figures(tmp_path: Path, django_db_setup: None) -> None:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        pytest.fail("the benchmark needs PostgreSQL: run it under `make test` or `make pytest`")
    from django.conf import settings

    migrated = (settings.DATABASES["default"].get("TEST", {}).get("NAME")
                or f"test_{settings.DATABASES['default']['NAME']}")

    database = f"{os.environ.get('TEST_DATABASE_NAME') or 'megilance'}_bench_quick"
    # A new benchmark database copies the migrated test database's schema instead of running every migration.
    run = subprocess.Popen([sys.executable, str(ROOT / "bench/run.py"), "--quick", "--out", str(tmp_path),
                            "--database", database, "--schema-from", migrated], cwd=ROOT, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True, env={**os.environ, "DJANGO_SETTINGS_MODULE": ""},
                           start_new_session=True)
    try:
        _, stderr = run.communicate(timeout=300)
    except subprocess.TimeoutExpired:
        os.killpg(run.pid, signal.SIGTERM)  # the benchmark and the servers it started
        _, stderr = run.communicate()
        pytest.fail(f"the quick benchmark took over 5 minutes: {stderr[-3000:]}")
    assert run.returncode == 0, stderr[-3000:]
    report = (tmp_path / "BENCHMARKS.md").read_text()
    assert "| `GET /api/projects` page 1 |" in report and "Analytics summary, uncached" in report
    results = json.loads((tmp_path / "figures" / "results.json").read_text())
    rows = [line.split(" | ") for line in report.splitlines() if "[png](" in line]
    ratios = 0
    for slug, figures in results.items():
        if slug == "analytics":
            continue
        assert figures["floor"]["requests"] > 0
        assert "product" not in figures or (figures["product"]["requests"] > 0 and figures["product"]["errors"] == 0)
        assert (tmp_path / "figures" / f"{slug}.png").stat().st_size > 1000
        row = next(cells for cells in rows if f"/{slug}.png)" in cells[-1])
        if "product" in figures:  # the ratio column is the product's requests/s over the floor's, as a percentage
            assert row[3] == f"{figures['product']['rps'] / figures['floor']['rps']:.0%}"
            assert row[1] == f"{figures['product']['rps']:.0f}" and row[2] == f"{figures['floor']['rps']:.0f}"
            ratios += 1
        else:  # the floor-only row has no ratio
            assert row[1] == "" and row[3] == ""
    assert ratios == len(results) - 2
