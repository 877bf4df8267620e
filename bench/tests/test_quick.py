"""`make bench --quick` runs end to end: data, both servers, wrk, the report and a figure per endpoint.

A smoke test only: it checks that the benchmark ran and wrote what it should, never a time.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_the_quick_benchmark_runs_and_writes_its_figures(tmp_path: Path) -> None:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        pytest.fail("the benchmark needs PostgreSQL: run it under `make test` or `make pytest`")
    database = f"{os.environ.get('TEST_DATABASE_NAME') or 'megilance'}_bench_quick"
    run = subprocess.run([sys.executable, str(ROOT / "bench/run.py"), "--quick", "--out", str(tmp_path),
                          "--database", database], cwd=ROOT, capture_output=True, text=True, timeout=300,
                         env={**os.environ, "DJANGO_SETTINGS_MODULE": ""})
    assert run.returncode == 0, run.stderr[-3000:]
    report = (tmp_path / "BENCHMARKS.md").read_text()
    assert "| `GET /api/projects` page 1 |" in report and "Analytics summary, uncached" in report
    results = json.loads((tmp_path / "figures" / "results.json").read_text())
    for slug, figures in results.items():
        if slug == "analytics":
            continue
        assert figures["floor"]["requests"] > 0
        assert "product" not in figures or (figures["product"]["requests"] > 0 and figures["product"]["errors"] == 0)
        assert (tmp_path / "figures" / f"{slug}.png").stat().st_size > 1000
