"""Under `make run` texts and pushes go where e-mail goes: the console says they were sent (never a code) and
the dev inbox shows them in full, so a developer can verify a phone number without SNS."""

import pytest

from core.texts import push_queue, sms_queue

pytestmark = pytest.mark.django_db


@pytest.fixture
def dev_inbox(settings, tmp_path):
    settings.DEV_INBOX_DIR = str(tmp_path)
    settings.MOBILE_BACKEND = "devtools.mail_backends.DevInboxMobileBackend"
    return tmp_path


@pytest.fixture
def open_page(rf):
    """The dev inbox's pages as `make run` serves them (its routes exist only where DEV_INBOX_DIR is set at start)."""
    from django.contrib.auth.models import AnonymousUser
    from django.contrib.messages.storage.fallback import FallbackStorage

    def get(view, **kwargs):
        request = rf.get("/dev/inbox/")
        request.user = AnonymousUser()
        request.session = {}
        request._messages = FallbackStorage(request)
        return view(request, **kwargs).content.decode()
    return get


def test_a_code_is_in_the_dev_inbox_and_not_on_the_console(dev_inbox, open_page, capsys,
                                                           django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        sms_queue(to="+447700900123", template="phone_code_verify", text="MegiLance code: 381920.", sensitive=True)
        sms_queue(to="+447700900123", template="notification:payment_received", text="MegiLance: Paid")
    console = capsys.readouterr().out
    assert "SMS to +447700900123: (a one-time code; not printed)" in console and "381920" not in console
    assert "SMS to +447700900123: MegiLance: Paid" in console

    from devtools.views import dev_inbox as inbox_page
    from devtools.views import dev_inbox_message

    assert open_page(inbox_page).count("Text message to +447700900123") == 2
    [coded] = [path.stem for path in dev_inbox.glob("*.eml") if b"381920" in path.read_bytes()]
    assert "MegiLance code: 381920." in open_page(dev_inbox_message, message_id=coded)


def test_a_push_is_in_the_dev_inbox(dev_inbox, open_page, capsys, django_capture_on_commit_callbacks):
    from core.mobile import backend

    endpoint = backend().platform_endpoint_create(platform="fcm", token="dev-phone")
    with django_capture_on_commit_callbacks(execute=True):
        push_queue(endpoint_arn=endpoint, platform="fcm", template="notice", title="Hired", body="Start on Monday")
    assert f"Push to {endpoint}: Hired: Start on Monday" in capsys.readouterr().out
    from devtools.views import dev_inbox as inbox_page

    assert "Push notification" in open_page(inbox_page)
