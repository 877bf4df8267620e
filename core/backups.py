"""PostgreSQL backups on S3: `pg_dump` in custom format under a dated key, retention, and restore.

Keys are `<prefix><database>-<YYYYMMDDTHHMMSSZ>.dump`; retention reads the date from the key. The
database password reaches pg_dump and pg_restore through the environment, never a command line or a log.
"""

import logging
import os
import re
import subprocess
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3  # type: ignore[import-untyped]

logger = logging.getLogger(__name__)

_STAMP = "%Y%m%dT%H%M%SZ"
_KEY = re.compile(r"^(?P<name>.+)-(?P<stamp>\d{8}T\d{6}Z)\.dump$")


@dataclass(frozen=True)
class Backup:
    key: str
    taken_at: datetime


def pg_environment(db: dict[str, Any]) -> dict[str, str]:
    """libpq's variables for a Django database settings dict (password included, for the child only)."""
    env = {**os.environ}
    for var, field in (("PGHOST", "HOST"), ("PGPORT", "PORT"), ("PGUSER", "USER"), ("PGPASSWORD", "PASSWORD"),
                       ("PGDATABASE", "NAME")):
        if db.get(field):
            env[var] = str(db[field])
    return env


def _run(args: list[str], env: dict[str, str]) -> str:
    """Runs a PostgreSQL client tool; a failure carries the tool's own message (never the password)."""
    try:
        return subprocess.run(args, env=env, check=True, capture_output=True, text=True).stdout  # noqa: S603
    except subprocess.CalledProcessError as error:
        raise RuntimeError(f"{args[0]} failed: {error.stderr.strip()}") from None


def s3_client(endpoint_url: str | None = None) -> Any:
    return boto3.client("s3", endpoint_url=endpoint_url or None)


def backup_key(prefix: str, database: str, at: datetime) -> str:
    return f"{prefix}{database}-{at.astimezone(UTC).strftime(_STAMP)}.dump"


def backup_create(*, db: dict[str, Any], bucket: str, prefix: str, s3: Any, now: datetime | None = None) -> Backup:
    """Dumps the database (custom format, compressed) and uploads it; returns what was stored."""
    now = now or datetime.now(tz=UTC)
    key = backup_key(prefix, db["NAME"], now)
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "backup.dump")
        _run(["pg_dump", "--format=custom", "--no-owner", "--no-privileges", f"--file={path}"], pg_environment(db))
        s3.upload_file(path, bucket, key, ExtraArgs={"ServerSideEncryption": "AES256"})
        size = os.path.getsize(path)
    logger.info("database backup stored", extra={"bucket": bucket, "key": key, "bytes": size})
    return Backup(key=key, taken_at=now)


def backup_list(*, bucket: str, prefix: str, database: str, s3: Any) -> list[Backup]:
    """This database's backups under the prefix, oldest first (other objects are ignored)."""
    found = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for item in page.get("Contents", []):
            match = _KEY.match(item["Key"][len(prefix):])
            if match and match["name"] == database:
                taken_at = datetime.strptime(match["stamp"], _STAMP).replace(tzinfo=UTC)
                found.append(Backup(key=item["Key"], taken_at=taken_at))
    return sorted(found, key=lambda backup: backup.taken_at)


def backup_prune(*, bucket: str, prefix: str, database: str, s3: Any, keep_days: int, keep_last: int,
                 now: datetime | None = None) -> list[Backup]:
    """Deletes backups older than `keep_days`, always keeping the newest `keep_last`; returns the deleted."""
    now = now or datetime.now(tz=UTC)
    backups = backup_list(bucket=bucket, prefix=prefix, database=database, s3=s3)
    kept_newest = {backup.key for backup in backups[-keep_last:]} if keep_last > 0 else set()
    cutoff = now - timedelta(days=keep_days)
    deleted = [b for b in backups if b.taken_at < cutoff and b.key not in kept_newest]
    for backup in deleted:
        s3.delete_object(Bucket=bucket, Key=backup.key)
        logger.info("old database backup deleted", extra={"bucket": bucket, "key": backup.key})
    return deleted


def backup_restore(*, key: str, bucket: str, db: dict[str, Any], s3: Any) -> None:
    """Restores a backup into `db`, which must be an empty database (a fresh one: restore never overwrites)."""
    env = pg_environment(db)
    tables = _run(["psql", "--no-psqlrc", "--tuples-only", "--no-align", "--command",
                   "SELECT count(*) FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema')"],
                  env).strip()
    if tables != "0":
        raise RuntimeError(f"database {db['NAME']} is not empty ({tables} tables): restore into a fresh database")
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "backup.dump")
        s3.download_file(bucket, key, path)
        _run(["pg_restore", "--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction",
              f"--dbname={db['NAME']}", path], env)
    logger.info("database restored", extra={"bucket": bucket, "key": key, "database": db["NAME"]})
