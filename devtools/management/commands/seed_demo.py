"""Loads the demo data once; running it again changes nothing.

Each app that has demo data provides `<app>/demo.py` with a `seed(stdout)` function; they run in the
order of INSTALLED_APPS, so an app's demo data can build on the apps below it.
"""

from importlib import import_module
from importlib.util import find_spec

from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import transaction


class Command(BaseCommand):
    help = "Creates the demo accounts and marketplace data (idempotent)."

    def handle(self, *args: object, **options: object) -> None:
        for config in apps.get_app_configs():
            module_name = f"{config.name}.demo"
            if find_spec(module_name) is None:
                continue
            with transaction.atomic():
                import_module(module_name).seed(self.stdout)
        self.stdout.write(self.style.SUCCESS("Demo data is in place."))
