"""Prometheus metrics of this process, exported at `/api/health/metrics`.

Apps above core add their own series to the same registry (`payments/metrics.py`: the money the ledger holds).
"""

from prometheus_client import Counter, Gauge, Histogram

REQUESTS = Counter(
    "megilance_http_requests_total", "HTTP requests handled", ["method", "route", "status"]
)
LATENCY = Histogram(
    "megilance_http_request_duration_seconds", "Time to answer an HTTP request", ["method", "route"]
)
EMAILS = Counter("megilance_emails_total", "E-mails by outcome", ["template", "outcome"])
MOBILE_MESSAGES = Counter("megilance_mobile_messages_total", "Text messages and pushes by channel and outcome "
                          "(sent, failed, dropped)", ["channel", "outcome"])
TASKS = Counter("megilance_celery_tasks_total", "Celery tasks run, by task name and outcome (success, failure, "
                "retry)", ["task", "outcome"])
OPEN_SOCKETS = Gauge("megilance_websocket_connections", "WebSocket connections open now, by consumer",
                     ["consumer"])


# The methods a label may name; anything else a client makes up is counted as "other", so that no request
# can add a series (each one is memory kept for the life of the process).
KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "CONNECT"})


def method_label(method: str | None) -> str:
    return method if method in KNOWN_METHODS else "other"


def task_outcome(task_name: str, outcome: str) -> None:
    TASKS.labels(task_name or "unknown", outcome).inc()
