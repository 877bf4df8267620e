"""DATABASE_REPLICA_URL adds the analytics replica to the settings; the router uses it only for analytics reads."""

import json
import subprocess
import sys

import pytest
from django.conf import settings

from core.db_routers import AnalyticsReplicaRouter, analytics_reads
from core.models import AuditEvent, OutboundEmail

PRODUCTION = {
    "PATH": "/usr/bin:/bin",
    "DJANGO_SETTINGS_MODULE": "megilance.settings.production",
    "DJANGO_ALLOWED_HOSTS": "megilance.example",
    "DJANGO_SECRET_KEY": "k3J9xq2LmZp8Vt4Rw7Yb1Nc6Hd5Fg0Sa-Qe_Ui+Oo=Pl&Ak*Jm^Xn%Bv",
    "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
    "DATABASE_URL": "postgres://megilance:secret@primary.internal:5432/megilance",
    "REDIS_URL": "redis://127.0.0.1:1/0",
}
SHOW = ("import django, json; django.setup(); from django.conf import settings; "
        "print(json.dumps({'databases': settings.DATABASES, 'analytics': settings.ANALYTICS_DATABASE, "
        "'routers': settings.DATABASE_ROUTERS}, default=str))")


def production_settings(**env: str) -> dict:
    result = subprocess.run([sys.executable, "-c", SHOW], env={**PRODUCTION, **env}, cwd=settings.BASE_DIR,
                            capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_without_a_replica_url_there_is_one_database():
    shown = production_settings()
    assert list(shown["databases"]) == ["default"]
    assert shown["analytics"] == "default"


def test_a_replica_url_adds_the_replica_with_the_primarys_connection_options():
    shown = production_settings(DATABASE_REPLICA_URL="postgres://analytics_ro:secret@replica.internal:5432/megilance")
    primary, replica = shown["databases"]["default"], shown["databases"]["replica"]
    assert shown["analytics"] == "replica"
    assert shown["routers"] == ["core.db_routers.AnalyticsReplicaRouter"]
    assert (replica["HOST"], replica["USER"], replica["NAME"]) == ("replica.internal", "analytics_ro", "megilance")
    assert primary["HOST"] == "primary.internal"
    assert replica["CONN_MAX_AGE"] == primary["CONN_MAX_AGE"] == 60
    assert replica["CONN_HEALTH_CHECKS"] is primary["CONN_HEALTH_CHECKS"] is True

    pooled = production_settings(DATABASE_REPLICA_URL="postgres://analytics_ro:secret@replica.internal/megilance",
                                 DJANGO_DB_POOL="1")["databases"]
    assert pooled["replica"]["OPTIONS"]["pool"] == pooled["default"]["OPTIONS"]["pool"]
    assert pooled["replica"]["CONN_MAX_AGE"] == 0


def test_with_a_replica_only_analytics_reads_go_to_it(settings):
    settings.ANALYTICS_DATABASE = "replica"
    router = AnalyticsReplicaRouter()
    assert router.db_for_read(AuditEvent) == "default"
    with analytics_reads():
        assert router.db_for_read(AuditEvent) == "replica"
        assert router.db_for_write(AuditEvent) == "default"
        with analytics_reads():
            assert router.db_for_read(OutboundEmail) == "replica"
        assert router.db_for_read(OutboundEmail) == "replica"
    assert router.db_for_read(AuditEvent) == "default"
    assert router.db_for_write(AuditEvent) == "default"


def test_the_setting_is_undone_when_the_block_fails(settings):
    settings.ANALYTICS_DATABASE = "replica"
    router = AnalyticsReplicaRouter()
    with pytest.raises(RuntimeError), analytics_reads():
        raise RuntimeError("query failed")
    assert router.db_for_read(AuditEvent) == "default"


def test_migrations_run_on_the_primary_only(settings):
    settings.ANALYTICS_DATABASE = "replica"
    router = AnalyticsReplicaRouter()
    assert router.allow_migrate("default", "core") is True
    assert router.allow_migrate("replica", "core") is False


def test_rows_read_from_either_database_may_be_related(settings):
    settings.ANALYTICS_DATABASE = "replica"
    router = AnalyticsReplicaRouter()
    from_primary, from_replica = AuditEvent(), OutboundEmail()
    from_primary._state.db, from_replica._state.db = "default", "replica"
    assert router.allow_relation(from_primary, from_replica) is True
    from_replica._state.db = "elsewhere"
    assert router.allow_relation(from_primary, from_replica) is None


def test_without_a_replica_the_router_leaves_every_decision_to_django(settings):
    assert settings.ANALYTICS_DATABASE == "default"
    router = AnalyticsReplicaRouter()
    with analytics_reads():
        assert router.db_for_read(AuditEvent) is None
        assert router.db_for_write(AuditEvent) is None
    assert router.allow_migrate("default", "core") is None
    assert router.allow_relation(AuditEvent(), OutboundEmail()) is None


def test_a_replica_alias_that_is_not_configured_is_ignored(settings):
    settings.ANALYTICS_DATABASE = "missing"
    with analytics_reads():
        assert AnalyticsReplicaRouter().db_for_read(AuditEvent) is None
