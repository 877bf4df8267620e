"""Prometheus metrics of this process, exported at `/api/health/metrics`."""

from prometheus_client import Counter, Histogram

REQUESTS = Counter(
    "megilance_http_requests_total", "HTTP requests handled", ["method", "route", "status"]
)
LATENCY = Histogram(
    "megilance_http_request_duration_seconds", "Time to answer an HTTP request", ["method", "route"]
)
EMAILS = Counter("megilance_emails_total", "E-mails by outcome", ["template", "outcome"])
