"""`manage.py backup_database`: pg_dump of the default database to S3 under a dated key, then retention.

Run it daily (cron, a scheduled container or a Kubernetes CronJob) from the application image, which has
pg_dump. Configuration: BACKUP_S3_BUCKET, BACKUP_S3_PREFIX (default `postgres/`), BACKUP_KEEP_DAYS
(default 30), BACKUP_KEEP_LAST (default 7), and AWS_S3_ENDPOINT_URL for an S3-compatible store.
"""

import os

from django.core.management.base import BaseCommand, CommandError
from django.db import connections

from core import backups


class Command(BaseCommand):
    help = "Dump the database to S3 (custom format, dated key) and delete backups past the retention."

    def add_arguments(self, parser):
        parser.add_argument("--bucket", default=os.environ.get("BACKUP_S3_BUCKET", ""))
        parser.add_argument("--prefix", default=os.environ.get("BACKUP_S3_PREFIX", "postgres/"))
        parser.add_argument("--keep-days", type=int, default=int(os.environ.get("BACKUP_KEEP_DAYS", "30")),
                            help="delete backups older than this many days ...")
        parser.add_argument("--keep-last", type=int, default=int(os.environ.get("BACKUP_KEEP_LAST", "7")),
                            help="... but always keep this many of the newest")
        parser.add_argument("--endpoint-url", default=os.environ.get("AWS_S3_ENDPOINT_URL", ""))
        parser.add_argument("--database", default="default", help="the Django database alias")

    def handle(self, *args, **options):
        if not options["bucket"]:
            raise CommandError("Set BACKUP_S3_BUCKET (or pass --bucket).")
        db = connections[options["database"]].settings_dict
        if db["ENGINE"] != "django.db.backends.postgresql":
            raise CommandError("Backups are for PostgreSQL.")
        s3 = backups.s3_client(options["endpoint_url"])
        try:
            backup = backups.backup_create(db=db, bucket=options["bucket"], prefix=options["prefix"], s3=s3)
        except RuntimeError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(f"stored s3://{options['bucket']}/{backup.key}")
        deleted = backups.backup_prune(bucket=options["bucket"], prefix=options["prefix"], database=db["NAME"],
                                       s3=s3, keep_days=options["keep_days"], keep_last=options["keep_last"])
        for old in deleted:
            self.stdout.write(f"deleted s3://{options['bucket']}/{old.key}")
