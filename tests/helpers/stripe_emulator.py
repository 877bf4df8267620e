"""Pytest fixtures for the Stripe emulator: `python manage.py stripe_emulator` in its own process for the session.

The real `stripe` SDK, dj-stripe and the code under test reach it through `stripe.api_base` and the
`STRIPE_API_BASE` / `STRIPE_API_HOST` settings, which point at it for the session.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

BASE_DIR = Path(__file__).resolve().parents[2]
# Straight to the emulator, whatever proxy the environment names.
_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class StripeEmulator:
    url: str
    api_key: str
    process: subprocess.Popen = field(repr=False)
    log_file: Path = field(repr=False)

    def request(self, method: str, path: str, data: list[tuple[str, str]] | None = None) -> Any:
        """A raw call (form-encoded, with the platform's key); the parsed JSON answer, or None if empty."""
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        request = urllib.request.Request(f"{self.url}{path}", data=body, method=method,
                                         headers={"Authorization": f"Bearer {self.api_key}"})
        with _opener.open(request, timeout=10) as response:
            content = response.read()
        return json.loads(content) if content.strip() else None

    def reset(self) -> None:
        """Forgets every object (customers, payments, accounts, transfers, ...). Webhooks stay registered."""
        self.request("DELETE", "/_config/data")

    def register_webhook(self, name: str, url: str, secret: str, events: list[str] | None = None) -> None:
        """Signed deliveries of `events` (all of them if None) to `url`, as Stripe's webhook endpoints."""
        data = [("url", url), ("secret", secret)] + [("events[]", event) for event in events or []]
        self.request("POST", f"/_config/webhooks/{name}", data)

    def unregister_webhook(self, name: str) -> None:
        self.request("DELETE", f"/_config/webhooks/{name}")

    def complete_onboarding(self, account_id: str) -> dict[str, Any]:
        """What finishing Stripe's hosted onboarding does to a connected account; `account.updated` is sent."""
        return self.request("POST", f"/_config/accounts/{account_id}/complete", [])

    def log(self) -> str:
        return self.log_file.read_text(errors="replace") if self.log_file.exists() else ""


def _wait_until_listening(emulator: StripeEmulator, port: int, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if emulator.process.poll() is not None:
            raise RuntimeError(f"the Stripe emulator exited with {emulator.process.returncode}:\n{emulator.log()}")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise TimeoutError(f"the Stripe emulator did not listen on port {port}:\n{emulator.log()}")


@pytest.fixture(scope="session")
def stripe_emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StripeEmulator]:
    """The emulator on a free port with a state file of its own; the SDK and settings point at it."""
    import stripe
    from django.conf import settings
    from django.test import override_settings

    port = _free_port()
    directory = tmp_path_factory.mktemp("stripe-emulator")
    log_file = directory / "emulator.log"
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "megilance.settings.test", "PYTHONUNBUFFERED": "1"}
    with log_file.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, str(BASE_DIR / "manage.py"), "stripe_emulator", "--port", str(port),
             "--state", str(directory / "state.pickle")],
            cwd=BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    emulator = StripeEmulator(url=url, api_key=settings.STRIPE_SECRET_KEY, process=process, log_file=log_file)
    saved = (stripe.api_base, stripe.api_key)
    overridden = override_settings(STRIPE_API_BASE=url, STRIPE_API_HOST=url)
    try:
        _wait_until_listening(emulator, port)
        stripe.api_base, stripe.api_key = url, settings.STRIPE_SECRET_KEY
        overridden.enable()
        try:
            yield emulator
        finally:
            overridden.disable()
    finally:
        stripe.api_base, stripe.api_key = saved
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@pytest.fixture
def stripe_clean(stripe_emulator: StripeEmulator) -> StripeEmulator:
    """The emulator with no data left by earlier tests."""
    stripe_emulator.reset()
    return stripe_emulator
