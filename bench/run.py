"""`make bench`: the product against its floor at marketplace scale, under production-style servers.

    make services-up
    make bench                     # 100,000 projects; writes BENCHMARKS.md and bench/figures/*.png
    make bench ARGS="--quick"      # 2,000 projects, one second per figure (a smoke run)

It loads the data once into its own database (reused between runs), starts the product under gunicorn
(2 workers, production settings, request limits off) and the floor (`bench/floor.py`, one SQL per
endpoint) under the same gunicorn, and drives both with wrk (16 connections for requests per second, one
connection for the latency of a request on its own).
"""

import argparse
import json
import os
import platform
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.data import COMMON, RARE, Scale, ensure_database, fill  # noqa: E402

START, END = "<!-- bench:start -->", "<!-- bench:end -->"
WRK_SCRIPT = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('BENCH {"requests": %d, "duration_us": %d, "errors": %d, "non2xx": %d, '
    .. '"p50": %d, "p95": %d, "p99": %d}\\n', summary.requests, summary.duration,
    e.connect + e.read + e.write + e.timeout, e.status, latency:percentile(50), latency:percentile(95),
    latency:percentile(99)))
end
"""


@dataclass
class Endpoint:
    slug: str
    label: str
    path: str
    floor_path: str = ""
    user: str = "anonymous"
    results: dict[str, dict[str, Any]] = field(default_factory=dict)


def endpoints(ids: dict[str, int]) -> list[Endpoint]:
    chat = ids["chat"]
    return [
        Endpoint("live", "`GET /api/health/live` (no database on either side: what answering a request at all costs)",
                 "/api/health/live"),
        Endpoint("projects", "`GET /api/projects` page 1", "/api/projects"),
        Endpoint("projects-signed-in", "`GET /api/projects` page 1, signed in as a client", "/api/projects",
                 user="client"),
        Endpoint("projects-100", "`GET /api/projects?page_size=100`", "/api/projects?page_size=100"),
        Endpoint("projects-deep", f"deep page `?page={ids['deep_page']}`", f"/api/projects?page={ids['deep_page']}"),
        Endpoint("search-common", f"`search={COMMON}` (common word)", f"/api/projects?search={COMMON}"),
        Endpoint("search-rare", f"`search={RARE}` (rare word)", f"/api/projects?search={RARE}"),
        Endpoint("search-ilike", f"an `ILIKE` scan for `{RARE}` (floor only: what search would cost without its "
                                 "index)", "", f"/floor/ilike?q={RARE}"),
        Endpoint("freelancers", "`GET /api/freelancers?skills=django`", "/api/freelancers?skills=django"),
        Endpoint("services", "`GET /api/services` page 1 (with facet counts)", "/api/services"),
        Endpoint("services-search", f"`GET /api/services?search={COMMON}` (with facet counts)",
                 f"/api/services?search={COMMON}"),
        Endpoint("recommended", "`GET /api/projects/recommended` (a freelancer's best matches)",
                 "/api/projects/recommended", user="freelancer"),
        Endpoint("price-guidance", "`GET /api/price-guidance?skills=django&budget_type=fixed` (quartiles of hires)",
                 "/api/price-guidance?skills=django&budget_type=fixed", user="client"),
        Endpoint("messages", "`GET /api/chats/{id}/messages` (opens on the newest)", f"/api/chats/{chat}/messages",
                 user="client"),
        Endpoint("messages-before", "`?before=<id>` (paging back, mid-chat)",
                 f"/api/chats/{chat}/messages?before={ids['middle_message']}", user="client"),
        Endpoint("notifications", "`GET /api/notifications`", "/api/notifications", user="client"),
    ]


def ensure_wrk() -> str:
    if not shutil.which("wrk"):
        print("Installing wrk from Debian ...", file=sys.stderr)
        sudo = [] if os.geteuid() == 0 else ["sudo"]
        subprocess.run([*sudo, "apt-get", "update", "-qq"], check=True, stdout=subprocess.DEVNULL)
        subprocess.run([*sudo, "apt-get", "install", "-y", "-qq", "wrk"], check=True, stdout=subprocess.DEVNULL,
                       env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})
    return shutil.which("wrk") or "wrk"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def prepare(*, quick: bool, projects: int = 100_000, database: str | None = None,
            schema_from: str | None = None) -> tuple[dict[str, int], dict]:
    """Points Django at the benchmark's database (created and filled when needed); returns the ids and env."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        sys.exit("Set DATABASE_URL to a PostgreSQL server (make services-up; source .var/services/env).")
    scale = Scale.quick() if quick else Scale.full(projects)
    database = database or ("megilance_bench_quick" if quick else "megilance_bench")
    env = {
        "DATABASE_URL": ensure_database(url, database, schema_from=schema_from),
        "DJANGO_SETTINGS_MODULE": "megilance.settings.production",
        "DJANGO_SECRET_KEY": os.environ.get("BENCH_SECRET_KEY") or secrets.token_urlsafe(48),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "THROTTLE_ENABLED": "0",
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        # A Redis database of its own, so cached figures never mix with the application's or the other scale's.
        "REDIS_URL": os.environ["REDIS_URL"].rsplit("/", 1)[0] + ("/15" if quick else "/14")
        if os.environ.get("REDIS_URL") else "",
        "CELERY_TASK_ALWAYS_EAGER": "1",
        # Production refuses to start without a mail server; the measured requests send no mail.
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "127.0.0.1",
    }
    os.environ.update(env)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    print(f"Data: {scale.describe()} in {database}", file=sys.stderr)
    started = time.perf_counter()
    ids = fill(scale)
    from messaging.models import Message

    message_ids = Message.objects.filter(chat_id=ids["chat"]).order_by("id").values_list("id", flat=True)
    ids["middle_message"] = message_ids[len(message_ids) // 2] if message_ids else 1
    ids["deep_page"] = scale.projects // 50  # 2,000 of 20 at 100,000 projects: the middle of the public ones
    print(f"  ready in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    env["BENCH_CHAT"], env["BENCH_USER"] = str(ids["chat"]), str(ids["client"])
    env["BENCH_FREELANCER"] = str(ids["freelancer"])
    return ids, {**env, "_scale": scale.describe()}


def tokens(ids: dict[str, int]) -> dict[str, str]:
    from accounts.models import User
    from accounts.tokens import login_issue

    return {name: login_issue(user=User.objects.get(pk=ids[name]), user_agent="bench")["access_token"]
            for name in ("client", "staff", "freelancer")}


class Server:
    def __init__(self, app: str, env: dict[str, str], log: Path) -> None:
        self.port = free_port()
        self.log = log.open("wb")
        self.process = subprocess.Popen(
            [str(ROOT / ".venv/bin/gunicorn"), app, "--workers", "2", "--bind", f"127.0.0.1:{self.port}",
             "--access-logfile", "/dev/null", "--log-level", "warning"],
            cwd=ROOT, env={**os.environ, **{k: v for k, v in env.items() if not k.startswith("_")}},
            stdout=self.log, stderr=subprocess.STDOUT)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def wait(self, path: str, headers: dict[str, str]) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited: see {self.log.name}")
            try:
                urllib.request.urlopen(urllib.request.Request(self.url(path), headers=headers), timeout=5)  # noqa: S310
                return
            except OSError:
                time.sleep(0.3)
        raise RuntimeError(f"server did not answer: see {self.log.name}")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()


def database_settled(url: str, limit: float = 60.0) -> float:
    """Waits until no query but this one runs on the benchmark's database (at most `limit` seconds); returns the
    seconds waited. wrk stops after its time, but queries already sent keep running: the `ILIKE` scan's sixteen
    take about two seconds each, and they slowed the first seconds of the next figure."""
    import psycopg

    started = time.monotonic()
    with psycopg.connect(url, autocommit=True) as connection:
        while time.monotonic() - started < limit:
            running = connection.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND state = 'active' "
                "AND pid <> pg_backend_pid()").fetchone()
            if not running or not running[0]:
                break
            time.sleep(0.1)
    return time.monotonic() - started


def wrk(binary: str, script: Path, url: str, *, connections: int, seconds: int, headers: dict[str, str]) -> dict:
    args = [binary, f"-t{min(2, connections)}", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s",
            "-s", str(script)]
    for name, value in headers.items():
        args += ["-H", f"{name}: {value}"]
    output = subprocess.run([*args, url], check=True, capture_output=True, text=True).stdout
    line = next(line for line in output.splitlines() if line.startswith("BENCH "))
    raw = json.loads(line[6:])
    return {"rps": raw["requests"] / (raw["duration_us"] / 1e6), "requests": raw["requests"],
            "errors": raw["errors"] + raw["non2xx"], "p50": raw["p50"] / 1000, "p95": raw["p95"] / 1000,
            "p99": raw["p99"] / 1000}


def analytics_uncached(rounds: int) -> dict[str, float]:
    from analytics.selectors import _dashboard_summary, period_for

    timings = []
    for _ in range(rounds):
        started = time.perf_counter()
        _dashboard_summary(period_for(30))
        timings.append((time.perf_counter() - started) * 1000)
    timings.sort()
    return {"p50": timings[len(timings) // 2], "max": timings[-1], "rounds": rounds}


def machine() -> str:
    from django.db import connection

    model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("model name")), platform.processor())
    memory = next((int(line.split()[1]) // 1024 // 1024 for line in Path("/proc/meminfo").read_text().splitlines()
                   if line.startswith("MemTotal")), 0)
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        version = cursor.fetchone()[0]
    return (f"{os.cpu_count()} cores ({model}), {memory} GiB, PostgreSQL {version.split()[0]}, "
            f"Python {platform.python_version()}")


def plot(endpoint: Endpoint, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = [name for name in ("product", "floor") if name in endpoint.results]
    fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.4))
    left.bar(names, [endpoint.results[n]["rps"] for n in names], color=["#3566a8", "#999999"][: len(names)])
    left.set_ylabel("requests/s (16 connections)")
    for i, name in enumerate(names):
        values = [endpoint.results[name][p] for p in ("p50", "p95", "p99")]
        right.bar([x + i * 0.38 for x in range(3)], values, width=0.38, label=name,
                  color=["#3566a8", "#999999"][i])
    right.set_xticks([x + 0.19 for x in range(3)], ["p50", "p95", "p99"])
    right.set_ylabel("ms (16 connections)")
    right.legend()
    fig.suptitle(endpoint.label.replace("`", ""), fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    plt.close(fig)


def report(rows: list[Endpoint], analytics: dict, *, when: str, machine_line: str, load: tuple, scale: str,
           seconds: int, figures: str) -> str:
    lines = [START, f"### `make bench` on {when}", "",
             f"{machine_line}; load average {load[0]:.2f} before and {load[1]:.2f} after; {scale}. "
             f"Product: gunicorn 2 workers, production settings, request limits off; floor: `bench/floor.py` "
             f"(one SQL, no framework) under the same gunicorn. wrk, {seconds} s per figure; requests/s and "
             "p50/p95/p99 with 16 connections, \"alone\" with one connection.", "",
             "| request | product req/s | floor req/s | ratio | p50 / p95 / p99 ms | floor p50 / p95 / p99 ms "
             "| alone p50 / p95 ms | errors | figure |",
             "| --- | ---: | ---: | ---: | --- | --- | --- | ---: | --- |"]

    def pct(r: dict | None) -> str:
        return f"{r['p50']:.1f} / {r['p95']:.1f} / {r['p99']:.1f}" if r else ""

    for e in rows:
        p, f, a = e.results.get("product"), e.results.get("floor"), e.results.get("alone")
        cells = [e.label, f"{p['rps']:.0f}" if p else "", f"{f['rps']:.0f}" if f else "",
                 f"{p['rps'] / f['rps']:.0%}" if p and f and f["rps"] else "", pct(p), pct(f),
                 f"{a['p50']:.1f} / {a['p95']:.1f}" if a else "", str((p or f or {}).get("errors", 0)),
                 f"[png]({figures}/{e.slug}.png)"]
        lines.append("| " + " | ".join(cells) + " |")
    lines += ["", f"Analytics summary, uncached (`_dashboard_summary`, in process): p50 {analytics['p50']:.0f} ms, "
                  f"slowest {analytics['max']:.0f} ms over {analytics['rounds']} rounds.", "",
              "Sockets are measured by `make bench-sockets` (below).", END]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="2,000 projects, one second per figure")
    parser.add_argument("--projects", type=int, default=100_000)
    parser.add_argument("--seconds", type=int, default=0, help="wrk duration per figure (default 5, quick 1)")
    parser.add_argument("--database", default=None)
    parser.add_argument("--schema-from", default=None, help="a migrated database on the same server whose schema a "
                                                            "new benchmark database copies instead of migrating")
    parser.add_argument("--out", default=None, help="where BENCHMARKS.md and figures/ go (default: the repository; "
                                                    "quick: a temporary directory)")
    args = parser.parse_args()
    seconds = args.seconds or (1 if args.quick else 5)
    out = Path(args.out) if args.out else (Path(tempfile.mkdtemp(prefix="bench-quick-")) if args.quick else ROOT)
    figures = out / ("bench/figures" if out == ROOT else "figures")
    figures.mkdir(parents=True, exist_ok=True)
    binary = ensure_wrk()
    load_before = os.getloadavg()[0]
    ids, env = prepare(quick=args.quick, projects=args.projects, database=args.database, schema_from=args.schema_from)
    access = tokens(ids)
    rows = endpoints(ids)
    logs = Path(tempfile.mkdtemp(prefix="bench-logs-"))
    script = logs / "report.lua"
    script.write_text(WRK_SCRIPT)
    product = Server("megilance.wsgi:application", env, logs / "product.log")
    floor = Server("bench.floor:app", env, logs / "floor.log")
    try:
        product.wait("/api/health/live", {})
        floor.wait("/api/notifications", {})
        for e in rows:
            headers = {"X-Forwarded-Proto": "https"}
            if e.user != "anonymous":
                headers["Authorization"] = f"Bearer {access[e.user]}"
            database_settled(env["DATABASE_URL"])  # each figure starts once the one before has finished there
            if e.path:
                with urllib.request.urlopen(urllib.request.Request(product.url(e.path), headers=headers)) as answer:  # noqa: S310
                    assert answer.status == 200, (e.path, answer.status)
                e.results["product"] = wrk(binary, script, product.url(e.path), connections=16, seconds=seconds,
                                           headers=headers)
                if not args.quick:
                    database_settled(env["DATABASE_URL"])
                    e.results["alone"] = wrk(binary, script, product.url(e.path), connections=1, seconds=seconds,
                                             headers=headers)
            database_settled(env["DATABASE_URL"])
            e.results["floor"] = wrk(binary, script, floor.url(e.floor_path or e.path), connections=16,
                                     seconds=seconds, headers=headers)
            p, f = e.results.get("product"), e.results["floor"]
            print(f"  {e.slug:<16} product {p['rps'] if p else 0:8.0f} req/s   floor {f['rps']:8.0f} req/s"
                  + (f"   p95 {p['p95']:.1f} ms" if p else ""), file=sys.stderr)
            plot(e, figures / f"{e.slug}.png")
    finally:
        product.stop()
        floor.stop()
    analytics = analytics_uncached(2 if args.quick else 5)
    print(f"  analytics summary uncached: p50 {analytics['p50']:.0f} ms", file=sys.stderr)
    section = report(rows, analytics, when=time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
                     machine_line=machine(), load=(load_before, os.getloadavg()[0]), scale=env["_scale"],
                     seconds=seconds, figures="bench/figures" if out == ROOT else "figures")
    target = out / "BENCHMARKS.md"
    text = target.read_text() if target.exists() else "# Benchmarks\n"
    if START in text and END in text:
        text = text[: text.index(START)] + section + text[text.index(END) + len(END):]
    else:
        text = text.rstrip("\n") + "\n\n## Against the floor (`make bench`)\n\n" + section + "\n"
    target.write_text(text)
    results = {e.slug: e.results for e in rows} | {"analytics": analytics}
    (figures / "results.json").write_text(json.dumps(results, indent=1))
    print(f"Wrote {target} and {len(rows)} figures in {figures}", file=sys.stderr)


if __name__ == "__main__":
    main()
