"""The floor: a bare WSGI app answering each benchmarked path with one hand-written SQL query.

It runs under the same gunicorn, on the same database, as the product, so the ratio product / floor says
what the product costs above one query and a JSON encoding. No authentication, no framework.
`BENCH_CHAT`, `BENCH_USER`, `BENCH_FREELANCER` and `DATABASE_URL` come from the environment.
"""

import json
import os
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qs

import psycopg

PUBLIC = "visibility = 'public' AND status <> 'draft'"
PROJECT_COLUMNS = ("id, title, description, budget_type, budget_min, budget_max, currency, deadline, visibility, "
                   "status, is_featured, client_id, created_at, updated_at, published_at")

SQL = {
    "projects": f"SELECT {PROJECT_COLUMNS} FROM marketplace_project WHERE {PUBLIC} "
                "ORDER BY published_at DESC, id DESC LIMIT %(limit)s OFFSET %(offset)s",
    # Rank a bounded candidate set: the newest 200 matches from the GIN index, then ts_rank on those.
    "search": f"SELECT {PROJECT_COLUMNS} FROM (SELECT * FROM marketplace_project "
              f"WHERE search_vector @@ websearch_to_tsquery('english', %(q)s) AND {PUBLIC} "
              "ORDER BY published_at DESC, id DESC LIMIT 200) c "
              "ORDER BY ts_rank(search_vector, websearch_to_tsquery('english', %(q)s)) DESC, published_at DESC, "
              "id DESC LIMIT 20",
    "ilike": f"SELECT {PROJECT_COLUMNS} FROM marketplace_project WHERE {PUBLIC} AND (title ILIKE %(like)s "
             "OR description ILIKE %(like)s) ORDER BY published_at DESC, id DESC LIMIT 20",
    "freelancers": "SELECT u.id, u.first_name, u.last_name, u.headline, u.bio, u.avatar, u.country, u.timezone, "
                   "u.hourly_rate, u.available, u.date_joined FROM accounts_user u WHERE u.user_type = 'freelancer' "
                   "AND u.is_active AND EXISTS (SELECT 1 FROM accounts_user_skills us JOIN accounts_skill s "
                   "ON s.id = us.skill_id WHERE us.user_id = u.id AND s.slug = %(skill)s) ORDER BY u.id LIMIT 20",
    "messages": "SELECT id, chat_id, sender_id, content, created_at, client_id, is_flagged FROM messaging_message "
                "WHERE chat_id = %(chat)s AND id < %(before)s ORDER BY id DESC LIMIT 20",
    "notifications": "SELECT id, kind, title, message, data, created_at, read_at FROM messaging_notification "
                     "WHERE user_id = %(user)s ORDER BY created_at DESC, id DESC LIMIT 20",
    "recommended": "SELECT m.score, m.facts, " + ", ".join(f"p.{c.strip()}" for c in PROJECT_COLUMNS.split(","))
                   + " FROM discovery_match m JOIN marketplace_project p ON p.id = m.project_id "
                   "WHERE m.freelancer_id = %(freelancer)s ORDER BY m.score DESC, m.project_id DESC LIMIT 20",
    "price": "SELECT count(*) AS sample_size, percentile_cont(ARRAY[0.25, 0.5, 0.75]) WITHIN GROUP "
             "(ORDER BY pr.bid_amount) AS quartiles FROM marketplace_proposal pr JOIN marketplace_project p "
             "ON p.id = pr.project_id WHERE pr.status = 'accepted' AND pr.currency = 'usd' "
             "AND p.budget_type = %(budget_type)s AND EXISTS (SELECT 1 FROM marketplace_project_skills ps "
             "JOIN accounts_skill s ON s.id = ps.skill_id WHERE ps.project_id = p.id AND s.slug = %(skill)s)",
}

SERVICE_COLUMNS = ("id, title, status, currency, price_from, fastest_delivery_days, rating_avg, rating_count, "
                   "orders_completed, seller_id, category_id, created_at, updated_at, published_at")
SQL["services"] = (f"SELECT {SERVICE_COLUMNS} FROM gigs_service WHERE status = 'active' "
                   "ORDER BY published_at DESC, id DESC LIMIT 20")
SQL["services_search"] = (
    f"SELECT {SERVICE_COLUMNS} FROM (SELECT * FROM gigs_service "
    "WHERE search_vector @@ websearch_to_tsquery('english', %(q)s) AND status = 'active' "
    "ORDER BY published_at DESC, id DESC LIMIT 500) c "
    "ORDER BY ts_rank(search_vector, websearch_to_tsquery('english', %(q)s)) DESC, published_at DESC, id DESC LIMIT 20")

_connection: psycopg.Connection | None = None


def _db() -> psycopg.Connection:
    global _connection
    if _connection is None or _connection.closed:
        _connection = psycopg.connect(os.environ["DATABASE_URL"], autocommit=True)
    return _connection


def _query(path: str, params: dict[str, str]) -> tuple[str, dict[str, Any]]:
    chat, user = int(os.environ.get("BENCH_CHAT", "0")), int(os.environ.get("BENCH_USER", "0"))
    if path == "/api/projects" and params.get("search"):
        return "search", {"q": params["search"]}
    if path == "/api/projects":
        size = min(int(params.get("page_size", 20)), 100)
        return "projects", {"limit": size, "offset": (int(params.get("page", 1)) - 1) * size}
    if path == "/api/services" and params.get("search"):
        return "services_search", {"q": params["search"]}
    if path == "/api/services":
        return "services", {}
    if path == "/floor/ilike":
        return "ilike", {"like": f"%{params.get('q', '')}%"}
    if path == "/api/freelancers":
        return "freelancers", {"skill": params.get("skills", "django").lower()}
    if path.startswith("/api/chats/"):
        return "messages", {"chat": chat, "before": int(params.get("before", 2**62))}
    if path == "/api/notifications":
        return "notifications", {"user": user}
    if path == "/api/projects/recommended":
        return "recommended", {"freelancer": int(os.environ.get("BENCH_FREELANCER", "0"))}
    if path == "/api/price-guidance":
        return "price", {"skill": params.get("skills", "django").lower(),
                         "budget_type": params.get("budget_type", "fixed")}
    raise KeyError(path)


LIVE = json.dumps({"status": "ok"}).encode()


def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    if environ.get("PATH_INFO") == "/api/health/live":  # no query: what answering at all costs
        start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(LIVE)))])
        return [LIVE]
    params = {key: values[0] for key, values in parse_qs(environ.get("QUERY_STRING", "")).items()}
    try:
        name, args = _query(environ.get("PATH_INFO", ""), params)
    except KeyError:
        start_response("404 Not Found", [("Content-Type", "application/json")])
        return [b'{"detail": "Not found."}']
    cursor = _db().execute(SQL[name], args)
    columns = [column.name for column in cursor.description or []]
    rows = [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
    body = json.dumps({"results": rows}, default=str).encode()
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]
