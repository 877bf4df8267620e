"""Loads the demo data once; running it again changes nothing.

Each app that has demo data provides `<app>/demo.py` with a `seed(stdout)` function; they run in the
order of INSTALLED_APPS, so an app's demo data can build on the apps below it.

The e-mails the demo's activity sends go to the dev inbox only, and what each app created is counted
rather than listed (`-v 2` lists it), so `make run`'s first screen stays short.
"""

from importlib import import_module
from importlib.util import find_spec

from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import transaction

from devtools.mail_backends import inbox_only


class _Tally:
    """A stdout for the apps' seed functions: counts their lines, and shows them only when asked to."""

    def __init__(self, stdout: object, *, show: bool) -> None:
        self.stdout = stdout
        self.show = show
        self.lines = 0

    def write(self, text: str = "", *args: object, **kwargs: object) -> None:
        self.lines += 1
        if self.show:
            self.stdout.write(text, *args, **kwargs)  # type: ignore[attr-defined]

    def flush(self) -> None:
        pass


class Command(BaseCommand):
    help = "Creates the demo accounts and marketplace data (idempotent)."

    def handle(self, *args: object, verbosity: int = 1, **options: object) -> None:
        tally = _Tally(self.stdout, show=verbosity >= 2)
        with inbox_only():
            for config in apps.get_app_configs():
                module_name = f"{config.name}.demo"
                if find_spec(module_name) is None:
                    continue
                with transaction.atomic():
                    import_module(module_name).seed(tally)
        if tally.lines:
            self.stdout.write(self.style.SUCCESS("Demo data loaded; the e-mails it sent are in the dev inbox."))
        else:
            self.stdout.write(self.style.SUCCESS("Demo data is in place."))
