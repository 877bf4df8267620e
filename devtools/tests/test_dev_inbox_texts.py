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


def test_a_code_is_in_the_dev_inbox_and_not_on_the_console(dev_inbox, client, capsys,
                                                           django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        sms_queue(to="+447700900123", template="phone_code_verify", text="MegiLance code: 381920.", sensitive=True)
        sms_queue(to="+447700900123", template="notification:payment_received", text="MegiLance: Paid")
    console = capsys.readouterr().out
    assert "SMS to +447700900123: (a one-time code; not printed)" in console and "381920" not in console
    assert "SMS to +447700900123: MegiLance: Paid" in console

    listing = client.get("/dev/inbox/").content.decode()
    assert listing.count("Text message to +447700900123") == 2
    [coded] = [path.stem for path in dev_inbox.glob("*.eml") if b"381920" in path.read_bytes()]
    assert "MegiLance code: 381920." in client.get(f"/dev/inbox/{coded}/").content.decode()


def test_a_push_is_in_the_dev_inbox(dev_inbox, client, capsys, django_capture_on_commit_callbacks):
    from core.mobile import backend

    endpoint = backend().platform_endpoint_create(platform="fcm", token="dev-phone")
    with django_capture_on_commit_callbacks(execute=True):
        push_queue(endpoint_arn=endpoint, platform="fcm", template="notice", title="Hired", body="Start on Monday")
    assert f"Push to {endpoint}: Hired: Start on Monday" in capsys.readouterr().out
    assert "Push notification" in client.get("/dev/inbox/").content.decode()
