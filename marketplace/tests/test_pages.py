"""The marketplace and contract pages through Django's test client: who sees what, and what each form does."""

import io
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from PIL import Image

from contracts.demo import paid_milestone
from contracts.models import Contract
from contracts.tests.factories import make_contract
from marketplace.models import Attachment, Invite, PortfolioItem, Project, Proposal, Review
from marketplace.services import invite_create, portfolio_item_create, project_feature, proposal_reject
from marketplace.tests.factories import make_project, make_proposal
from tests.helpers.pages import assert_accessible_page

pytestmark = pytest.mark.django_db

LETTER = "I have built three booking systems in Django; here is how I would build yours, step by step."


def png(name: str = "shot.png", size: tuple[int, int] = (64, 48)) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", size, (30, 120, 200)).save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def project_form(**overrides) -> dict:
    return {
        "title": "Translate a cookbook into Portuguese",
        "description": "Forty recipes, about twelve thousand words, with a glossary of kitchen terms.",
        "category": "writing-translation",
        "skills": "Translation, Portuguese",
        "budget_type": "fixed",
        "budget_min": "400",
        "budget_max": "900.50",
        "currency": "eur",
        "deadline": "",
        "visibility": "public",
        "action": "post",
        **overrides,
    }


def html_of(response) -> str:
    return response.content.decode()


@pytest.fixture
def owner(make_user):
    return make_user("client", first_name="Olga", last_name="Owner", company="Olga's Bakery")


@pytest.fixture
def other_client(make_user):
    return make_user("client", first_name="Carl", last_name="Other")


@pytest.fixture
def freelancer(make_user):
    return make_user("freelancer", first_name="Fay", last_name="Lancer", headline="Django and PostgreSQL developer",
                     hourly_rate=Decimal("60.00"), country="PT")


@pytest.fixture
def project(owner):
    return make_project(owner)


def with_client_plan(user):
    """Invite-only projects come with the Client Pro plan (payments/billing.py): give the client one."""
    if hasattr(user, "client_plan_until"):
        user.client_plan_until = timezone.now() + timedelta(days=30)
        user.save(update_fields=["client_plan_until"])
    return user


def as_user(client, user):
    client.force_login(user)
    return client


# --- who may open which page -------------------------------------------------------------------


PUBLIC_PAGES = ["/projects/", "/freelancers/", "/"]
SIGNED_IN_PAGES = ["/projects/new/", "/projects/?mine=1", "/proposals/", "/invites/", "/portfolio/", "/contracts/"]


@pytest.mark.parametrize("url", PUBLIC_PAGES)
def test_public_pages_render_for_anonymous_visitors(client, project, freelancer, url) -> None:
    response = client.get(url)
    assert response.status_code == 200
    assert_accessible_page(response)


def test_a_public_project_and_a_profile_render_for_anonymous_visitors(client, project, freelancer) -> None:
    response = client.get(f"/projects/{project.pk}/")
    assert response.status_code == 200
    assert_accessible_page(response)
    html = html_of(response)
    assert project.title in html
    assert "1,000.00\u20133,000.00 USD" in html
    assert f"/login/?next=/projects/{project.pk}/" in html
    assert "Send proposal" not in html

    response = client.get(f"/freelancers/{freelancer.pk}/")
    assert response.status_code == 200
    assert_accessible_page(response)
    assert "Django and PostgreSQL developer" in html_of(response)


@pytest.mark.parametrize("url", SIGNED_IN_PAGES + ["/contracts/1/", "/projects/1/edit/", "/proposals/1/edit/"])
def test_signed_in_pages_send_anonymous_visitors_to_log_in(client, db, url) -> None:
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/login/?next=")


@pytest.mark.parametrize("url", ["/projects/1/propose/", "/proposals/1/accept/", "/proposals/1/withdraw/",
                                 "/contracts/1/complete/", "/contracts/1/review/", "/invites/1/decline/",
                                 "/freelancers/1/invite/", "/projects/1/cancel/"])
def test_actions_send_anonymous_visitors_to_log_in(client, db, url) -> None:
    response = client.post(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/login/?next=")


@pytest.mark.parametrize("url", ["/projects/new/", "/projects/?mine=1", "/contracts/"])
def test_client_pages_render(client, owner, project, url) -> None:
    response = as_user(client, owner).get(url)
    assert response.status_code == 200
    assert_accessible_page(response)


@pytest.mark.parametrize("url", ["/proposals/", "/invites/", "/portfolio/", "/contracts/", "/projects/"])
def test_freelancer_pages_render(client, freelancer, project, url) -> None:
    make_proposal(freelancer, project)
    invite_create(client=project.client, project=make_project(project.client, title="Second job"),
                  freelancer=freelancer, message="Would you look at this?")
    response = as_user(client, freelancer).get(url)
    assert response.status_code == 200
    assert_accessible_page(response)


@pytest.mark.parametrize(("url", "heading"), [("/projects/new/", "Only clients post projects")])
def test_freelancers_get_a_403_page_for_client_pages(client, freelancer, url, heading) -> None:
    response = as_user(client, freelancer).get(url)
    assert response.status_code == 403
    assert heading in html_of(response)
    assert_accessible_page(response)


@pytest.mark.parametrize("url", ["/proposals/", "/invites/", "/portfolio/"])
def test_clients_get_a_403_page_for_freelancer_pages(client, owner, url) -> None:
    response = as_user(client, owner).get(url)
    assert response.status_code == 403
    assert_accessible_page(response)


def test_a_draft_is_seen_only_by_its_owner(client, owner, other_client, freelancer) -> None:
    draft = make_project(owner, status="draft")
    assert as_user(client, owner).get(f"/projects/{draft.pk}/").status_code == 200
    for user in (other_client, freelancer):
        response = as_user(client, user).get(f"/projects/{draft.pk}/")
        assert response.status_code == 404
        assert "Page not found" in html_of(response)
    client.logout()
    assert client.get(f"/projects/{draft.pk}/").status_code == 404


def test_an_invite_only_project_is_seen_by_the_invited_freelancer(client, owner, freelancer, make_user) -> None:
    private = make_project(with_client_plan(owner), visibility="invite_only")
    assert as_user(client, make_user("freelancer")).get(f"/projects/{private.pk}/").status_code == 404
    invite_create(client=owner, project=private, freelancer=freelancer)
    response = as_user(client, freelancer).get(f"/projects/{private.pk}/")
    assert response.status_code == 200
    assert "Send a proposal" in html_of(response)


def test_only_the_owner_edits_a_project(client, owner, other_client, freelancer, project) -> None:
    response = as_user(client, owner).get(f"/projects/{project.pk}/edit/")
    assert response.status_code == 200
    assert_accessible_page(response)
    assert 'value="Build a booking site for a dental clinic"' in html_of(response)
    for user in (other_client, freelancer):
        assert as_user(client, user).get(f"/projects/{project.pk}/edit/").status_code == 404
        assert as_user(client, user).post(f"/projects/{project.pk}/edit/", project_form()).status_code == 404
        assert as_user(client, user).post(f"/projects/{project.pk}/cancel/").status_code == 404
    project.refresh_from_db()
    assert project.status == "open"


def test_contracts_are_seen_by_their_two_parties_only(client, owner, freelancer, other_client, make_user,
                                                      staff_user) -> None:
    contract = make_contract(owner, freelancer)
    for user in (owner, freelancer):
        response = as_user(client, user).get(f"/contracts/{contract.pk}/")
        assert response.status_code == 200
        assert_accessible_page(response)
        listing = as_user(client, user).get("/contracts/")
        assert f'href="/contracts/{contract.pk}/"' in html_of(listing)
    for user in (other_client, make_user("freelancer"), staff_user):
        assert as_user(client, user).get(f"/contracts/{contract.pk}/").status_code == 404
        assert f'href="/contracts/{contract.pk}/"' not in html_of(as_user(client, user).get("/contracts/"))


# --- navigation ---------------------------------------------------------------------------------


def test_the_navigation_fits_the_kind_of_account(client, owner, freelancer) -> None:
    html = html_of(client.get("/"))
    assert 'href="/projects/"' in html and 'href="/freelancers/"' in html
    assert 'href="/contracts/"' not in html

    html = html_of(as_user(client, owner).get("/"))
    assert 'href="/projects/?mine=1"' in html and 'href="/contracts/"' in html
    assert 'href="/proposals/"' not in html

    html = html_of(as_user(client, freelancer).get("/"))
    assert 'href="/proposals/"' in html and 'href="/invites/"' in html and 'href="/contracts/"' in html
    assert 'href="/projects/?mine=1"' not in html


def test_home_shows_featured_projects_or_else_the_newest_open_ones(client, owner) -> None:
    first = make_project(owner, title="Logo for a tea shop")
    second = make_project(owner, title="Mobile app for a gym")
    make_project(owner, title="A draft nobody sees", status="draft")
    html = html_of(client.get("/"))
    assert "Logo for a tea shop" in html and "Mobile app for a gym" in html
    assert "A draft nobody sees" not in html
    assert "newest open projects" in html

    project_feature(project=first, featured=True)
    html = html_of(client.get("/"))
    assert "Logo for a tea shop" in html and second.title not in html
    assert "newest open projects" not in html
    assert_accessible_page(client.get("/"))


# --- posting and finding a project ---------------------------------------------------------------


def test_a_client_posts_a_project_through_the_page_and_a_search_finds_it(client, owner, freelancer) -> None:
    notes = SimpleUploadedFile("brief.txt", b"Recipes in chapter order.\n", content_type="text/plain")
    response = as_user(client, owner).post("/projects/new/", {**project_form(), "files": [notes, png()]})
    assert response.status_code == 302
    project = Project.objects.get(title="Translate a cookbook into Portuguese")
    assert response["Location"] == f"/projects/{project.pk}/"
    assert project.status == "open" and project.client == owner
    assert project.budget_min == Decimal("400.00") and project.budget_max == Decimal("900.50")
    assert project.currency == "eur" and project.category.slug == "writing-translation"
    assert sorted(skill.name for skill in project.skills.all()) == ["Portuguese", "Translation"]
    assert sorted(a.original_name for a in project.attachments.all()) == ["brief.txt", "shot.png"]

    page = client.get(response["Location"])
    html = html_of(page)
    assert "Your project is posted" in html
    assert "400.00\u2013900.50 EUR" in html
    assert "Edit project" in html and "Cancel project" in html
    attachment = project.attachments.get(original_name="brief.txt")
    assert f'href="/attachments/{attachment.pk}/"' in html
    download = client.get(f"/attachments/{attachment.pk}/")
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == b"Recipes in chapter order.\n"

    as_user(client, freelancer)
    results = client.get("/projects/", {"search": "glossary"})
    assert results.status_code == 200
    assert f'href="/projects/{project.pk}/"' in html_of(results)
    assert_accessible_page(results)
    assert f'href="/projects/{project.pk}/"' not in html_of(client.get("/projects/", {"search": "blockchain"}))
    filtered = client.get("/projects/", {"category": "writing-translation", "skills": "portuguese",
                                         "budget_min": "500", "budget_type": "fixed", "ordering": "newest"})
    assert f'href="/projects/{project.pk}/"' in html_of(filtered)
    assert f'href="/projects/{project.pk}/"' not in html_of(client.get("/projects/", {"budget_min": "1000"}))


def test_save_as_draft_keeps_the_project_private_until_it_is_posted(client, owner) -> None:
    response = as_user(client, owner).post("/projects/new/", project_form(action="draft"))
    project = Project.objects.get()
    assert response.status_code == 302
    assert project.status == "draft" and project.published_at is None
    assert "saved as a draft" in html_of(client.get(response["Location"]))
    mine = html_of(client.get("/projects/?mine=1"))
    assert project.title in mine and "Draft" in mine
    assert project.title not in html_of(client.get("/projects/"))

    response = client.post(f"/projects/{project.pk}/edit/", project_form(action="post", title="Cookbook, posted"))
    assert response.status_code == 302
    project.refresh_from_db()
    assert project.status == "open" and project.title == "Cookbook, posted"


def test_a_project_form_with_mistakes_shows_them_next_to_the_fields(client, owner) -> None:
    as_user(client, owner)
    response = client.post("/projects/new/", project_form(budget_min="900", budget_max="100", title=""))
    assert response.status_code == 400
    html = html_of(response)
    assert 'id="id_budget_max_error"' in html and 'id="id_title_error"' in html
    assert_accessible_page(response)

    yesterday = (timezone.localdate() - timedelta(days=1)).isoformat()
    response = client.post("/projects/new/", project_form(deadline=yesterday))
    assert response.status_code == 400
    assert 'id="id_deadline_error"' in html_of(response)
    assert "cannot be in the past" in html_of(response)

    bad_file = SimpleUploadedFile("tool.exe", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00", content_type="application/x-exe")
    response = client.post("/projects/new/", {**project_form(), "files": [bad_file]})
    assert response.status_code == 400
    assert 'id="id_files_error"' in html_of(response)
    assert not Project.objects.exists()  # nothing half-made


def test_editing_and_cancelling_a_project(client, owner, project) -> None:
    as_user(client, owner)
    response = client.post(f"/projects/{project.pk}/edit/", project_form(title="A better title", action="save"))
    assert response.status_code == 302
    project.refresh_from_db()
    assert project.title == "A better title" and project.currency == "eur"

    response = client.post(f"/projects/{project.pk}/cancel/")
    assert response.status_code == 302
    project.refresh_from_db()
    assert project.status == "cancelled"
    assert "is cancelled" in html_of(client.get(response["Location"]))
    response = client.get(f"/projects/{project.pk}/edit/")
    assert response.status_code == 302  # nothing to edit any more: back to the project with a note
    response = client.post(f"/projects/{project.pk}/edit/", project_form())
    assert response.status_code == 409
    assert "only while it is a draft or open" in html_of(response)

    draft = make_project(owner, status="draft")
    response = client.post(f"/projects/{draft.pk}/cancel/")
    assert response["Location"] == "/projects/?mine=1"
    assert not Project.objects.filter(pk=draft.pk).exists()


def test_project_list_pages_keep_the_query(client, owner) -> None:
    for n in range(21):
        make_project(owner, title=f"Django task number {n}")
    make_project(owner, title="Something else entirely", description="Watercolour painting of a house.",
                 skills=["Painting"])
    response = client.get("/projects/", {"search": "django", "ordering": "newest"})
    html = html_of(response)
    assert "21 projects found" in html
    assert html.count('class="project-card"') == 20
    next_link = re.search(r'<a href="([^"]+)" rel="next">Next</a>', html).group(1).replace("&amp;", "&")
    assert "search=django" in next_link and "ordering=newest" in next_link and "page=2" in next_link
    second = html_of(client.get(f"/projects/{next_link}"))
    assert second.count('class="project-card"') == 1
    assert 'rel="prev">Previous</a>' in second


def test_a_bad_filter_is_shown_not_a_server_error(client, db) -> None:
    response = client.get("/projects/", {"budget_min": "lots"})
    assert response.status_code == 400
    assert 'id="id_budget_min_error"' in html_of(response)


def test_my_projects_needs_a_login(client, db) -> None:
    response = client.get("/projects/?mine=1")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/?next=/projects/")


# --- proposals ----------------------------------------------------------------------------------


def test_a_freelancer_proposes_through_the_page(client, freelancer, project) -> None:
    as_user(client, freelancer)
    page = client.get(f"/projects/{project.pk}/")
    assert "Send a proposal" in html_of(page)
    assert_accessible_page(page)
    sample = SimpleUploadedFile("plan.txt", b"Week 1: models.\n", content_type="text/plain")
    response = client.post(f"/projects/{project.pk}/propose/", {
        "cover_letter": LETTER, "bid_amount": "2100.00", "estimated_duration_days": "25", "files": [sample]})
    assert response.status_code == 302
    assert response["Location"] == f"/projects/{project.pk}/#my-proposal"
    proposal = Proposal.objects.get(project=project, freelancer=freelancer)
    assert proposal.bid_amount == Decimal("2100.00") and proposal.estimated_duration_days == 25
    assert proposal.currency == "usd"
    assert [a.original_name for a in proposal.attachments.all()] == ["plan.txt"]

    html = html_of(client.get(f"/projects/{project.pk}/"))
    assert "Your proposal" in html and "2,100.00 USD" in html
    assert "Edit proposal" in html and "Withdraw proposal" in html
    assert "Send a proposal" not in html

    again = client.post(f"/projects/{project.pk}/propose/", {
        "cover_letter": LETTER, "bid_amount": "1900", "estimated_duration_days": "20"})
    assert again.status_code == 409
    assert "already sent a proposal" in html_of(again)
    assert_accessible_page(again)

    listing = client.get("/proposals/")
    assert f'href="/projects/{project.pk}/"' in html_of(listing) and "Submitted" in html_of(listing)


def test_a_proposal_with_mistakes_shows_them_next_to_the_fields(client, freelancer, project) -> None:
    response = as_user(client, freelancer).post(f"/projects/{project.pk}/propose/", {
        "cover_letter": "too short", "bid_amount": "0", "estimated_duration_days": ""})
    assert response.status_code == 400
    html = html_of(response)
    for field in ("cover_letter", "bid_amount", "estimated_duration_days"):
        assert f'id="id_{field}_error"' in html
    assert not Proposal.objects.exists()
    assert_accessible_page(response)


def test_clients_cannot_propose(client, other_client, project) -> None:
    response = as_user(client, other_client).post(f"/projects/{project.pk}/propose/", {
        "cover_letter": LETTER, "bid_amount": "100", "estimated_duration_days": "3"})
    assert response.status_code == 403
    assert not Proposal.objects.exists()


def test_editing_and_withdrawing_a_proposal(client, freelancer, make_user, project) -> None:
    proposal = make_proposal(freelancer, project)
    intruder = make_user("freelancer")
    assert as_user(client, intruder).get(f"/proposals/{proposal.pk}/edit/").status_code == 404
    assert client.post(f"/proposals/{proposal.pk}/withdraw/").status_code == 404

    as_user(client, freelancer)
    page = client.get(f"/proposals/{proposal.pk}/edit/")
    assert page.status_code == 200
    assert_accessible_page(page)
    response = client.post(f"/proposals/{proposal.pk}/edit/", {
        "cover_letter": LETTER + " Updated.", "bid_amount": "1800", "estimated_duration_days": "20"})
    assert response.status_code == 302
    proposal.refresh_from_db()
    assert proposal.bid_amount == Decimal("1800.00") and proposal.cover_letter.endswith("Updated.")

    response = client.post(f"/proposals/{proposal.pk}/withdraw/", {"next": f"/projects/{project.pk}/"})
    assert response.status_code == 302 and response["Location"] == f"/projects/{project.pk}/"
    proposal.refresh_from_db()
    assert proposal.status == "withdrawn"

    rejected = make_proposal(freelancer, make_project(project.client, title="Another job"))
    proposal_reject(proposal=rejected, by=project.client)
    refused = client.post(f"/proposals/{rejected.pk}/withdraw/")
    assert refused.status_code == 409
    assert "A proposal that is rejected cannot become withdrawn." in html_of(refused)
    assert_accessible_page(refused)
    edit = client.post(f"/proposals/{proposal.pk}/edit/", {
        "cover_letter": LETTER, "bid_amount": "1500", "estimated_duration_days": "10"})
    assert edit.status_code == 409


def test_the_owner_compares_shortlists_and_rejects(client, owner, other_client, freelancer, make_user,
                                                  project) -> None:
    first = make_proposal(freelancer, project)
    second = make_proposal(make_user("freelancer", first_name="Sam", last_name="Second"), project,
                           bid_amount=Decimal("1500.00"), estimated_duration_days=12)
    as_user(client, owner)
    page = client.get(f"/projects/{project.pk}/")
    html = html_of(page)
    assert_accessible_page(page)
    assert "Proposals (2)" in html
    assert f'href="/freelancers/{freelancer.pk}/"' in html
    assert "1,500.00 USD" in html and "12 days" in html
    assert html.count(">Accept and create contract<") == 2
    assert f'action="/proposals/{first.pk}/shortlist/"' in html

    for user in (other_client, freelancer):
        assert as_user(client, user).post(f"/proposals/{first.pk}/shortlist/").status_code == 404
        assert as_user(client, user).post(f"/proposals/{first.pk}/accept/").status_code == 404

    as_user(client, owner)
    assert client.post(f"/proposals/{first.pk}/shortlist/").status_code == 302
    assert client.post(f"/proposals/{second.pk}/reject/").status_code == 302
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status) == ("shortlisted", "rejected")
    again = client.post(f"/proposals/{second.pk}/shortlist/")
    assert again.status_code == 409
    assert "A proposal that is rejected cannot become shortlisted." in html_of(again)
    assert 'role="alert"' in html_of(again)


def test_accepting_makes_a_contract_and_a_second_accept_is_refused(client, owner, freelancer, make_user,
                                                                   project) -> None:
    first = make_proposal(freelancer, project)
    second = make_proposal(make_user("freelancer"), project)
    as_user(client, owner)
    response = client.post(f"/proposals/{first.pk}/accept/")
    contract = Contract.objects.get(project=project)
    assert response.status_code == 302
    assert response["Location"] == f"/contracts/{contract.pk}/"
    assert contract.freelancer == freelancer and contract.total_amount == Decimal("2000.00")
    page = client.get(response["Location"])
    assert "You hired Fay Lancer" in html_of(page)
    # Nothing is paid yet, so the contract cannot be completed: the page says why instead of offering it.
    assert "Mark contract as completed" not in html_of(page)
    assert "Nothing has been paid on this contract yet" in html_of(page)

    second.refresh_from_db()
    assert second.status == "rejected"
    again = client.post(f"/proposals/{second.pk}/accept/")
    assert again.status_code == 409
    html = html_of(again)
    assert "already has a contract" in html
    assert 'role="alert"' in html
    assert_accessible_page(again)
    assert Contract.objects.count() == 1

    project_page = html_of(client.get(f"/projects/{project.pk}/"))
    assert f'href="/contracts/{contract.pk}/"' in project_page
    assert "Accept and create contract" not in project_page


# --- contracts and reviews ----------------------------------------------------------------------


def test_the_client_completes_the_contract_and_both_review(client, owner, freelancer) -> None:
    contract = make_contract(owner, freelancer)
    as_user(client, freelancer)
    html = html_of(client.get(f"/contracts/{contract.pk}/"))
    assert "Mark contract as completed" not in html
    assert "Leave a review" not in html
    refused = client.post(f"/contracts/{contract.pk}/complete/")
    assert refused.status_code == 403
    assert "Only the client can do this" in html_of(refused)

    as_user(client, owner)
    nothing_paid = client.post(f"/contracts/{contract.pk}/complete/")
    assert nothing_paid.status_code == 409
    assert "Nothing has been paid on this contract yet" in html_of(nothing_paid)
    paid_milestone(contract, amount="400.00", title="First delivery")
    response = client.post(f"/contracts/{contract.pk}/complete/")
    assert response.status_code == 302
    contract.refresh_from_db()
    assert contract.status == "completed"
    page = client.get(f"/contracts/{contract.pk}/")
    html = html_of(page)
    assert "Leave a review of Fay Lancer" in html
    assert "<legend>Your rating</legend>" in html
    assert html.count('type="radio" name="rating"') == 5
    assert_accessible_page(page)

    missing = client.post(f"/contracts/{contract.pk}/review/", {"comment": "No rating"})
    assert missing.status_code == 400
    assert 'id="id_rating_error"' in html_of(missing)

    response = client.post(f"/contracts/{contract.pk}/review/", {"rating": "5", "comment": "Clear and on time."})
    assert response.status_code == 302
    review = Review.objects.get(contract_id=contract.pk, reviewer=owner)
    assert review.rating == 5 and review.reviewee == freelancer and not review.is_visible
    html = html_of(client.get(f"/contracts/{contract.pk}/"))
    assert "Leave a review" not in html
    assert "Clear and on time." in html  # one's own review is always visible to oneself
    assert "hidden from others" in html
    again = client.post(f"/contracts/{contract.pk}/review/", {"rating": "1"})
    assert again.status_code == 409
    assert "already reviewed" in html_of(again)

    as_user(client, freelancer)
    html = html_of(client.get(f"/contracts/{contract.pk}/"))
    assert "Clear and on time." not in html  # blind until both wrote theirs
    client.post(f"/contracts/{contract.pk}/review/", {"rating": "4", "comment": "Quick to answer."})
    html = html_of(client.get(f"/contracts/{contract.pk}/"))
    assert "Clear and on time." in html and "Quick to answer." in html

    profile = html_of(client.get(f"/freelancers/{freelancer.pk}/"))
    assert 'aria-label="5 out of 5"' in profile and "(1 review)" in profile and "Clear and on time." in profile
    assert "Completed contracts</dt><dd>1" in profile


def test_reviews_wait_for_a_completed_contract(client, owner, freelancer) -> None:
    contract = make_contract(owner, freelancer)
    response = as_user(client, owner).post(f"/contracts/{contract.pk}/review/", {"rating": "5"})
    assert response.status_code == 409
    assert "once the contract is completed" in html_of(response)
    assert not Review.objects.exists()


# --- freelancers, invites, portfolio ------------------------------------------------------------


def test_the_directory_finds_freelancers(client, freelancer, make_user) -> None:
    make_user("freelancer", first_name="Pia", last_name="Painter", headline="Watercolour illustrator",
              hourly_rate=Decimal("30.00"), available=False)
    response = client.get("/freelancers/", {"search": "PostgreSQL"})
    assert response.status_code == 200
    html = html_of(response)
    assert_accessible_page(response)
    assert "Fay Lancer" in html and "Pia Painter" not in html
    assert "60.00 USD an hour" in html

    html = html_of(client.get("/freelancers/", {"min_rate": "50"}))
    assert "Fay Lancer" in html and "Pia Painter" not in html
    html = html_of(client.get("/freelancers/", {"available": "on"}))
    assert "Fay Lancer" in html and "Pia Painter" not in html
    html = html_of(client.get("/freelancers/", {"country": "pt", "ordering": "rate"}))
    assert "Fay Lancer" in html and "Pia Painter" not in html
    bad = client.get("/freelancers/", {"country": "Portugal"})
    assert bad.status_code == 400 and 'id="id_country_error"' in html_of(bad)


def test_a_client_invites_a_freelancer_who_sees_and_declines_it(client, owner, other_client, freelancer,
                                                              project) -> None:
    as_user(client, owner)
    page = client.get(f"/freelancers/{freelancer.pk}/")
    html = html_of(page)
    assert "Invite to a project" in html
    assert_accessible_page(page)
    response = client.post(f"/freelancers/{freelancer.pk}/invite/", {"project": project.pk, "message": "Fancy it?"})
    assert response.status_code == 302
    invite = Invite.objects.get(project=project, freelancer=freelancer)
    assert invite.message == "Fancy it?"
    again = client.post(f"/freelancers/{freelancer.pk}/invite/", {"project": project.pk})
    assert again.status_code == 409
    assert "already invited" in html_of(again)
    someone_elses = make_project(other_client)
    wrong = client.post(f"/freelancers/{freelancer.pk}/invite/", {"project": someone_elses.pk})
    assert wrong.status_code == 400
    assert 'id="id_project_error"' in html_of(wrong)

    as_user(client, freelancer)
    page = client.get("/invites/")
    html = html_of(page)
    assert project.title in html and "Fancy it?" in html
    assert f'action="/invites/{invite.pk}/decline/"' in html
    response = client.post(f"/invites/{invite.pk}/decline/")
    assert response.status_code == 302
    invite.refresh_from_db()
    assert invite.status == "declined"
    again = client.post(f"/invites/{invite.pk}/decline/")
    assert again.status_code == 409
    assert "already answered" in html_of(again)


def test_a_client_without_open_projects_is_asked_to_post_one(client, other_client, freelancer) -> None:
    html = html_of(as_user(client, other_client).get(f"/freelancers/{freelancer.pk}/"))
    assert "Invite to a project" not in html
    assert 'href="/projects/new/"' in html


def test_every_picture_on_a_profile_is_served_as_an_image(client, freelancer) -> None:
    """Each <img> and each full-size link on a profile with a portfolio answers 200 with an image, through the
    same /media/ route as the local-disk default; thumbnails load with the page and keep their box's size."""
    portfolio_item_create(freelancer=freelancer, images=[png("one.png", (900, 600)), png("two.png", (600, 900))],
                          data={"title": "Clinic booking site", "description": "", "project_url": ""})
    html = html_of(client.get(f"/freelancers/{freelancer.pk}/"))
    thumbs = re.findall(r"<img [^>]*alt=\"Clinic booking site, image \d[^\"]*\"[^>]*>", html)
    assert len(thumbs) == 2, html
    for tag in thumbs:
        assert 'loading="lazy"' not in tag and 'width="160"' in tag and 'height="120"' in tag, tag
    sources = re.findall(r'<img [^>]*src="([^"]+)"', html) + re.findall(r'<a href="(/media/[^"]+)"', html)
    assert len(sources) >= 4, sources
    for src in sources:
        response = client.get(src)
        assert response.status_code == 200, src
        assert response["Content-Type"].startswith("image/"), (src, response["Content-Type"])
        body = b"".join(response.streaming_content) if response.streaming else response.content
        assert Image.open(io.BytesIO(body)).size[0] > 0


def test_a_freelancer_manages_their_portfolio(client, freelancer, make_user) -> None:
    as_user(client, freelancer)
    response = client.post("/portfolio/", {"title": "Clinic booking site", "description": "Built in 2024.",
                                           "project_url": "https://example.com/clinic",
                                           "images": [png("one.png"), png("two.png", (900, 600))]})
    assert response.status_code == 302
    item = PortfolioItem.objects.get(freelancer=freelancer)
    assert item.images.count() == 2
    page = client.get("/portfolio/")
    assert_accessible_page(page)
    html = html_of(page)
    assert "Clinic booking site" in html
    image = item.images.first()
    assert image.thumbnail.url in html and image.image.url in html

    profile = html_of(client.get(f"/freelancers/{freelancer.pk}/"))
    assert f'<a href="{image.image.url}"><img src="{image.thumbnail.url}"' in profile

    bad = client.post("/portfolio/", {"title": "Broken", "images": [
        SimpleUploadedFile("fake.png", b"not an image at all", content_type="image/png")]})
    assert bad.status_code == 400
    assert 'id="id_images_error"' in html_of(bad)

    other = portfolio_item_create(freelancer=make_user("freelancer"), data={"title": "Theirs"}, images=[])
    assert client.post(f"/portfolio/{other.pk}/delete/").status_code == 404
    assert client.post(f"/portfolio/{item.pk}/delete/").status_code == 302
    assert not PortfolioItem.objects.filter(pk=item.pk).exists()


def test_private_attachments_are_not_served_to_strangers(client, owner, freelancer, make_user) -> None:
    private = make_project(with_client_plan(owner), visibility="invite_only")
    as_user(client, owner).post(f"/projects/{private.pk}/edit/", {
        **project_form(visibility="invite_only", action="save"),
        "files": [SimpleUploadedFile("secret.txt", b"plans", content_type="text/plain")]})
    attachment = Attachment.objects.get(project=private)
    assert client.get(f"/attachments/{attachment.pk}/").status_code == 200
    assert as_user(client, make_user("freelancer")).get(f"/attachments/{attachment.pk}/").status_code == 404


# --- lists cost the same number of queries however long they are ----------------------------------


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_lists_do_not_query_once_per_row(client, owner, freelancer, make_user) -> None:
    project = make_project(owner)
    make_proposal(freelancer, project)
    make_contract(owner, freelancer)
    as_user(client, owner)
    urls = ["/projects/", "/projects/?mine=1", "/freelancers/", f"/projects/{project.pk}/", "/contracts/"]
    few = {url: _queries(client, url) for url in urls}
    for n in range(6):
        other = make_user("freelancer", hourly_rate=Decimal("40.00"))
        other.skills.add(*freelancer.skills.all())
        make_proposal(other, project)
        make_project(owner, title=f"More work {n}", skills=["Django", f"Skill {n}"])
        make_contract(owner, other)
    many = {url: _queries(client, url) for url in urls}
    assert many == few
