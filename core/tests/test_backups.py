"""Database backups as an operator relies on them: `backup_database` dumps the real test database to S3
(moto's server), `restore_database` brings it back into a fresh database with the data as it was, and
retention deletes only the old backups."""

import io
import uuid
from datetime import UTC, datetime, timedelta

import boto3
import psycopg
import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from accounts.models import User
from core import backups

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def bucket(moto_server):
    name = f"backups-{uuid.uuid4().hex[:12]}"
    s3 = boto3.client("s3", endpoint_url=moto_server, region_name="us-east-1")
    s3.create_bucket(Bucket=name)
    return name


@pytest.fixture
def fresh_database():
    """An empty database on the same server, dropped afterwards."""
    db = connection.settings_dict
    name = f"{db['NAME']}_restored_{uuid.uuid4().hex[:8]}"
    admin = f"host={db['HOST']} port={db['PORT']} user={db['USER']} dbname=postgres"
    if db.get("PASSWORD"):
        admin += f" password={db['PASSWORD']}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{name}"
    yield name, url
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _keys(moto_server, bucket):
    s3 = boto3.client("s3", endpoint_url=moto_server, region_name="us-east-1")
    return sorted(item["Key"] for item in s3.list_objects_v2(Bucket=bucket).get("Contents", []))


def test_backup_to_s3_then_restore_into_a_fresh_database_brings_the_data_back(moto_server, bucket, fresh_database,
                                                                               make_user):
    user = make_user("client", company="Before Backup Ltd")
    original_email = user.email
    out = io.StringIO()
    call_command("backup_database", bucket=bucket, endpoint_url=moto_server, stdout=out)
    [key] = _keys(moto_server, bucket)
    assert key.startswith(f"postgres/{connection.settings_dict['NAME']}-") and key.endswith(".dump")
    assert f"stored s3://{bucket}/{key}" in out.getvalue()

    # Damage after the backup: a changed row and a deleted one.
    User.objects.filter(pk=user.pk).update(email="changed@after.test")
    victim = make_user("freelancer")
    victim_email = victim.email
    User.objects.filter(pk=victim.pk).delete()

    name, url = fresh_database
    call_command("restore_database", key, target_url=url, bucket=bucket, endpoint_url=moto_server, stdout=out)
    assert f"restored {key} into database {name}" in out.getvalue()

    db = connection.settings_dict
    with psycopg.connect(host=db["HOST"], port=db["PORT"], user=db["USER"], dbname=name) as restored:
        emails = {row[0] for row in restored.execute("SELECT email FROM accounts_user")}
        migrations = restored.execute("SELECT count(*) FROM django_migrations").fetchone()[0]
    assert original_email in emails and "changed@after.test" not in emails
    assert victim_email not in emails  # created after the backup
    assert migrations > 0
    print(f"restored {len(emails)} users and {migrations} applied migrations from s3://{bucket}/{key}")


def test_restore_never_writes_over_a_database_with_tables(moto_server, bucket):
    call_command("backup_database", bucket=bucket, endpoint_url=moto_server, stdout=io.StringIO())
    [key] = _keys(moto_server, bucket)
    db = connection.settings_dict
    live = f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    with pytest.raises(CommandError, match="not empty"):
        call_command("restore_database", key, target_url=live, bucket=bucket, endpoint_url=moto_server)


def test_retention_deletes_only_backups_past_the_age_and_beyond_the_newest(moto_server, bucket):
    s3 = boto3.client("s3", endpoint_url=moto_server, region_name="us-east-1")
    name = connection.settings_dict["NAME"]
    now = datetime.now(tz=UTC)
    ages = [40, 35, 31, 20, 2]  # days
    for days in ages:
        s3.put_object(Bucket=bucket, Key=backups.backup_key("postgres/", name, now - timedelta(days=days)), Body=b"x")
    others = ["postgres/another_db-20200101T000000Z.dump", "elsewhere/notes.txt", "postgres/readme.txt"]
    for key in others:
        s3.put_object(Bucket=bucket, Key=key, Body=b"x")

    call_command("backup_database", bucket=bucket, endpoint_url=moto_server, keep_days=30, keep_last=2,
                 stdout=io.StringIO())

    left = _keys(moto_server, bucket)
    ours = [key for key in left if key.startswith(f"postgres/{name}-")]
    # Today's backup plus those 20 and 2 days old; the three older than 30 days are gone.
    assert len(ours) == 3
    assert backups.backup_key("postgres/", name, now - timedelta(days=20)) in ours
    assert backups.backup_key("postgres/", name, now - timedelta(days=2)) in ours
    assert all(key in left for key in others)  # nothing that is not this database's backup is touched


def test_retention_keeps_the_newest_even_when_all_are_old(moto_server, bucket):
    s3 = boto3.client("s3", endpoint_url=moto_server, region_name="us-east-1")
    now = datetime.now(tz=UTC)
    keys = [backups.backup_key("postgres/", "megilance", now - timedelta(days=days)) for days in (90, 60, 45)]
    for key in keys:
        s3.put_object(Bucket=bucket, Key=key, Body=b"x")
    deleted = backups.backup_prune(bucket=bucket, prefix="postgres/", database="megilance", s3=s3,
                                   keep_days=30, keep_last=2)
    assert [backup.key for backup in deleted] == [keys[0]]
    assert _keys(moto_server, bucket) == sorted(keys[1:])

