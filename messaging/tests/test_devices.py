"""Devices for pushes: each registration is one SNS platform endpoint (moto's server), registering a token again
changes nothing or moves it to the caller, and a member sees and removes only their own devices."""

import pytest

from messaging.models import Device

pytestmark = pytest.mark.django_db

ANDROID = "fcm-token-of-a-pixel-phone-0123456789"


def register(api, platform="fcm", token=ANDROID):
    return api.post("/api/devices", {"platform": platform, "token": token}, format="json")


def test_registering_a_device_makes_its_platform_endpoint(sns, client_for, freelancer_user):
    api = client_for(freelancer_user)
    response = register(api)
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["platform"] == "fcm" and body["token"] == ANDROID
    device = Device.objects.get(pk=body["id"])
    endpoint = sns.endpoints()[device.endpoint_arn]
    assert endpoint["token"] == ANDROID and endpoint["enabled"] is True
    [application] = sns.applications()
    assert application["platform"] == "GCM" and application["name"] == "megilance-fcm"
    assert api.get("/api/devices").json()["results"] == [body]


def test_an_iphone_gets_an_apns_endpoint(sns, client_for, client_user):
    token = "a1" * 32
    response = register(client_for(client_user), "apns", token)
    assert response.status_code == 201
    device = Device.objects.get(pk=response.json()["id"])
    assert ":endpoint/APNS/megilance-apns/" in device.endpoint_arn
    assert sns.endpoints()[device.endpoint_arn]["token"] == token


def test_registering_the_same_token_again_is_idempotent(sns, client_for, freelancer_user):
    api = client_for(freelancer_user)
    first = register(api).json()
    again = register(api)
    assert again.status_code == 200 and again.json()["id"] == first["id"]
    assert Device.objects.count() == 1 and len(sns.endpoints()) == 1


def test_a_token_registered_by_someone_else_moves_to_them(sns, client_for, freelancer_user, client_user):
    first = register(client_for(freelancer_user)).json()
    moved = register(client_for(client_user))
    assert moved.status_code == 200 and moved.json()["id"] == first["id"]
    assert Device.objects.get().user == client_user
    assert client_for(freelancer_user).get("/api/devices").json()["count"] == 0
    assert client_for(client_user).get("/api/devices").json()["count"] == 1
    assert len(sns.endpoints()) == 1


def test_a_token_whose_endpoint_sns_disabled_is_enabled_again(sns, client_for, freelancer_user):
    api = client_for(freelancer_user)
    device = Device.objects.get(pk=register(api).json()["id"])
    sns.client().set_endpoint_attributes(EndpointArn=device.endpoint_arn, Attributes={"Enabled": "false"})
    assert register(api).status_code == 200
    assert sns.endpoints()[device.endpoint_arn]["enabled"] is True


@pytest.mark.parametrize("body, field", [
    ({"platform": "windows", "token": ANDROID}, "platform"),
    ({"platform": "fcm", "token": ""}, "token"),
    ({"platform": "fcm"}, "token"),
    ({"platform": "fcm", "token": "x" * 1025}, "token"),
])
def test_a_bad_registration_is_refused_and_nothing_made(sns, client_for, freelancer_user, body, field):
    response = client_for(freelancer_user).post("/api/devices", body, format="json")
    assert response.status_code == 400 and field in response.json()["errors"]
    assert Device.objects.count() == 0 and sns.endpoints() == {}


def test_only_the_owner_sees_and_deletes_a_device(sns, client_for, freelancer_user, client_user):
    owner = client_for(freelancer_user)
    device = Device.objects.get(pk=register(owner).json()["id"])
    stranger = client_for(client_user)
    assert stranger.get(f"/api/devices/{device.pk}").status_code == 404
    assert stranger.delete(f"/api/devices/{device.pk}").status_code == 404
    assert Device.objects.filter(pk=device.pk).exists() and device.endpoint_arn in sns.endpoints()

    assert owner.get(f"/api/devices/{device.pk}").json()["token"] == ANDROID
    assert owner.delete(f"/api/devices/{device.pk}").status_code == 204
    assert not Device.objects.filter(pk=device.pk).exists()
    assert owner.delete(f"/api/devices/{device.pk}").status_code == 404


def test_deleting_a_device_deletes_its_endpoint(sns, client_for, freelancer_user,
                                               django_capture_on_commit_callbacks):
    api = client_for(freelancer_user)
    device = Device.objects.get(pk=register(api).json()["id"])
    with django_capture_on_commit_callbacks(execute=True):
        assert api.delete(f"/api/devices/{device.pk}").status_code == 204
    assert device.endpoint_arn not in sns.endpoints()


def test_devices_need_a_signed_in_member(api_client, db):
    assert api_client.get("/api/devices").status_code == 401
    assert api_client.post("/api/devices", {"platform": "fcm", "token": ANDROID}, format="json").status_code == 401
    assert Device.objects.count() == 0


def test_without_sns_devices_are_refused(client_for, freelancer_user, settings):
    settings.MOBILE_BACKEND = "core.mobile.DisabledBackend"
    response = register(client_for(freelancer_user))
    assert response.status_code == 503 and response.json()["error_type"] == "push_unavailable"
    assert Device.objects.count() == 0


def test_the_new_endpoints_are_described_in_the_schema(api_client, db):
    paths = api_client.get("/api/openapi.json").json()["paths"]
    assert set(paths["/api/devices"]) >= {"get", "post"} and "requestBody" in paths["/api/devices"]["post"]
    assert {"get", "delete"} <= set(paths["/api/devices/{id}"])
    assert {"get", "post", "delete"} <= set(paths["/api/auth/phone"])
    for path in ("/api/auth/phone/verify", "/api/auth/2fa/sms"):
        assert "requestBody" in paths[path]["post"], path
    assert "post" in paths["/api/auth/phone/resend"]


def test_no_device_token_is_logged(sns, client_for, freelancer_user, caplog, django_capture_on_commit_callbacks):
    import logging

    from messaging.models import NotificationKind
    from messaging.notifications import notify

    caplog.set_level(logging.DEBUG)
    api = client_for(freelancer_user)
    device = Device.objects.get(pk=register(api).json()["id"])
    register(api, "fcm", "")  # refused: nothing about it logged either
    with django_capture_on_commit_callbacks(execute=True):
        notify(user=freelancer_user, kind=NotificationKind.PROPOSAL_ACCEPTED, title="Hired")
    with django_capture_on_commit_callbacks(execute=True):
        assert api.delete(f"/api/devices/{device.pk}").status_code == 204
    assert caplog.records  # the requests and the task were logged ...
    assert all(ANDROID not in record.getMessage() for record in caplog.records)  # ... never the token
