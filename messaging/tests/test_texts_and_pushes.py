"""Notifications by text message and by push follow each member's preferences per kind: security and money are
texted by default, other kinds are not; pushes go to every device until turned off. Everything is sent through
moto's SNS and read back as each phone number and device endpoint received it."""

import json

import pytest

from accounts import phone
from messaging.devices import devices_prune
from messaging.models import Device, NotificationKind
from messaging.notifications import notify
from messaging.tasks import prune_devices

pytestmark = pytest.mark.django_db

FREELANCER_PHONE = "+447700900111"
CLIENT_PHONE = "+447700900222"


@pytest.fixture
def run_commits(django_capture_on_commit_callbacks):
    def run(call):
        with django_capture_on_commit_callbacks(execute=True):
            return call()
    return run


def verified(user, number, sns, run_commits):
    run_commits(lambda: phone.phone_verification_start(user=user, phone_number=number))
    run_commits(lambda: phone.phone_verification_confirm(user=user, code=sns.last_code(number)))
    return len(sns.texts(number))  # the code and the security notice about the new number


def device(api, token="pixel-token-123456", platform="fcm"):
    response = api.post("/api/devices", {"platform": platform, "token": token}, format="json")
    assert response.status_code in (200, 201), response.json()
    return Device.objects.get(pk=response.json()["id"])


class TestTextMessages:
    def test_funding_a_milestone_texts_both_parties_but_a_chat_message_does_not(
            self, sns, stripe_clean, settings, client_for, client_user, freelancer_user, run_commits):
        from contracts.tests.factories import make_contract
        from messaging.services import chat_open, message_send
        from tests.helpers.money import add_milestone, fund

        settings.STRIPE_API_BASE = stripe_clean.url
        seen = {FREELANCER_PHONE: verified(freelancer_user, FREELANCER_PHONE, sns, run_commits),
                CLIENT_PHONE: verified(client_user, CLIENT_PHONE, sns, run_commits)}
        contract = make_contract(client_user, freelancer_user)
        api = client_for(client_user)
        milestone_id = add_milestone(api, contract.pk, "400.00", title="Homepage")["id"]
        assert run_commits(lambda: fund(api, milestone_id)).status_code == 200

        [to_freelancer] = sns.texts(FREELANCER_PHONE)[seen[FREELANCER_PHONE]:]
        assert to_freelancer.startswith("MegiLance: ") and "Homepage" in to_freelancer and "funded" in to_freelancer
        [to_client] = sns.texts(CLIENT_PHONE)[seen[CLIENT_PHONE]:]
        assert "400.00" in to_client and "escrow" in to_client

        chat, _ = chat_open(user=client_user, participant=freelancer_user, project_id=contract.project_id)
        run_commits(lambda: message_send(chat=chat, sender=client_user, content="Can we talk about the layout?"))
        assert freelancer_user.notifications.filter(kind=NotificationKind.MESSAGE_RECEIVED).exists()
        assert len(sns.texts(FREELANCER_PHONE)) == seen[FREELANCER_PHONE] + 1  # no text for a chat message

    def test_the_member_chooses_which_kinds_are_texted(self, sns, client_for, freelancer_user, run_commits):
        seen = verified(freelancer_user, FREELANCER_PHONE, sns, run_commits)
        api = client_for(freelancer_user)
        defaults = api.get("/api/notifications/preferences").json()
        assert defaults["payment_received"]["sms"] is True and defaults["security"]["sms"] is True
        assert defaults["message_received"]["sms"] is False and defaults["message_received"]["push"] is True

        changed = api.put("/api/notifications/preferences",
                          {"message_received": {"sms": True}, "payment_received": {"sms": False}}, format="json")
        assert changed.status_code == 200
        assert changed.json()["message_received"]["sms"] is True
        assert changed.json()["message_received"]["email"] is True  # the other switches stay as they were

        run_commits(lambda: notify(user=freelancer_user, kind=NotificationKind.PAYMENT_RECEIVED, title="Paid"))
        run_commits(lambda: notify(user=freelancer_user, kind=NotificationKind.MESSAGE_RECEIVED,
                                   title="New message from Alice", message="Hello"))
        assert sns.texts(FREELANCER_PHONE)[seen:] == ["MegiLance: New message from Alice. Hello"]

    def test_only_a_verified_number_is_texted(self, sns, client_for, freelancer_user, run_commits):
        run_commits(lambda: phone.phone_verification_start(user=freelancer_user, phone_number=FREELANCER_PHONE))
        run_commits(lambda: notify(user=freelancer_user, kind=NotificationKind.PAYMENT_RECEIVED, title="Paid"))
        assert len(sns.texts(FREELANCER_PHONE)) == 1  # only the verification code

    def test_a_bad_preference_changes_nothing(self, client_for, freelancer_user):
        api = client_for(freelancer_user)
        before = api.get("/api/notifications/preferences").json()
        response = api.put("/api/notifications/preferences", {"payment_received": {"sms": "sometimes"}},
                           format="json")
        assert response.status_code == 400
        assert api.get("/api/notifications/preferences").json() == before

    def test_the_preferences_page_has_a_text_message_switch(self, client, freelancer_user):
        from tests.helpers.pages import assert_accessible_page

        client.force_login(freelancer_user)
        page = client.get("/notifications/preferences/")
        assert_accessible_page(page)
        html = page.content.decode()
        assert '<label for="id_payment_received__sms">By text message</label>' in html
        assert 'id="id_payment_received__sms" checked' in html and 'id="id_message_received__sms" checked' not in html
        form = {f"{kind}__{channel}": "on" for kind in NotificationKind.values for channel in ("in_app", "email")}
        form["message_received__sms"] = "on"
        assert client.post("/notifications/preferences/", form).status_code == 302
        from messaging.notifications import preferences_for

        switches = preferences_for(freelancer_user)
        assert switches["message_received"]["sms"] is True and switches["payment_received"]["sms"] is False
        assert switches["payment_received"]["push"] is False


class TestPushes:
    def test_each_device_gets_the_notification_in_its_platforms_format(self, sns, client_for, freelancer_user,
                                                                         run_commits):
        api = client_for(freelancer_user)
        android = device(api)
        iphone = device(api, "b2" * 32, "apns")
        run_commits(lambda: notify(user=freelancer_user, kind=NotificationKind.MILESTONE_FUNDED,
                                   title="“Homepage” is funded: start work", data={"contract_id": 5}))
        [to_android] = sns.pushes(android.endpoint_arn)
        fcm = json.loads(to_android["GCM"])["fcmV1Message"]["message"]
        assert fcm["notification"]["title"] == "“Homepage” is funded: start work"
        assert fcm["data"]["kind"] == "milestone_funded" and fcm["data"]["contract_id"] == "5"
        [to_iphone] = sns.pushes(iphone.endpoint_arn)
        assert json.loads(to_iphone["APNS"])["aps"]["alert"]["title"] == "“Homepage” is funded: start work"

    def test_a_kind_with_pushes_turned_off_is_not_pushed(self, sns, client_for, freelancer_user, run_commits):
        api = client_for(freelancer_user)
        android = device(api)
        api.put("/api/notifications/preferences", {"review_received": {"push": False}}, format="json")
        run_commits(lambda: notify(user=freelancer_user, kind=NotificationKind.REVIEW_RECEIVED, title="5 stars"))
        run_commits(lambda: notify(user=freelancer_user, kind=NotificationKind.PROPOSAL_ACCEPTED, title="Hired"))
        assert [json.loads(m["GCM"])["fcmV1Message"]["message"]["notification"]["title"]
                for m in sns.pushes(android.endpoint_arn)] == ["Hired"]

    def test_a_push_to_a_disabled_endpoint_forgets_the_device(self, sns, client_for, freelancer_user, run_commits):
        api = client_for(freelancer_user)
        android = device(api)
        working = device(api, "second-phone-token")
        sns.client().set_endpoint_attributes(EndpointArn=android.endpoint_arn, Attributes={"Enabled": "false"})
        run_commits(lambda: notify(user=freelancer_user, kind=NotificationKind.PROPOSAL_ACCEPTED, title="Hired"))
        assert not Device.objects.filter(pk=android.pk).exists()
        assert android.endpoint_arn not in sns.endpoints()
        assert sns.pushes(android.endpoint_arn) == []
        assert len(sns.pushes(working.endpoint_arn)) == 1
        assert [d["id"] for d in api.get("/api/devices").json()["results"]] == [working.pk]

    def test_a_push_to_an_endpoint_sns_no_longer_has_forgets_the_device(self, sns, client_for, freelancer_user,
                                                                          run_commits):
        from core.models import OutboundMessage

        api = client_for(freelancer_user)
        gone = device(api)
        sns.client().delete_endpoint(EndpointArn=gone.endpoint_arn)
        run_commits(lambda: notify(user=freelancer_user, kind=NotificationKind.PROPOSAL_ACCEPTED, title="Hired"))
        assert not Device.objects.filter(pk=gone.pk).exists()
        push = OutboundMessage.objects.get(channel="push")
        assert push.dropped_at is not None and push.sent_at is None and "NotFound" in push.last_error

    def test_the_periodic_check_forgets_disabled_and_missing_endpoints(self, sns, client_for, freelancer_user,
                                                                        client_user, run_commits):
        disabled = device(client_for(freelancer_user))
        missing = device(client_for(freelancer_user), "deleted-at-sns-token")
        healthy = device(client_for(client_user), "healthy-token")
        sns.client().set_endpoint_attributes(EndpointArn=disabled.endpoint_arn, Attributes={"Enabled": "false"})
        sns.client().delete_endpoint(EndpointArn=missing.endpoint_arn)
        assert run_commits(prune_devices.delay).get() == 2
        assert list(Device.objects.values_list("pk", flat=True)) == [healthy.pk]
        assert devices_prune() == 0
