# ruff: noqa: N999  (gunicorn looks for a file of this name)
"""gunicorn settings for the WSGI web workers: `gunicorn -c megilance/gunicorn.conf.py megilance.wsgi:application`.

Besides the usual settings (each can still be given on the command line, which wins), it keeps gunicorn from
naming itself in a `Server` header: telling every visitor the server software and version helps only those
looking for a known weakness. gunicorn has no setting for it, so the header line is left out where gunicorn
writes it; workers are forked from the process that read this file and inherit the change.
"""

import os

import gunicorn.http.wsgi  # type: ignore[import-untyped]

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "3"))
# No access log unless asked for: behind the proxy, nginx writes one (without query strings or e-mailed
# tokens). `GUNICORN_ACCESS_LOG=-` writes one to stdout, through the logging filter that hides tokens.
accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or None
# As long as the proxy's URL limit (8 KB), so a long URL nginx passes is not refused here in HTML.
limit_request_line = 8190
# Forwarded headers are judged by Django (`TRUSTED_PROXIES`), not by gunicorn.
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1")

_default_headers = gunicorn.http.wsgi.Response.default_headers


def _without_server(self: gunicorn.http.wsgi.Response) -> list[str]:
    return [line for line in _default_headers(self) if not line.lower().startswith("server:")]


gunicorn.http.wsgi.Response.default_headers = _without_server
