"""The API against its own description: generated requests to every operation of /api/openapi.json, sent to a
real server (uvicorn on the test database, Stripe at the emulator) as a client, as a freelancer and anonymously.
No answer may be a server error, and every answer must match the schema's shape for its status."""

import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from accounts.tests.factories import make_user
from accounts.tokens import login_issue
from marketplace.tests.factories import make_project, make_proposal

# Examples per operation and caller: ~90 operations x 3 callers x up to 4 examples, 1-2 minutes on 2 cores.
MAX_EXAMPLES = 4
CHECKS = "not_a_server_error,response_schema_conformance,content_type_conformance"


def _run(base_url: str, tmp_path: Path, who: str, token: str | None) -> dict[str, Any]:
    config = tmp_path / "schemathesis.toml"
    # No automatic sign-up: the signed-in runs bring their own token, the anonymous run stays anonymous.
    config.write_text("[auth]\nauto-signup = false\n")
    command = [str(Path(sys.executable).with_name("st")), "--config-file", str(config), "run",
               f"{base_url}/api/openapi.json",
               "--checks", CHECKS, "--max-examples", str(MAX_EXAMPLES), "--phases", "examples,fuzzing",
               "--workers", "2", "--request-timeout", "20", "--seed", "12", "--no-color",
               "--generation-allow-x00", "false", "--exclude-path-regex", r"^/api/stripe/",
               "--report", "ndjson", "--report-ndjson-path", str(tmp_path / f"{who}.ndjson")]
    if token:  # anonymous runs pass no auth option at all
        command += ["-H", f"Authorization: Bearer {token}"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=600,
                            cwd=tmp_path, env={**os.environ, "NO_COLOR": "1"})
    requests = 0
    for line in (tmp_path / f"{who}.ndjson").read_text().splitlines():
        if '"status_code"' in line:
            requests += len(re.findall(r'"status_code":\s*\d+', line))
    return {"code": result.returncode, "output": result.stdout[-6000:] + result.stderr[-2000:],
            "requests": requests}


@pytest.mark.django_db(transaction=True)
def test_every_operation_answers_within_its_schema(asgi_servers: Callable[[int], list[str]], tmp_path: Path,
                                                    stripe_emulator: Any, capsys: Any,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STRIPE_API_BASE", stripe_emulator.url)  # the server process reaches the emulator
    client = make_user("client", company="Acme Ltd")
    freelancer = make_user("freelancer", hourly_rate="40.00", headline="Python developer")
    project = make_project(client, title="A project to look at")
    make_proposal(freelancer, project)
    (base_url,) = asgi_servers(1)
    runs = {
        "client": _run(base_url, tmp_path, "client", login_issue(user=client)["access_token"]),
        "freelancer": _run(base_url, tmp_path, "freelancer", login_issue(user=freelancer)["access_token"]),
        "anonymous": _run(base_url, tmp_path, "anonymous", None),
    }
    with capsys.disabled():
        counts = ", ".join(f"{who} {run['requests']}" for who, run in runs.items())
        print(f"\nschema fuzzing: {sum(run['requests'] for run in runs.values())} requests ({counts}), "
              f"up to {MAX_EXAMPLES} examples per operation")
    for who, run in runs.items():
        assert run["requests"] > 0, run["output"]
        assert run["code"] == 0, f"as {who}:\n{run['output']}"
