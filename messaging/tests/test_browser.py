"""Live chat and the live notification bell in two real browsers (Debian's Chromium, headless).

pytest-django's live_server speaks HTTP only, so the whole product runs here under uvicorn (pages and
WebSockets) in its own process, on the test database and the test Redis. A client and a freelancer, each in
their own browser context, open the same chat: the freelancer sees "… is typing" and then the message
without reloading, and the bell counts a notification the moment it is sent.
"""

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from accounts.tests.factories import PASSWORD
from tests.helpers.browser import open_menu
from tests.helpers.servers import free_port, wait_for_port

# Playwright's sync API runs an event loop in this thread; the ORM calls made by the test are safe here.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"

pytestmark = [
    pytest.mark.browser,
]


@pytest.fixture
def asgi_server(transactional_db: None) -> Iterator[str]:
    """The product under uvicorn (HTTP and WebSockets), on the committed test database; stopped afterwards."""
    from django.db import connection

    db = connection.settings_dict
    port = free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "megilance.settings.test",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "REDIS_URL": os.environ.get("REDIS_URL", ""),
    }
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    log = ARTIFACTS / "messaging-uvicorn.log"
    ARTIFACTS.mkdir(exist_ok=True)
    with log.open("wb") as output:
        server = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "megilance.asgi:application", "--host", "127.0.0.1",
             "--port", str(port), "--log-level", "warning", "--ws", "websockets-sansio"],
            env=env, stdout=output, stderr=subprocess.STDOUT,
        )
        try:
            wait_for_port(port, timeout=30)
            yield f"http://127.0.0.1:{port}"
        finally:
            server.terminate()
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait(timeout=5)


def in_another_thread(function, *args, **kwargs):
    """Runs ORM code that broadcasts (async_to_sync) outside Playwright's event-loop thread."""
    from django.db import connection

    def run():
        try:
            return function(*args, **kwargs)
        finally:
            connection.close()

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(run).result()


def log_in(page, base_url: str, email: str) -> None:
    page.goto(f"{base_url}/login/")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Log in", exact=True).click()
    page.wait_for_url(re.compile(r"/$"))


def test_typing_a_message_and_a_notification_arrive_live(asgi_server, make_user) -> None:
    from playwright.sync_api import expect, sync_playwright

    from messaging.models import Message, NotificationKind
    from messaging.notifications import notify
    from messaging.services import chat_open

    carla = make_user("client", first_name="Carla", last_name="Client", email="carla.client@example.com")
    bea = make_user("freelancer", first_name="Bea", last_name="Worker", email="bea.worker@example.com")
    chat = chat_open(user=carla, participant=bea)[0]
    chat_url = f"{asgi_server}/messages/{chat.pk}/"
    text = "Hello Bea! Could you start on <b>Monday</b>?"

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            client_page = browser.new_context(viewport={"width": 1100, "height": 800}).new_page()
            freelancer_page = browser.new_context(viewport={"width": 390, "height": 844}).new_page()
            for page, user in ((client_page, carla), (freelancer_page, bea)):
                page.set_default_timeout(15_000)
                log_in(page, asgi_server, user.email)
                page.goto(chat_url)
                expect(page.locator("#chat")).to_have_class(re.compile(r"\bchat--live\b"))

            expect(freelancer_page.get_by_role("heading", level=1)).to_have_text("Chat with Carla Client")
            expect(freelancer_page.locator("#chat-presence")).to_have_text("Online")  # the frame sent on connect
            # Bea was online already (her bell's socket) when her chat socket joined, and the consumers announce
            # presence only when a chat socket brings someone online: Carla learns it from a fresh page.
            client_page.reload()
            expect(client_page.locator("#chat")).to_have_class(re.compile(r"\bchat--live\b"))
            expect(client_page.locator("#chat-presence")).to_have_text("Online")
            freelancer_page.evaluate("window.__stillTheSamePage = true")

            # Carla types: Bea sees it, then the message itself, without reloading.
            client_page.get_by_label("Message", exact=True).press_sequentially(text, delay=15)
            expect(freelancer_page.get_by_text("Carla Client is typing…")).to_be_visible()
            freelancer_page.screenshot(path=str(ARTIFACTS / "messaging-typing.png"), full_page=True)

            client_page.get_by_role("button", name="Send message").click()
            received = freelancer_page.get_by_role("log").locator(".bubble__text", has_text="Could you start on")
            expect(received).to_have_text(text)  # as text: the <b> is shown, not obeyed
            expect(freelancer_page.get_by_text("Carla Client is typing…")).to_have_count(0)
            assert freelancer_page.evaluate("window.__stillTheSamePage") is True

            sent = client_page.get_by_role("log").locator("li.bubble--mine")
            expect(sent).to_have_count(1)  # the optimistic copy was replaced, not doubled
            expect(sent.locator(".bubble__status")).to_have_text("Read")  # Bea's page was visible
            expect(client_page.get_by_label("Message", exact=True)).to_have_value("")
            message = Message.objects.get()
            assert (message.content, message.sender_id) == (text, carla.pk)
            assert sent.get_attribute("data-id") == str(message.pk)

            # Bea answers through the page as well; Carla's page shows it.
            freelancer_page.get_by_label("Message", exact=True).fill("Yes, Monday works for me.")
            freelancer_page.get_by_label("Message", exact=True).press("Enter")
            expect(client_page.get_by_role("log").locator(".bubble--theirs")).to_have_text(
                re.compile("Yes, Monday works for me."))
            client_page.screenshot(path=str(ARTIFACTS / "messaging-chat-client.png"), full_page=True)

            # Something is notified to Bea: her bell counts it and a toast says it, still without reloading.
            open_menu(freelancer_page)
            bell = freelancer_page.get_by_role("link", name=re.compile("^Notifications"))
            expect(bell.locator(".bell__number")).to_have_text("0")
            in_another_thread(notify, user=bea, kind=NotificationKind.MILESTONE_FUNDED,
                              title="Milestone “Wireframes” funded", message="1,500.00 USD is held in escrow.",
                              data={"contract_id": 1})
            expect(bell.locator(".bell__number")).to_have_text("1")
            expect(bell).to_have_accessible_name(re.compile(r"Notifications\s*1 unread"))
            toast = freelancer_page.get_by_role("status").filter(has_text="Milestone “Wireframes” funded")
            expect(toast).to_be_visible()
            expect(toast).to_contain_text("1,500.00 USD is held in escrow.")
            freelancer_page.screenshot(path=str(ARTIFACTS / "messaging-notification-toast.png"), full_page=True)
            assert freelancer_page.evaluate("window.__stillTheSamePage") is True

            # After a reload the count comes from the server, and the notification is on the list.
            open_menu(freelancer_page)
            freelancer_page.get_by_role("link", name=re.compile("^Notifications")).click()
            expect(freelancer_page.get_by_role("heading", level=1)).to_have_text("Notifications")
            expect(freelancer_page.get_by_text("Milestone “Wireframes” funded")).to_be_visible()
            freelancer_page.get_by_role("button", name="Mark all as read").click()
            expect(freelancer_page.locator("#notification-count .bell__number")).to_have_text("0")
        finally:
            browser.close()
    assert Message.objects.count() == 2
