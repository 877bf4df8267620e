"""A dispute's page: both parties read the thread and answer with evidence, staff add notes, open the parties'
files and decide (release, refund or split) outside the admin; the API gives the same thread."""

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from contracts import escrow
from contracts.models import Dispute, DisputeMessage, Milestone
from contracts.tests.factories import make_contract
from tests.helpers.pages import assert_accessible_page

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("stripe_clean")]


def browser_for(user) -> Client:
    browser = Client()
    browser.force_login(user)
    return browser


def text_file(name: str = "log.txt", text: str = "Delivered on the 3rd, see the log.") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode(), content_type="text/plain")


@pytest.fixture
def dispute(client_user, freelancer_user) -> Dispute:
    contract = make_contract(client_user, freelancer_user)
    milestone = escrow.milestone_create(contract=contract, by=client_user,
                                        data={"title": "Home page", "amount": Decimal("800.00")})
    escrow.milestone_fund(milestone=milestone, by=client_user, payment_method="pm_card_visa")
    milestone.refresh_from_db()
    escrow.milestone_submit(milestone=milestone, by=freelancer_user, note="Done", files=[text_file("work.txt")])
    milestone.refresh_from_db()
    return escrow.dispute_open(contract=contract, milestone=milestone, by=client_user,
                               reason="The page is not what we agreed.", evidence=text_file("brief.txt"))


def test_the_other_party_answers_with_evidence_and_both_read_it(dispute, client_user, freelancer_user):
    freelancer = browser_for(freelancer_user)
    contract_page = freelancer.get(f"/contracts/{dispute.contract_id}/").content.decode()
    assert f'href="/disputes/{dispute.pk}/"' in contract_page
    page = freelancer.get(f"/disputes/{dispute.pk}/")
    assert page.status_code == 200
    assert_accessible_page(page)
    html = page.content.decode()
    assert "The page is not what we agreed." in html and "Answer and add evidence" in html
    assert "Decide the dispute" not in html

    response = freelancer.post(f"/disputes/{dispute.pk}/messages/",
                               {"body": "It matches the brief we signed.", "evidence": text_file("proof.txt")})
    assert response.status_code == 302
    message = DisputeMessage.objects.get(dispute=dispute)
    assert response["Location"] == f"/disputes/{dispute.pk}/#message-{message.pk}"
    assert message.author_role == "freelancer" and message.original_name == "proof.txt"
    assert message.content_type == "text/plain"

    client = browser_for(client_user)
    html = client.get(f"/disputes/{dispute.pk}/").content.decode()
    assert "It matches the brief we signed." in html and "Evidence: proof.txt" in html
    download = client.get(f"/disputes/{dispute.pk}/files/{message.pk}/")
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == b"Delivered on the 3rd, see the log."


def test_answers_are_refused_cleanly(dispute, freelancer_user, make_user):
    freelancer = browser_for(freelancer_user)
    empty = freelancer.post(f"/disputes/{dispute.pk}/messages/", {"body": "  "})
    assert empty.status_code == 400 and "Write an answer or add a file." in empty.content.decode()
    binary = SimpleUploadedFile("tool.exe", b"MZ\x00\x00\x90\x00binary", content_type="application/octet-stream")
    refused = freelancer.post(f"/disputes/{dispute.pk}/messages/", {"body": "See this", "evidence": binary})
    assert refused.status_code == 400 and "This type of file is not accepted" in refused.content.decode()
    outsider = browser_for(make_user("client"))
    assert outsider.get(f"/disputes/{dispute.pk}/").status_code == 404
    assert outsider.post(f"/disputes/{dispute.pk}/messages/", {"body": "Me too"}).status_code == 404
    assert not DisputeMessage.objects.exists()

    escrow.dispute_withdraw(dispute=dispute, by=dispute.opened_by)
    closed = freelancer.post(f"/disputes/{dispute.pk}/messages/", {"body": "Late answer"})
    assert closed.status_code == 409 and "thread is closed" in closed.content.decode()
    assert not DisputeMessage.objects.exists()


def test_staff_read_the_files_note_and_split_outside_the_admin(dispute, staff_user, client_user):
    staff = browser_for(staff_user)
    listing = staff.get("/staff/disputes/")
    assert listing.status_code == 200
    assert f'href="/disputes/{dispute.pk}/"' in listing.content.decode()
    assert_accessible_page(listing)
    assert browser_for(client_user).get("/staff/disputes/").status_code == 404

    submission_file = dispute.milestone.submissions.first().files.first()
    assert staff.get(f"/contracts/{dispute.contract_id}/files/{submission_file.pk}/").status_code == 200
    assert staff.get(f"/contracts/{dispute.contract_id}/disputes/{dispute.pk}/evidence/").status_code == 200

    page = staff.get(f"/disputes/{dispute.pk}/")
    assert "Decide the dispute" in page.content.decode()
    assert_accessible_page(page)
    assert staff.post(f"/disputes/{dispute.pk}/messages/", {"body": "We are looking at both sides."}).status_code == 302
    assert DisputeMessage.objects.get(dispute=dispute).author_role == "staff"

    not_staff = browser_for(client_user).post(f"/disputes/{dispute.pk}/resolve/", {"resolution": "refund"})
    assert not_staff.status_code == 404
    missing = staff.post(f"/disputes/{dispute.pk}/resolve/", {"resolution": "split"})
    assert missing.status_code == 400 and "Say how much the freelancer receives." in missing.content.decode()
    too_much = staff.post(f"/disputes/{dispute.pk}/resolve/", {"resolution": "split", "freelancer_amount": "900"})
    assert too_much.status_code == 400
    assert Dispute.objects.get(pk=dispute.pk).status == "open"

    done = staff.post(f"/disputes/{dispute.pk}/resolve/",
                      {"resolution": "split", "freelancer_amount": "300.00", "note": "Half the pages were done."})
    assert done.status_code == 302
    dispute.refresh_from_db()
    assert dispute.status == "resolved" and dispute.resolution == "split"
    assert dispute.freelancer_amount == Decimal("300.00") and dispute.resolved_by == staff_user
    assert Milestone.objects.get(pk=dispute.milestone_id).status == "released"
    html = browser_for(client_user).get(f"/disputes/{dispute.pk}/").content.decode()
    assert "Half the pages were done." in html and "500.00 USD refunded to the client" in html
    assert "Answer and add evidence" not in html


def test_the_api_gives_the_thread_and_takes_answers(dispute, client_for, client_user, freelancer_user, make_user):
    answered = client_for(freelancer_user).post(f"/api/disputes/{dispute.pk}/messages",
                                                {"body": "My answer", "evidence": text_file("a.txt")},
                                                format="multipart")
    assert answered.status_code == 201, answered.json()
    assert answered.json()["author_role"] == "freelancer"
    thread = client_for(client_user).get(f"/api/disputes/{dispute.pk}").json()
    assert [m["body"] for m in thread["messages"]] == ["My answer"]
    assert thread["messages"][0]["file_url"] == f"/disputes/{dispute.pk}/files/{answered.json()['id']}/"
    outsider = client_for(make_user("freelancer"))
    assert outsider.post(f"/api/disputes/{dispute.pk}/messages", {"body": "x"}, format="json").status_code == 404
    empty = client_for(client_user).post(f"/api/disputes/{dispute.pk}/messages", {"body": ""}, format="json")
    assert empty.status_code == 400 and empty.json()["error_type"] == "validation_error"
    assert DisputeMessage.objects.count() == 1


def test_page_titles_are_plain_text():
    """A page's <title> holds words only: markup there shows in the browser tab as text."""
    from pathlib import Path

    for template in sorted((Path(__file__).resolve().parents[2] / "templates").rglob("*.html")):
        text = template.read_text()
        start = text.find("{% block title %}")
        if start == -1:
            continue
        title = text[start:text.find("{% endblock", start)]
        assert "<" not in title, f"{template}: markup in the page title"
