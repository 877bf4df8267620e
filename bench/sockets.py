"""`make bench-sockets`: live chat at marketplace scale, across two uvicorn processes on channels-redis.

    make services-up
    make bench-sockets                                   # 1,000 sockets, 500 chats, 200 messages/s for 60 s
    make bench-sockets ARGS="--sockets 200 --rate 40"    # a smaller run

It loads `sockets / 2` clients and as many freelancers, one chat between each pair, into a database of its own
(`megilance_bench_sockets`, reused), starts two uvicorn processes of the product (production settings,
`DJANGO_DB_POOL=1`, request limits off) sharing one Redis through channels-redis, and opens both sockets of
every chat, the client's on one process and the freelancer's on the other, so every message crosses processes.
Then it sends `rate` messages a second for `seconds` seconds, each from one party of a chat chosen in turn, and
times each from the `message.send` frame to the `message.new` frame at the other party's socket.

It reports p50/p95/p99 of that delivery latency, how many messages had not reached the other party 15 s after
they were sent, the `error` frames received, and memory per socket (the two processes' resident memory with
every socket open, less the same before, divided by the number of sockets). `--profile DIR` records one server
with py-spy during the sending. The figures go between the `sockets` markers of BENCHMARKS.md (or `--out`).
"""

import argparse
import asyncio
import json
import multiprocessing
import os
import platform
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.data import ensure_database  # noqa: E402
from bench.run import free_port  # noqa: E402

START, END = "<!-- sockets:start -->", "<!-- sockets:end -->"
DELIVERY_LIMIT = 15.0
# How docker-compose.yml starts the ASGI process, less the address.
UVICORN_FLAGS = ["--lifespan=off", "--no-access-log", "--ws-ping-interval=20", "--ws-ping-timeout=20",
                 "--ws-per-message-deflate=false"]


@dataclass
class Pair:
    chat: int
    client_token: str
    freelancer_token: str


@dataclass
class Tally:
    sent: dict[str, float] = field(default_factory=dict)  # client_id -> when it was sent
    latency: dict[str, float] = field(default_factory=dict)  # client_id -> seconds until the other party had it
    errors: Counter = field(default_factory=Counter)
    frames: int = 0


def prepare(*, sockets: int, database: str | None) -> tuple[list[Pair], dict[str, str]]:
    """Points Django at the sockets benchmark's database, loads the pairs it lacks; returns them with tokens."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        sys.exit("Set DATABASE_URL to a PostgreSQL server (make services-up; source .var/services/env).")
    database = database or "megilance_bench_sockets"
    env = {
        "DATABASE_URL": ensure_database(url, database),
        "DJANGO_SETTINGS_MODULE": "megilance.settings.production",
        "DJANGO_SECRET_KEY": os.environ.get("BENCH_SECRET_KEY") or secrets.token_urlsafe(48),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DJANGO_DB_POOL": "1",
        "THROTTLE_ENABLED": "0",
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        # A Redis database of its own: the channel layer, presence and the cache of this benchmark only.
        "REDIS_URL": os.environ["REDIS_URL"].rsplit("/", 1)[0] + "/13" if os.environ.get("REDIS_URL") else "",
        "CELERY_TASK_ALWAYS_EAGER": "1",
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "127.0.0.1",
    }
    if not env["REDIS_URL"]:
        sys.exit("Set REDIS_URL: the benchmark's two processes share a channel layer in Redis.")
    os.environ.update(env)
    import django

    django.setup()
    from django.contrib.auth.hashers import make_password
    from django.core.cache import cache
    from django.core.management import call_command
    from django.db import connection

    from accounts.models import User, UserType
    from accounts.tokens import login_issue
    from messaging.models import Chat, ChatMember

    call_command("migrate", verbosity=0)
    cache.clear()  # presence and counters of an earlier run
    chats = sockets // 2
    have = User.objects.filter(email__startswith="socket-client-").count()
    if have < chats:
        password = make_password("bench-password-not-used")
        users = []
        for n in range(have, chats):
            users.append(User(email=f"socket-client-{n}@example.com", password=password, first_name=f"Client{n}",
                              user_type=UserType.CLIENT, email_verified=True))
            users.append(User(email=f"socket-freelancer-{n}@example.com", password=password,
                              first_name=f"Freelancer{n}", user_type=UserType.FREELANCER, email_verified=True))
        User.objects.bulk_create(users, batch_size=2000)
    clients = dict(User.objects.filter(email__startswith="socket-client-").values_list("email", "id"))
    freelancers = dict(User.objects.filter(email__startswith="socket-freelancer-").values_list("email", "id"))
    pairs = [(clients[f"socket-client-{n}@example.com"], freelancers[f"socket-freelancer-{n}@example.com"])
             for n in range(chats)]
    existing = {(c, f): pk for pk, c, f in Chat.objects.filter(
        client_id__in=[c for c, _ in pairs]).values_list("id", "client_id", "freelancer_id")}
    missing = [Chat(client_id=c, freelancer_id=f) for c, f in pairs if (c, f) not in existing]
    if missing:
        Chat.objects.bulk_create(missing, batch_size=2000)
        ChatMember.objects.bulk_create([ChatMember(chat=chat, user_id=user_id) for chat in missing
                                        for user_id in (chat.client_id, chat.freelancer_id)], batch_size=2000)
        existing |= {(chat.client_id, chat.freelancer_id): chat.pk for chat in missing}
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    users = {user.pk: user for user in User.objects.filter(pk__in=[pk for pair in pairs for pk in pair])}
    result = [Pair(existing[(c, f)], login_issue(user=users[c], user_agent="bench")["access_token"],
                   login_issue(user=users[f], user_agent="bench")["access_token"]) for c, f in pairs]
    return result, env


class Servers:
    """Two uvicorn processes of the product, as production's ASGI processes run."""

    def __init__(self, env: dict[str, str], logs: Path, count: int = 2, extra: list[str] | None = None) -> None:
        self.ports = [free_port() for _ in range(count)]
        self.logs = [(logs / f"uvicorn-{n}.log").open("wb") for n in range(count)]
        self.processes = [subprocess.Popen(
            [str(ROOT / ".venv/bin/python"), "-m", "uvicorn", "megilance.asgi:application", "--host", "127.0.0.1",
             "--port", str(port), "--log-level", "warning", *UVICORN_FLAGS, *(extra or [])],
            cwd=ROOT, env={**os.environ, **env}, stdout=log, stderr=subprocess.STDOUT)
            for port, log in zip(self.ports, self.logs, strict=True)]

    def wait(self) -> None:
        import urllib.request

        for port, process in zip(self.ports, self.processes, strict=True):
            deadline = time.monotonic() + 60
            while True:
                if process.poll() is not None:
                    raise RuntimeError(f"uvicorn exited: see {self.logs[0].name}")
                try:
                    urllib.request.urlopen(f"http://127.0.0.1:{port}/api/health/live", timeout=5)
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.3)

    def rss_kib(self) -> int:
        total = 0
        for process in self.processes:
            status = Path(f"/proc/{process.pid}/status").read_text()
            total += next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:"))
        return total

    def cpu_seconds(self) -> float:
        """User and system CPU time the processes have used so far."""
        ticks = os.sysconf("SC_CLK_TCK")
        total = 0
        for process in self.processes:
            fields = Path(f"/proc/{process.pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of proc(5))
        return total / ticks

    def stop(self) -> None:
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
        for log in self.logs:
            log.close()


async def _reader(socket: Any, tally: Tally, *, mine: set[str]) -> None:
    """Reads one socket until it closes: times every message that the other party of its chat sent."""
    async for raw in socket:
        tally.frames += 1
        frame = json.loads(raw)
        kind = frame.get("type")
        if kind == "message.new":
            client_id = frame.get("client_id") or ""
            if client_id in tally.sent and client_id not in mine and client_id not in tally.latency:
                tally.latency[client_id] = time.monotonic() - tally.sent[client_id]
        elif kind == "error":
            tally.errors[str(frame.get("detail"))[:80]] += 1


async def _drive(pairs: list[Pair], ports: list[int], *, rate: float, seconds: int, tally: Tally,
                 opened_event: Any, go_event: Any) -> dict[str, float]:
    import websockets

    opened: list[tuple[Any, Any, set[str], set[str]]] = []
    readers: list[asyncio.Task] = []
    started = time.monotonic()

    async def open_pair(pair: Pair) -> None:
        first, second = (ports[0], ports[1]) if pair.chat % 2 else (ports[1], ports[0])
        client = await websockets.connect(f"ws://127.0.0.1:{first}/ws/chat/{pair.chat}/?token={pair.client_token}",
                                          max_queue=None, open_timeout=60)
        freelancer = await websockets.connect(
            f"ws://127.0.0.1:{second}/ws/chat/{pair.chat}/?token={pair.freelancer_token}", max_queue=None,
            open_timeout=60)
        client_ids: set[str] = set()
        freelancer_ids: set[str] = set()
        readers.append(asyncio.create_task(_reader(client, tally, mine=client_ids)))
        readers.append(asyncio.create_task(_reader(freelancer, tally, mine=freelancer_ids)))
        opened.append((client, freelancer, client_ids, freelancer_ids))

    for n in range(0, len(pairs), 50):  # 100 sockets at a time, as a crowd arriving
        await asyncio.gather(*(open_pair(pair) for pair in pairs[n:n + 50]))
    connect_seconds = time.monotonic() - started
    opened_event.set()
    await asyncio.get_running_loop().run_in_executor(None, go_event.wait)

    total = round(rate * seconds)
    begin = time.monotonic()
    for n in range(total):
        due = begin + n / rate
        delay = due - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        client, freelancer, client_ids, freelancer_ids = opened[n % len(opened)]
        socket, ids = (client, client_ids) if (n // len(opened)) % 2 == 0 else (freelancer, freelancer_ids)
        client_id = f"b{n}-{secrets.token_hex(4)}"
        ids.add(client_id)
        tally.sent[client_id] = time.monotonic()
        await socket.send(json.dumps({"type": "message.send", "content": f"Benchmark message {n}",
                                      "client_id": client_id}))
    send_seconds = time.monotonic() - begin
    deadline = time.monotonic() + DELIVERY_LIMIT
    while len(tally.latency) < len(tally.sent) and time.monotonic() < deadline:
        await asyncio.sleep(0.2)
    for client, freelancer, _, _ in opened:
        await client.close()
        await freelancer.close()
    for reader in readers:
        reader.cancel()
    await asyncio.gather(*readers, return_exceptions=True)
    return {"connect_seconds": connect_seconds, "send_seconds": send_seconds}


def _client(pairs: list[Pair], ports: list[int], rate: float, seconds: int, opened_event: Any, go_event: Any,
            results: Any) -> None:
    """One process of websockets clients: both sockets of its share of the chats, sending its share of the rate."""
    tally = Tally()
    timings = asyncio.run(_drive(pairs, ports, rate=rate, seconds=seconds, tally=tally, opened_event=opened_event,
                                 go_event=go_event))
    results.put({"sent": len(tally.sent), "latency": list(tally.latency.values()), "errors": dict(tally.errors),
                 **timings})


def machine_busy() -> tuple[int, int]:
    """(busy, total) CPU ticks of the whole machine so far, from /proc/stat: every process, PostgreSQL and Redis
    included."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]  # idle, iowait
    return sum(values) - idle, sum(values)


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


APPS = {path.name for path in ROOT.iterdir() if (path / "__init__.py").exists() and path.name != "bench"}


def _own(frame: str) -> str | None:
    """`function (app/module.py:12)` as `function (app/module.py)` when it is the product's own code."""
    name, _, where = frame.partition(" (")
    path = where.rstrip(")").rsplit(":", 1)[0]
    return f"{name} ({path})" if path.split("/", 1)[0] in APPS else None


def profile_summary(raw: Path, limit: int = 12) -> dict[str, Any]:
    """From py-spy's raw samples: the share spent in the threads that run `database_sync_to_async` calls, and
    the product's own functions (not libraries) the samples were inside, by share."""
    inside: Counter = Counter()
    total = in_threads = 0
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        n = int(count)
        total += n
        frames = stack.split(";")
        if any("DatabaseSyncToAsync.thread_handler" in frame for frame in frames):
            in_threads += n
        for name in {own for frame in frames if (own := _own(frame))}:
            inside[name] += n
    if not total:
        return {}
    return {"samples": total, "db_threads": in_threads / total,
            "functions": [(name, count / total) for name, count in inside.most_common(limit)]}


def report(result: dict[str, Any], *, when: str, machine_line: str, label: str) -> str:
    r = result
    lines = [START, f"### `make bench-sockets` on {when}{f' ({label})' if label else ''}", "",
             f"{machine_line}; load average {r['load'][0]:.2f} before and {r['load'][1]:.2f} after. "
             f"{r['sockets']:,} sockets in {r['sockets'] // 2:,} chats on two uvicorn processes (production settings, "
             f"`DJANGO_DB_POOL=1`, request limits off) sharing channels-redis; each chat's two sockets on different "
             f"processes; {r['rate']} messages/s for {r['seconds']} s from {r['clients']} Python processes of "
             "websockets clients (each holding both sockets of its chats).",
             "",
             "| messages sent | delivered within 15 s | not delivered within 15 s | delivery p50 / p95 / p99 ms "
             "| slowest ms | `error` frames | memory per socket | sending took | servers' CPU per message "
             "| machine busy |",
             "| ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
             f"| {r['sent']:,} | {r['delivered']:,} | {r['undelivered']:,} | {r['p50']:.0f} / {r['p95']:.0f} / "
             f"{r['p99']:.0f} | {r['max']:.0f} | {sum(r['errors'].values())} | {r['kib_per_socket']:.0f} KiB | "
             f"{r['send_seconds']:.1f} s | {r['server_cpu_ms_per_message']:.2f} ms | {r['machine_busy']:.0%} |", "",
             "Servers' CPU per message: the user and system CPU time of both server processes from the first message "
             "sent to the last one received, divided by the messages sent. Machine busy: the share of both cores in "
             "use over the same time, PostgreSQL, Redis and the clients included.", ""]
    if r["errors"]:
        lines += ["`error` frames: " + "; ".join(f"{n} times {detail!r}" for detail, n in r["errors"].items()), ""]
    if r.get("profile"):
        p = r["profile"]
        lines += [f"py-spy on one of the two processes while sending ({p['samples']:,} samples at 100 Hz): "
                  f"{p['db_threads']:.0%} of them in the threads running `database_sync_to_async` calls. The "
                  "product's own functions the samples were inside:", "", "| function | share of samples |",
                  "| --- | ---: |"]
        lines += [f"| `{name}` | {share:.0%} |" for name, share in p["functions"]]
        lines.append("")
    lines.append(END)
    return "\n".join(lines)


def machine() -> str:
    model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("model name")), platform.processor())
    return f"{os.cpu_count()} cores ({model}), Python {platform.python_version()}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sockets", type=int, default=1000, help="an even number: two per chat")
    parser.add_argument("--rate", type=int, default=200, help="messages per second")
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--uvicorn", action="append", default=[], help="another uvicorn flag, e.g. "
                                                                        "--uvicorn=--ws-per-message-deflate=false")
    parser.add_argument("--clients", type=int, default=2, help="processes of websockets clients")
    parser.add_argument("--database", default=None)
    parser.add_argument("--profile", default=None, help="a directory for py-spy's recording of one server")
    parser.add_argument("--label", default="", help="a note for the report's heading")
    parser.add_argument("--out", default=None, help="where BENCHMARKS.md goes (default: the repository)")
    args = parser.parse_args()
    load_before = os.getloadavg()[0]
    pairs, env = prepare(sockets=args.sockets, database=args.database)
    print(f"{len(pairs) * 2} sockets in {len(pairs)} chats, {args.rate} messages/s for {args.seconds} s",
          file=sys.stderr)
    logs = Path(tempfile.mkdtemp(prefix="bench-sockets-"))
    servers = Servers(env, logs, extra=args.uvicorn)
    memory: dict[str, int] = {}
    cpu: dict[str, float] = {}
    spy: list[subprocess.Popen] = []
    profile_dir = Path(args.profile) if args.profile else None
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    go = context.Event()
    shares = [pairs[n::args.clients] for n in range(args.clients)]
    opened = [context.Event() for _ in shares]
    clients: list[Any] = []
    outcomes: list[dict[str, Any]] = []
    try:
        servers.wait()
        time.sleep(1)
        memory["idle"] = servers.rss_kib()
        started = time.monotonic()
        clients = [context.Process(target=_client, args=(share, servers.ports, args.rate * len(share) / len(pairs),
                                                         args.seconds, event, go, results))
                   for share, event in zip(shares, opened, strict=True)]
        for process in clients:
            process.start()
        for event in opened:
            event.wait(600)
        connect_seconds = time.monotonic() - started
        time.sleep(3)  # presence frames settle
        memory["open"] = servers.rss_kib()
        if profile_dir is not None:
            profile_dir.mkdir(parents=True, exist_ok=True)
            spy.append(subprocess.Popen(
                [shutil.which("py-spy") or str(ROOT / ".venv/bin/py-spy"), "record", "--pid",
                 str(servers.processes[0].pid), "--duration", str(args.seconds), "--rate", "100", "--format", "raw",
                 "--output", str(profile_dir / "sockets.txt"), "--nonblocking"],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        cpu_before, busy_before = servers.cpu_seconds(), machine_busy()
        go.set()
        outcomes = [results.get(timeout=args.seconds + DELIVERY_LIMIT + 120) for _ in clients]
        cpu["servers"] = servers.cpu_seconds() - cpu_before
        busy_after = machine_busy()
        cpu["machine"] = (busy_after[0] - busy_before[0]) / max(1, busy_after[1] - busy_before[1])
    finally:
        for process in clients:
            process.join(30)
        for process in spy:
            process.wait(args.seconds + 60)
        servers.stop()
    tally = Tally()
    for outcome in outcomes:
        tally.errors.update(outcome["errors"])
    sent = sum(outcome["sent"] for outcome in outcomes)
    timings = {"connect_seconds": connect_seconds,
               "send_seconds": max(outcome["send_seconds"] for outcome in outcomes)}
    latencies = [seconds * 1000 for outcome in outcomes for seconds in outcome["latency"] if seconds <= DELIVERY_LIMIT]
    result: dict[str, Any] = {
        "sockets": len(pairs) * 2, "rate": args.rate, "clients": args.clients, "seconds": args.seconds, "sent": sent,
        "delivered": len(latencies), "undelivered": sent - len(latencies),
        "p50": percentile(latencies, 50), "p95": percentile(latencies, 95), "p99": percentile(latencies, 99),
        "max": max(latencies, default=float("nan")), "errors": dict(tally.errors),
        "kib_per_socket": (memory["open"] - memory["idle"]) / (len(pairs) * 2),
        "server_cpu_ms_per_message": cpu.get("servers", float("nan")) * 1000 / max(1, sent),
        "machine_busy": cpu.get("machine", float("nan")), "load": (load_before,
                                                                                           os.getloadavg()[0]),
        **timings,
    }
    if profile_dir is not None and (profile_dir / "sockets.txt").exists():
        result["profile"] = profile_summary(profile_dir / "sockets.txt")
    print(json.dumps({k: v for k, v in result.items() if k != "profile"}, indent=1), file=sys.stderr)
    for name, share in result.get("profile", {}).get("functions", []):
        print(f"  {share:5.0%}  {name}", file=sys.stderr)
    section = report(result, when=time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), machine_line=machine(),
                     label=args.label)
    out = Path(args.out) if args.out else ROOT
    out.mkdir(parents=True, exist_ok=True)
    target = out / "BENCHMARKS.md"
    text = target.read_text() if target.exists() else "# Benchmarks\n"
    if START in text and END in text:
        text = text[: text.index(START)] + section + text[text.index(END) + len(END):]
    else:
        text = text.rstrip("\n") + "\n\n## Sockets (`make bench-sockets`)\n\n" + section + "\n"
    target.write_text(text)
    (out / ("bench/figures" if out == ROOT else ".")).mkdir(parents=True, exist_ok=True)
    (out / ("bench/figures/sockets.json" if out == ROOT else "sockets.json")).write_text(
        json.dumps({k: v for k, v in result.items()}, indent=1, default=str))
    print(f"Wrote {target}", file=sys.stderr)


if __name__ == "__main__":
    main()
