"""What `make run` prints and links to: run with the embedded default's settings in a child process, on a
fresh SQLite database, as `make run` does."""

import os
import subprocess
import sys
from pathlib import Path

from django.conf import settings

SCRIPT = """
import django
django.setup()
from django.core.management import call_command
from django.db import transaction
call_command("migrate", verbosity=0, interactive=False)
print("=== first screen ===", flush=True)
call_command("seed_demo")
from devtools.banner import serve_banner
print(serve_banner(url="http://127.0.0.1:8200"), flush=True)
print("=== a verification e-mail ===", flush=True)
from accounts.emails import send_verification
from accounts.models import User
with transaction.atomic():
    send_verification(User.objects.get(email="alice@acme.test"))
"""


def _run(tmp_path: Path, code: str, **extra: str) -> subprocess.CompletedProcess:
    # Only what `make run` on a fresh machine has: none of the test run's broker, database or e-mail settings.
    env = {key: os.environ[key] for key in ("PATH", "HOME", "LANG", "TMPDIR") if key in os.environ}
    env.update({"DJANGO_SETTINGS_MODULE": "megilance.settings.local",
                "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
                "DEV_INBOX_DIR": str(tmp_path / "inbox"), **extra})
    return subprocess.run([sys.executable, "-c", code], cwd=settings.BASE_DIR, env=env,
                          capture_output=True, text=True, timeout=600, check=False)


def test_links_follow_the_port_the_server_runs_on(tmp_path) -> None:
    code = "import django; django.setup(); from django.conf import settings; print(settings.FRONTEND_URL)"
    assert _run(tmp_path, code, PORT="8200").stdout.strip() == "http://127.0.0.1:8200"
    assert _run(tmp_path, code, PORT="8200", HOST="0.0.0.0").stdout.strip() == "http://127.0.0.1:8200"
    assert _run(tmp_path, code).stdout.strip() == "http://127.0.0.1:8000"
    chosen = _run(tmp_path, code, PORT="8200", FRONTEND_URL="https://megilance.example/")
    assert chosen.stdout.strip() == "https://megilance.example"


def test_first_screen_is_short_and_says_where_to_go(tmp_path) -> None:
    done = _run(tmp_path, SCRIPT, PORT="8200")
    assert done.returncode == 0, done.stderr[-3000:]
    first_screen, email = done.stdout.split("=== first screen ===", 1)[1].split("=== a verification e-mail ===")
    lines = (first_screen + done.stderr).strip().splitlines()
    assert len(lines) < 40, "\n".join(lines)
    assert "Subject:" not in first_screen  # no demo e-mails on the console
    assert "http://127.0.0.1:8200/" in first_screen
    assert "http://127.0.0.1:8200/dev/inbox/" in first_screen
    for login in ("admin@megilance.test", "megilance-admin", "alice@acme.test", "fatima@megilance.test",
                  "megilance-demo"):
        assert login in first_screen
    # The demo's e-mails are kept for the dev inbox all the same.
    assert len(list((tmp_path / "inbox").glob("*.eml"))) > 0
    # An e-mail sent afterwards is printed, and its link leads to the server on port 8200.
    assert "http://127.0.0.1:8200/verify-email/" in email
