"""A verified phone number: a code by text message (through moto's SNS) proves the number, on the API and on
the security page. Codes are hashed, expire, allow five tries and are sent at most once a minute."""

import logging
import time

import pytest
import time_machine
from django.core import mail

from accounts.models import PhoneCode, PhoneNumber
from core.models import AuditEvent, OutboundMessage

pytestmark = pytest.mark.django_db

NUMBER = "+447700900123"


@pytest.fixture
def api(client_for, freelancer_user):
    return client_for(freelancer_user)


@pytest.fixture
def on_commit(django_capture_on_commit_callbacks):
    """Runs what the request queued after its commit (the text's delivery), as the live server would."""
    def run(call):
        with django_capture_on_commit_callbacks(execute=True):
            return call()
    return run


class TestApi:
    @pytest.mark.parametrize("raw, message", [
        ("", "Enter your mobile number."),
        ("07700 900123", "Start with + and your country code"),
        ("+44 77", "8 to 15 digits"),
        ("+0 7700 900123", "8 to 15 digits"),
        ("+44 7700 9001 2345 6789", "8 to 15 digits"),
        ("+44 7700 CALL ME", "8 to 15 digits"),
    ])
    def test_a_number_that_is_not_international_is_refused_and_nothing_sent(self, sns, api, on_commit, raw,
                                                                            message):
        response = on_commit(lambda: api.post("/api/auth/phone", {"phone_number": raw}, format="json"))
        assert response.status_code == 400, response.json()
        assert response.json()["error_type"] == "validation_error"
        assert message in response.json()["errors"]["phone_number"][0]
        assert sns.texts() == [] and PhoneCode.objects.count() == 0

    def test_the_code_texted_to_the_number_verifies_it(self, sns, api, on_commit, freelancer_user):
        response = on_commit(lambda: api.post("/api/auth/phone", {"phone_number": "+44 7700 900123"},
                                              format="json"))
        assert response.status_code == 202, response.json()
        assert response.json()["pending_number"] == NUMBER and response.json()["phone_number"] is None
        [text] = sns.texts(NUMBER)
        assert "MegiLance code" in text
        code = sns.last_code(NUMBER)

        wrong = api.post("/api/auth/phone/verify", {"code": f"{(int(code) + 1) % 1000000:06d}"}, format="json")
        assert wrong.status_code == 400 and wrong.json()["error_type"] == "invalid_code"
        assert api.get("/api/auth/phone").json()["phone_number"] is None

        verified = on_commit(lambda: api.post("/api/auth/phone/verify", {"code": code}, format="json"))
        assert verified.status_code == 200, verified.json()
        assert verified.json()["phone_number"] == NUMBER and verified.json()["pending_number"] is None
        assert api.get("/api/auth/phone").json()["phone_number"] == NUMBER
        assert AuditEvent.objects.filter(action="phone.verify", target_id=str(freelancer_user.pk)).exists()
        [told] = [m for m in mail.outbox if "phone number was verified" in m.subject]
        assert told.to == [freelancer_user.email] and "+447" in told.body and NUMBER not in told.body
        # The security notice about it goes to the new number too (security texts are on by default).
        assert "phone number" in sns.texts(NUMBER)[-1]
        again = api.post("/api/auth/phone/verify", {"code": code}, format="json")
        assert again.status_code == 400  # a code works once

    def test_codes_are_kept_hashed_and_removed_from_the_outbox_once_sent(self, sns, api, on_commit, caplog):
        caplog.set_level(logging.DEBUG)
        on_commit(lambda: api.post("/api/auth/phone", {"phone_number": NUMBER}, format="json"))
        code = sns.last_code(NUMBER)
        row = PhoneCode.objects.get()
        assert code not in row.code_hash and len(row.code_hash) == 64
        assert all(code not in body for body in OutboundMessage.objects.values_list("body", flat=True))
        assert all(code not in record.getMessage() for record in caplog.records)

    def test_a_new_code_waits_a_minute_and_replaces_the_old_one(self, sns, api, on_commit):
        on_commit(lambda: api.post("/api/auth/phone", {"phone_number": NUMBER}, format="json"))
        first = sns.last_code(NUMBER)
        too_soon = on_commit(lambda: api.post("/api/auth/phone/resend"))
        assert too_soon.status_code == 429 and "Wait" in too_soon.json()["detail"]
        assert len(sns.texts(NUMBER)) == 1
        with time_machine.travel(time.time() + 61):
            resent = on_commit(lambda: api.post("/api/auth/phone/resend"))
            assert resent.status_code == 202
            second = sns.last_code(NUMBER)
            assert len(sns.texts(NUMBER)) == 2
            if first != second:
                assert api.post("/api/auth/phone/verify", {"code": first}, format="json").status_code == 400
            assert api.post("/api/auth/phone/verify", {"code": second}, format="json").status_code == 200

    def test_at_most_five_codes_an_hour(self, sns, api, on_commit):
        start = time.time()
        for n in range(5):
            with time_machine.travel(start + n * 61):
                assert on_commit(lambda: api.post("/api/auth/phone", {"phone_number": NUMBER},
                                                  format="json")).status_code == 202
        with time_machine.travel(start + 6 * 61):
            refused = on_commit(lambda: api.post("/api/auth/phone", {"phone_number": NUMBER}, format="json"))
        assert refused.status_code == 429 and "last hour" in refused.json()["detail"]
        assert len(sns.texts(NUMBER)) == 5

    def test_a_code_expires_after_ten_minutes(self, sns, api, on_commit):
        on_commit(lambda: api.post("/api/auth/phone", {"phone_number": NUMBER}, format="json"))
        code = sns.last_code(NUMBER)
        with time_machine.travel(time.time() + 601):
            late = api.post("/api/auth/phone/verify", {"code": code}, format="json")
        assert late.status_code == 400 and late.json()["error_type"] == "code_expired"
        assert not PhoneNumber.objects.exists()

    def test_five_wrong_codes_end_the_code(self, sns, api, on_commit):
        on_commit(lambda: api.post("/api/auth/phone", {"phone_number": NUMBER}, format="json"))
        code = sns.last_code(NUMBER)
        wrong = f"{(int(code) + 1) % 1000000:06d}"
        for _ in range(5):
            assert api.post("/api/auth/phone/verify", {"code": wrong}, format="json").status_code == 400
        right = api.post("/api/auth/phone/verify", {"code": code}, format="json")
        assert right.status_code == 400 and right.json()["error_type"] == "code_expired"
        assert not PhoneNumber.objects.exists()

    def test_a_code_sent_to_someone_else_verifies_nothing(self, sns, api, on_commit, client_for, client_user):
        on_commit(lambda: client_for(client_user).post("/api/auth/phone", {"phone_number": NUMBER}, format="json"))
        code = sns.last_code(NUMBER)
        response = api.post("/api/auth/phone/verify", {"code": code}, format="json")
        assert response.status_code == 400
        assert not PhoneNumber.objects.exists()

    def test_removing_the_number(self, sns, api, on_commit, freelancer_user):
        on_commit(lambda: api.post("/api/auth/phone", {"phone_number": NUMBER}, format="json"))
        on_commit(lambda: api.post("/api/auth/phone/verify", {"code": sns.last_code(NUMBER)}, format="json"))
        assert on_commit(lambda: api.delete("/api/auth/phone")).status_code == 204
        assert api.get("/api/auth/phone").json()["phone_number"] is None
        assert AuditEvent.objects.filter(action="phone.remove", target_id=str(freelancer_user.pk)).exists()
        assert any("phone number was removed" in m.subject for m in mail.outbox)
        assert api.delete("/api/auth/phone").status_code == 404

    def test_without_sns_the_server_says_texts_are_unavailable(self, api, settings):
        settings.MOBILE_BACKEND = "core.mobile.DisabledBackend"
        response = api.post("/api/auth/phone", {"phone_number": NUMBER}, format="json")
        assert response.status_code == 503 and response.json()["error_type"] == "sms_unavailable"
        assert api.get("/api/auth/phone").json()["sms_available"] is False
        assert PhoneCode.objects.count() == 0 and OutboundMessage.objects.count() == 0


class TestSecurityPage:
    def test_verifying_a_number_on_the_security_page(self, sns, client, freelancer_user, on_commit):
        from tests.helpers.pages import assert_accessible_page

        client.force_login(freelancer_user)
        response = client.get("/settings/security/")
        assert_accessible_page(response)
        page = response.content.decode()
        assert '<label for="id_phone-phone_number">Mobile number' in page
        assert "Send a code to this number</button>" in page

        bad = client.post("/settings/security/", {"action": "phone_start", "phone-phone_number": "07700 900123"})
        assert bad.status_code == 400
        assert "Start with + and your country code" in bad.content.decode()
        assert sns.texts() == []

        sent = on_commit(lambda: client.post("/settings/security/", {"action": "phone_start",
                                                                    "phone-phone_number": NUMBER}))
        assert sent.status_code == 302
        response = client.get("/settings/security/")
        assert_accessible_page(response)
        assert '<label for="id_phone-code">Code from the text message' in response.content.decode()

        wrong = client.post("/settings/security/", {"action": "phone_confirm", "phone-code": "12"})
        assert wrong.status_code == 400 and "That code is not right" in wrong.content.decode()

        done = on_commit(lambda: client.post("/settings/security/", {"action": "phone_confirm",
                                                                    "phone-code": sns.last_code(NUMBER)}))
        assert done.status_code == 302
        page = client.get("/settings/security/").content.decode()
        assert f"Your verified number is {NUMBER}" in page
        assert PhoneNumber.objects.get(user=freelancer_user).number == NUMBER

    def test_an_expired_code_on_the_page_says_to_ask_for_a_new_one(self, sns, client, freelancer_user, on_commit):
        client.force_login(freelancer_user)
        on_commit(lambda: client.post("/settings/security/", {"action": "phone_start", "phone-phone_number": NUMBER}))
        code = sns.last_code(NUMBER)
        with time_machine.travel(time.time() + 601):
            response = client.post("/settings/security/", {"action": "phone_confirm", "phone-code": code},
                                   follow=True)
        assert "Ask for a new code" in response.content.decode()
        assert not PhoneNumber.objects.exists()
