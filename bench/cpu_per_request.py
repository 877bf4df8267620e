"""CPU time per request of the list endpoints, in process, through the whole WSGI stack (Django's test client)
with production settings on the `make bench` database, which it only reads (but for a sign-in session for the
chat's client and freelancer, as `make bench` opens).

    source .var/services/env && .venv/bin/python bench/cpu_per_request.py [--rounds 3] [--save F | --compare F]

Each figure is the median over `--rounds` rounds of the mean `time.process_time` of `--requests` requests (a
crowded machine disturbs CPU time far less than wall time), with the SQL statements of one request in brackets.
`--save` writes every response body to a JSON file and `--compare` checks them byte for byte against such a file
(run it before and after a change).
"""

import argparse
import json
import os
import secrets
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PATHS = (
    "/api/projects",
    "/api/projects?page_size=100",
    "/api/projects?page=3",
    "/api/freelancers?skills=django",
    "/api/services",
    "/api/services?page_size=100",
    "/api/services?page=3",
    "/api/services?ordering=price",
    "/api/services?ordering=rating",
    "/api/services?search=payments",
    "/api/services?category=design-creative&ordering=-price",
)
# Signed in (`{chat}` and `{before}`: the benchmark's long chat and a message in its middle): as its client,
# or as its freelancer for the recommendations.
SIGNED_IN = (
    ("client", "/api/projects"),
    ("client", "/api/chats/{chat}/messages"),
    ("client", "/api/chats/{chat}/messages?before={before}"),
    ("client", "/api/notifications"),
    ("freelancer", "/api/projects/recommended"),
)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--save")
    parser.add_argument("--compare")
    parser.add_argument("--only", help="measure only paths containing this text")
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        sys.exit("Set DATABASE_URL (source .var/services/env); `make bench` loads the data first.")
    os.environ.update({
        "DATABASE_URL": url.rsplit("/", 1)[0] + "/megilance_bench",
        "DJANGO_SETTINGS_MODULE": "megilance.settings.production",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(48),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
        "THROTTLE_ENABLED": "0",
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        # A Redis database of its own: kept counts never mix with the application's or `make bench`'s.
        "REDIS_URL": os.environ["REDIS_URL"].rsplit("/", 1)[0] + "/12" if os.environ.get("REDIS_URL") else "",
        "CELERY_TASK_ALWAYS_EAGER": "1",
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "127.0.0.1",
    })
    import django

    django.setup()
    from django.db import connection
    from django.db.models import Count
    from django.test import Client

    from accounts.models import User
    from accounts.tokens import login_issue
    from messaging.models import Chat, Message

    client = Client(HTTP_HOST="localhost")
    chat: dict[str, int] = dict(Chat.objects.annotate(n=Count("messages")).order_by("-n")
                                .values("id", "client_id", "freelancer_id")[0])
    ids = list(Message.objects.filter(chat_id=chat["id"]).order_by("id").values_list("id", flat=True))
    headers = {role: {"HTTP_AUTHORIZATION": "Bearer " + login_issue(
        user=User.objects.get(pk=chat[f"{role}_id"]), user_agent="cpu_per_request")["access_token"]}
        for role in ("client", "freelancer")}
    requests: list[tuple[str, dict[str, str]]] = [(path, {}) for path in PATHS] + [
        (path.format(chat=chat["id"], before=ids[len(ids) // 2] if ids else 1), headers[role])
        for role, path in SIGNED_IN]
    requests = [(path, extra) for path, extra in requests if not args.only or args.only in path]
    paths = [path for path, _ in requests]
    bodies: dict[str, str] = {}
    for path, extra in requests:  # warm: compiled queries, kept counts and facets
        for _ in range(3):
            response = client.get(path, **extra)
        assert response.status_code == 200, (path, response.status_code)
        bodies[path] = response.content.decode()
    if args.save:
        Path(args.save).write_text(json.dumps(bodies, indent=1))
    if args.compare:
        before = json.loads(Path(args.compare).read_text())
        for path in paths:
            same = before.get(path) == bodies[path]
            print(f"{path}: {'identical' if same else 'DIFFERENT'}")
    print(f"load average {os.getloadavg()[0]:.2f}")
    print("| request | ms CPU (queries) |")
    print("| --- | ---: |")
    for path, extra in requests:
        queries: list[str] = []  # an execute wrapper: the request's start resets Django's own query log

        def count(execute, sql, params, many, context, queries=queries):
            queries.append(sql)
            return execute(sql, params, many, context)

        with connection.execute_wrapper(count):
            client.get(path, **extra)
        rounds = []
        for _ in range(args.rounds):
            started = time.process_time()
            for _ in range(args.requests):
                client.get(path, **extra)
            rounds.append((time.process_time() - started) * 1000 / args.requests)
        signed_in = " (signed in)" if extra else ""
        print(f"| `GET {path}`{signed_in} | {statistics.median(rounds):.2f} ({len(queries)}) |")
    print(f"load average {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
