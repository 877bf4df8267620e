"""Services in the admin: the actions call the same service as the seller's buttons, refusals show as messages,
staff decisions are audited, and the changelist costs the same for 5 services or 50."""

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.models import AuditEvent
from gigs.models import Service
from gigs.tests.factories import make_service

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(client, staff_user):
    client.force_login(staff_user)
    return client


def run_action(client, action: str, ids: list[int]):
    return client.post("/admin/gigs/service/", {"action": action, "_selected_action": ids})


def test_pause_and_activate_from_the_admin(staff, staff_user, freelancer_user):
    live = make_service(freelancer_user, title="Logo design with three concepts")
    empty = make_service(freelancer_user, title="A draft without any package", packages=[], status="draft")
    response = run_action(staff, "pause", [live.pk])
    assert response.status_code == 302
    live.refresh_from_db()
    assert live.status == "paused"
    assert list(live.status_changes.values_list("to_status", "changed_by")) == [
        ("draft", freelancer_user.pk), ("active", freelancer_user.pk), ("paused", staff_user.pk)]
    assert AuditEvent.objects.filter(action="service.paused", actor=staff_user, target_id=str(live.pk)).count() == 1

    response = run_action(staff, "activate", [live.pk, empty.pk])
    shown = [str(message) for message in get_messages(response.wsgi_request)]
    live.refresh_from_db()
    empty.refresh_from_db()
    assert live.status == "active" and empty.status == "draft"
    assert any("Add at least one package before activating the service." in text for text in shown)
    assert "1 service active." in shown


def test_the_service_pages_of_the_admin_answer(staff, freelancer_user):
    service = make_service(freelancer_user)
    for url in ("/admin/gigs/service/", f"/admin/gigs/service/{service.pk}/change/", "/admin/gigs/servicepackage/",
                "/admin/gigs/serviceextra/", "/admin/gigs/serviceimage/", "/admin/gigs/servicestatuschange/"):
        assert staff.get(url).status_code == 200, url


def test_the_changelist_costs_the_same_for_more_services(staff, make_user):
    def add(n: int) -> None:
        seller = make_user("freelancer")
        for i in range(n):
            make_service(seller, title=f"Service number {i} for the count")

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert staff.get("/admin/gigs/service/").status_code == 200
        return len(captured)

    add(5)
    few = queries()
    add(45)
    assert Service.objects.count() == 50
    assert queries() == few


def test_editing_a_package_in_the_admin_keeps_the_cards_figures(staff, freelancer_user):
    from decimal import Decimal

    from gigs.tests.factories import package

    service = make_service(freelancer_user, packages=[package("basic", "50.00", 3), package("premium", "200.00", 9)])
    url = f"/admin/gigs/service/{service.pk}/change/"
    page = staff.get(url)
    assert page.status_code == 200
    packages = list(service.packages.order_by("id"))
    data = {"title": "Logo design, now with a faster premium", "description": service.description,
            "category": service.category_id, "skills": [skill.pk for skill in service.skills.all()],
            "requirements": "", "_save": "Save"}
    for prefix, rows in (("packages", packages), ("extras", []), ("images", []), ("status_changes", [])):
        data.update({f"{prefix}-TOTAL_FORMS": len(rows), f"{prefix}-INITIAL_FORMS": len(rows),
                     f"{prefix}-MIN_NUM_FORMS": 0, f"{prefix}-MAX_NUM_FORMS": 1000})
    data["status_changes-TOTAL_FORMS"] = data["status_changes-INITIAL_FORMS"] = service.status_changes.count()
    for index, change in enumerate(service.status_changes.order_by("created_at", "id")):
        data[f"status_changes-{index}-id"] = change.pk
        data[f"status_changes-{index}-service"] = service.pk
    for index, row in enumerate(packages):
        data.update({f"packages-{index}-id": row.pk, f"packages-{index}-service": service.pk,
                     f"packages-{index}-tier": row.tier, f"packages-{index}-title": row.title,
                     f"packages-{index}-description": row.description,
                     f"packages-{index}-price": "35.00" if row.tier == "basic" else row.price,
                     f"packages-{index}-delivery_days": 2 if row.tier == "premium" else row.delivery_days,
                     f"packages-{index}-revisions": row.revisions})
    response = staff.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else response
    service.refresh_from_db()
    assert service.title == "Logo design, now with a faster premium"
    assert service.price_from == Decimal("35.00") and service.fastest_delivery_days == 2
    found = staff.get("/api/services", {"search": "faster"}).json()  # the search follows the new title
    assert [row["id"] for row in found["results"]] == [service.pk]
