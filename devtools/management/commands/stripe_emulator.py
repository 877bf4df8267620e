from pathlib import Path

from django.core.management.base import BaseCommand, CommandParser

from devtools.emulator import serve


class Command(BaseCommand):
    help = "Runs the local Stripe emulator (localstripe) for development and tests."
    requires_system_checks: list = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8420)
        parser.add_argument("--state", type=Path, default=None, help="file that keeps the emulator's data")

    def handle(self, *args: object, host: str, port: int, state: Path | None, **options: object) -> None:
        self.stdout.write(f"Stripe emulator on http://{host}:{port}")
        serve(host=host, port=port, state_file=state)
