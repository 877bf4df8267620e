"""The demo services load once with `make run`'s demo data: active, with packages, extras and pictures."""

import io

import pytest
from django.core.management import call_command

from gigs.demo import SERVICES
from gigs.models import Service, ServiceExtra, ServiceImage, ServicePackage

pytestmark = pytest.mark.django_db


def counts() -> tuple[int, int, int, int]:
    return (Service.objects.count(), ServicePackage.objects.count(), ServiceExtra.objects.count(),
            ServiceImage.objects.count())


def test_the_demo_services_load_once_and_can_be_browsed(api_client):
    call_command("seed_demo", stdout=io.StringIO())
    first = counts()
    assert first == (len(SERVICES), sum(len(spec["packages"]) for spec in SERVICES),
                     sum(len(spec["extras"]) for spec in SERVICES), sum(len(spec["colours"]) for spec in SERVICES))
    assert set(Service.objects.values_list("status", flat=True)) == {"active"}
    second = io.StringIO()
    call_command("seed_demo", stdout=second)
    assert counts() == first and "created" not in second.getvalue()

    body = api_client.get("/api/services", {"search": "logo"}).json()
    assert [row["title"] for row in body["results"]] == ["I will design a logo and a small brand guide"]
    assert body["results"][0]["price_from"] == "60.00" and body["results"][0]["cover"]
