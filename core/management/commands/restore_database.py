"""`manage.py restore_database KEY --target-url postgres://...`: restores a backup from S3 into a fresh,
empty database (create it first: `createdb megilance_restored`). It never writes over a database that has
tables; point DATABASE_URL at the restored database once it is checked. `--list` shows the backups."""

import os

import environ  # type: ignore[import-untyped]
from django.core.management.base import BaseCommand, CommandError
from django.db import connections

from core import backups


class Command(BaseCommand):
    help = "Restore a database backup from S3 into a fresh database, or list the backups."

    def add_arguments(self, parser):
        parser.add_argument("key", nargs="?", help="the backup's key, as `backup_database` or --list printed it")
        parser.add_argument("--target-url", default="", help="the empty database to restore into")
        parser.add_argument("--list", action="store_true", help="list this database's backups, oldest first")
        parser.add_argument("--bucket", default=os.environ.get("BACKUP_S3_BUCKET", ""))
        parser.add_argument("--prefix", default=os.environ.get("BACKUP_S3_PREFIX", "postgres/"))
        parser.add_argument("--endpoint-url", default=os.environ.get("AWS_S3_ENDPOINT_URL", ""))

    def handle(self, *args, **options):
        if not options["bucket"]:
            raise CommandError("Set BACKUP_S3_BUCKET (or pass --bucket).")
        s3 = backups.s3_client(options["endpoint_url"])
        if options["list"]:
            name = connections["default"].settings_dict["NAME"]
            for backup in backups.backup_list(bucket=options["bucket"], prefix=options["prefix"], database=name,
                                              s3=s3):
                self.stdout.write(f"{backup.key}  {backup.taken_at.isoformat()}")
            return
        if not options["key"] or not options["target_url"]:
            raise CommandError("Give the backup's key and --target-url of an empty database.")
        target = environ.Env.db_url_config(options["target_url"])
        try:
            backups.backup_restore(key=options["key"], bucket=options["bucket"], db=target, s3=s3)
        except RuntimeError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(f"restored {options['key']} into database {target['NAME']}")
