"""`make run`'s server: the Stripe emulator plus the whole product (pages, API, WebSockets) on one port.

Ctrl-C stops both.
"""

import os
import signal
import socket
import subprocess
import sys
import time
from urllib.parse import urlsplit

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser


def _port_open(host: str, port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.3)
        return sock.connect_ex((host, port)) == 0


class Command(BaseCommand):
    help = "Serves MegiLance with the embedded default: uvicorn (HTTP and WebSockets) and the Stripe emulator."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))

    def handle(self, *args: object, host: str, port: int, **options: object) -> None:
        children: list[subprocess.Popen] = []
        env = dict(os.environ)
        url = f"http://{'127.0.0.1' if host in ('', '0.0.0.0', '::') else host}:{port}"  # noqa: S104
        # E-mailed links lead to this server (whatever --port says) unless FRONTEND_URL is set.
        env.setdefault("FRONTEND_URL", url)
        api_base = urlsplit(settings.STRIPE_API_BASE or "http://127.0.0.1:8420")
        stripe_host, stripe_port = api_base.hostname or "127.0.0.1", api_base.port or 8420
        if stripe_host in ("127.0.0.1", "localhost") and not _port_open(stripe_host, stripe_port):
            state = settings.BASE_DIR / "var" / "localstripe.pickle"
            children.append(subprocess.Popen(  # noqa: S603
                [sys.executable, "manage.py", "stripe_emulator", "--port", str(stripe_port), "--state", str(state)],
                env=env,
            ))
            for _ in range(100):
                if _port_open(stripe_host, stripe_port):
                    break
                time.sleep(0.1)
            else:
                self._stop(children)
                raise CommandError(f"The Stripe emulator did not start on port {stripe_port}.")
        if _port_open(stripe_host, stripe_port) and stripe_host in ("127.0.0.1", "localhost"):
            # The emulator sends its signed webhooks to dj-stripe's endpoint on this server.
            from devtools.webhook_setup import register_with_emulator

            try:
                register_with_emulator(emulator_url=f"http://{stripe_host}:{stripe_port}",
                                       site_url=f"http://127.0.0.1:{port}")
            except OSError as exc:
                self.stderr.write(f"Stripe webhooks are not connected: {exc}")
        from devtools.banner import serve_banner

        self.stdout.write(self.style.SUCCESS(serve_banner(url=url, frontend_url=env["FRONTEND_URL"])))
        children.append(subprocess.Popen(  # noqa: S603
            [sys.executable, "-m", "uvicorn", "megilance.asgi:application", "--host", host, "--port", str(port),
             "--lifespan", "off", "--no-server-header"],
            env=env,
        ))

        stopping = False

        def stop(*_: object) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGTERM, stop)
        try:
            while not stopping and all(child.poll() is None for child in children):
                time.sleep(0.3)
        except KeyboardInterrupt:
            pass
        finally:
            self._stop(children)

    @staticmethod
    def _stop(children: list[subprocess.Popen]) -> None:
        for child in children:
            if child.poll() is None:
                child.send_signal(signal.SIGINT)
        deadline = time.monotonic() + 10
        for child in children:
            try:
                child.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                child.kill()
