"""Who is online, as staff and members read it: real sockets on real uvicorn processes sharing the real Redis.

A socket that closes stops counting at once; a process that dies stops beating, and its sockets stop counting
within `PRESENCE_OFFLINE_SECONDS` (60 by default; 3 in the processes these tests start, to keep them short).
"""

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import datetime

import pytest
import websockets
from django.db import connection

from accounts import services as account_services
from accounts.tokens import login_issue
from tests.helpers.servers import free_port, wait_for_port

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

GRACE = 3


@pytest.fixture
def uvicorn_process(transactional_db: None, settings) -> Iterator[Callable[[], tuple[str, subprocess.Popen]]]:
    """Starts real uvicorn processes of the product whose sockets stop counting `GRACE` seconds after their
    last heartbeat; returns each one's base URL and process."""
    settings.PRESENCE_OFFLINE_SECONDS = GRACE
    started: list[subprocess.Popen] = []

    def start() -> tuple[str, subprocess.Popen]:
        db = connection.settings_dict
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "megilance.settings.test",
               "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
               "PRESENCE_OFFLINE_SECONDS": str(GRACE)}
        env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        port = free_port()
        process = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "megilance.asgi:application", "--host", "127.0.0.1",
             "--port", str(port), "--log-level", "warning", "--lifespan", "off"], env=env)
        started.append(process)
        wait_for_port(port, timeout=30)
        return f"http://127.0.0.1:{port}", process

    yield start
    for process in started:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()


def _token(user) -> str:
    return login_issue(user=user)["access_token"]


def _socket(base: str, token: str) -> websockets.connect:
    return websockets.connect(base.replace("http", "ws") + f"/ws/notifications/?token={token}",
                              additional_headers={"Origin": base})


def _until(check: Callable[[], bool], timeout: float) -> float:
    """Waits until `check()` holds; returns the seconds it took."""
    began = time.monotonic()
    while not check():
        if time.monotonic() - began > timeout:
            raise AssertionError(f"not so after {timeout} s")
        time.sleep(0.2)
    return time.monotonic() - began


def test_the_default_grace_is_a_minute():
    from megilance.settings import base

    assert base.PRESENCE_OFFLINE_SECONDS == 60
    assert "PRESENCE_OFFLINE_SECONDS" not in os.environ


def test_online_while_connected_and_offline_once_the_socket_closes(uvicorn_process, client_for, make_user,
                                                                    staff_user, freelancer_user, client_user):
    base, process = uvicorn_process()
    staff, member = client_for(staff_user), client_for(client_user)
    url = f"/api/ws/user/{freelancer_user.pk}/online"
    tokens = [_token(freelancer_user), _token(freelancer_user), _token(client_user)]

    before = member.get(url)
    assert before.status_code == 200
    assert before.json() == {"user_id": freelancer_user.pk, "online": False, "last_seen": None}

    async def scenario() -> None:
        async with _socket(base, tokens[0]), _socket(base, tokens[1]), _socket(base, tokens[2]):
            await asyncio.to_thread(_until, lambda: staff.get("/api/ws/status").json()["connections"] == 3, 10)
            status = (await asyncio.to_thread(staff.get, "/api/ws/status")).json()
            assert status["users_online"] == 2
            assert [entry["connections"] for entry in status["processes"]] == [3]
            assert status["processes"][0]["id"].endswith(f"-{process.pid}")

            online = (await asyncio.to_thread(member.get, url)).json()
            assert online["online"] is True and online["user_id"] == freelancer_user.pk
            listed = (await asyncio.to_thread(staff.get, "/api/ws/online-users")).json()
            assert listed["count"] == 2
            assert sorted(row["id"] for row in listed["results"]) == sorted([client_user.pk, freelancer_user.pk])
            assert {row["email"] for row in listed["results"]} == {client_user.email, freelancer_user.email}

            # Staying connected past the grace: the process's heartbeat keeps the sockets counting.
            await asyncio.sleep(GRACE + 1)
            assert (await asyncio.to_thread(member.get, url)).json()["online"] is True

    closed_before = time.time()
    asyncio.run(scenario())
    took = _until(lambda: member.get(url).json()["online"] is False, GRACE)
    assert took < GRACE
    answer = member.get(url).json()
    seen = datetime.fromisoformat(answer["last_seen"].replace("Z", "+00:00")).timestamp()
    assert closed_before - 1 <= seen <= time.time()
    _until(lambda: staff.get("/api/ws/status").json() == {"connections": 0, "users_online": 0, "processes": []},
           GRACE)
    assert staff.get("/api/ws/online-users").json()["count"] == 0


def test_a_dead_process_s_sockets_stop_counting(uvicorn_process, client_for, staff_user, freelancer_user):
    (dying, dying_process), (living, living_process) = uvicorn_process(), uvicorn_process()
    staff = client_for(staff_user)
    url = f"/api/ws/user/{freelancer_user.pk}/online"
    staff_token, freelancer_token = _token(staff_user), _token(freelancer_user)

    async def scenario() -> float:
        async with _socket(living, staff_token):
            socket = await _socket(dying, freelancer_token).__aenter__()
            await asyncio.to_thread(_until, lambda: staff.get("/api/ws/status").json()["connections"] == 2, 10)
            ids = {entry["id"] for entry in (await asyncio.to_thread(staff.get, "/api/ws/status")).json()["processes"]}
            assert {name.rsplit("-", 1)[1] for name in ids} == {str(dying_process.pid), str(living_process.pid)}
            os.kill(dying_process.pid, signal.SIGKILL)  # no close frame, no clean-up: it just stops
            dying_process.wait(timeout=10)
            killed_at = time.time()
            await asyncio.to_thread(_until, lambda: staff.get(url).json()["online"] is False, GRACE + 2)
            status = (await asyncio.to_thread(staff.get, "/api/ws/status")).json()
            assert status["connections"] == 1 and status["users_online"] == 1
            assert [entry["id"].rsplit("-", 1)[1] for entry in status["processes"]] == [str(living_process.pid)]
            socket.transport.abort()
            return killed_at

    killed_at = asyncio.run(scenario())
    answer = staff.get(url).json()
    seen = datetime.fromisoformat(answer["last_seen"].replace("Z", "+00:00")).timestamp()
    # Last seen at the dead process's last heartbeat: no earlier than a third of the grace before it died.
    assert killed_at - GRACE <= seen <= killed_at


def test_who_may_ask(client_for, api_client, staff_user, client_user, freelancer_user, make_user):
    member = client_for(client_user)
    for path in ("/api/ws/status", "/api/ws/online-users"):
        assert api_client.get(path).status_code == 401
        refused = member.get(path)
        assert refused.status_code == 403 and refused.json()["error_type"]
        assert client_for(staff_user).get(path).status_code == 200
    assert api_client.get(f"/api/ws/user/{freelancer_user.pk}/online").status_code == 401
    assert member.get(f"/api/ws/user/{freelancer_user.pk}/online").status_code == 200
    assert member.get("/api/ws/user/999999/online").status_code == 404
    suspended = account_services.user_set_active(user=make_user("freelancer"), active=False)
    assert member.get(f"/api/ws/user/{suspended.pk}/online").status_code == 404


def test_in_the_schema(api_client):
    paths = api_client.get("/api/openapi.json").json()["paths"]
    status = paths["/api/ws/status"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert status["$ref"].endswith("/PresenceStatus")
    assert "/api/ws/online-users" in paths
    assert {"200", "404"} <= set(paths["/api/ws/user/{id}/online"]["get"]["responses"])
