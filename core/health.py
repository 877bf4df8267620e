"""Liveness, readiness (database, cache, broker) and Prometheus metrics."""

import hmac
import ipaddress
import uuid

from celery import current_app
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import HttpResponse
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from rest_framework import exceptions, serializers
from rest_framework.decorators import api_view, authentication_classes, permission_classes, throttle_classes
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response

from .clientip import client_ip, through_proxy


def check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def check_cache() -> None:
    key = f"health:{uuid.uuid4().hex}"
    cache.set(key, "1", timeout=5)
    if cache.get(key) != "1":
        raise RuntimeError("the cache did not return what was stored")
    cache.delete(key)


def check_redis() -> None:
    """The Redis that carries sockets between processes (channels-redis), presence and the cache."""
    if not settings.REDIS_URL:
        return  # the embedded default: one process, in-memory layer
    import redis

    client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2, socket_timeout=2)
    try:
        client.ping()
    finally:
        client.close()


def check_broker() -> None:
    """The broker of the project's Celery application (the current one: the settings package creates it)."""
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return  # tasks run in-process: there is no broker to reach
    with current_app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0.2, timeout=2)


CHECKS = {"database": check_database, "redis": check_redis, "cache": check_cache, "broker": check_broker}

_status = inline_serializer("HealthStatus", {"status": serializers.CharField()})
_ready = inline_serializer(
    "ReadinessStatus",
    {"status": serializers.CharField(), "checks": serializers.DictField(child=serializers.CharField()),
     "failed": serializers.ListField(child=serializers.CharField())},
)


@extend_schema(tags=["health"], responses={200: _status}, auth=[])
@api_view(["GET"])
@authentication_classes([])
@permission_classes([AllowAny])
@throttle_classes([])
def live(request: Request) -> Response:
    """The process is up and answering."""
    return Response({"status": "ok"})


@extend_schema(tags=["health"], responses={200: _ready, 503: _ready}, auth=[])
@api_view(["GET"])
@authentication_classes([])
@permission_classes([AllowAny])
@throttle_classes([])
def ready(request: Request) -> Response:
    """Database, Redis, cache and broker are reachable; 503 names the ones that are not."""
    results: dict[str, str] = {}
    failed: list[str] = []
    for name, check in CHECKS.items():
        try:
            check()
            results[name] = "ok"
        except Exception as exc:  # any failure means not ready; the answer says which and why
            results[name] = f"error: {type(exc).__name__}"
            failed.append(name)
    body = {"status": "ok" if not failed else "unavailable", "checks": results, "failed": failed}
    return Response(body, status=503 if failed else 200)


def _in(address: str | None, entries: list[str]) -> bool:
    try:
        parsed = ipaddress.ip_address(address or "")
    except ValueError:
        return False
    return any(parsed in ipaddress.ip_network(entry.strip(), strict=False) for entry in entries if entry.strip())


def metrics_allowed(request: Request) -> bool:
    """As Prometheus set-ups do: the scraper presents `METRICS_TOKEN` as a bearer token, or comes from an
    address in `METRICS_ALLOWED_IPS`. With neither set, only this machine may read them (loopback, and not
    relayed by a proxy on this machine for someone else)."""
    token: str = settings.METRICS_TOKEN
    allowed: list[str] = settings.METRICS_ALLOWED_IPS
    if token:
        presented = request.headers.get("Authorization", "")
        if hmac.compare_digest(presented.encode(), f"Bearer {token}".encode()):
            return True
    if allowed:
        return _in(client_ip(request), allowed)
    if token:
        return False
    return _in(client_ip(request), ["127.0.0.0/8", "::1/128"]) and not through_proxy(request)


@extend_schema(tags=["health"], responses={(200, "text/plain"): OpenApiResponse(description="Prometheus text format"),
                                          403: OpenApiResponse(description="Not the monitoring system")},
               auth=[])
@api_view(["GET"])
@authentication_classes([])
@permission_classes([AllowAny])
@throttle_classes([])
def metrics(request: Request) -> HttpResponse:
    """Prometheus metrics of this process, for the scraper only (see `metrics_allowed`)."""
    if not metrics_allowed(request):
        raise exceptions.PermissionDenied("Metrics are only for the monitoring system.")
    return HttpResponse(generate_latest(), content_type=CONTENT_TYPE_LATEST)
