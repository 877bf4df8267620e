"""People on the pages: "Message" buttons that open a chat, avatars and stars, and a project's proposals for
its owner (sorting, filtering, a side-by-side comparison, and the hire on the "Manage your project" card)."""

import re
from decimal import Decimal

import pytest
from django.db import connection
from django.template import Context, Template
from django.test.utils import CaptureQueriesContext

from contracts.escrow import milestone_create
from contracts.services import proposal_accept
from contracts.tests.factories import make_contract
from marketplace.services import proposal_shortlist
from marketplace.tests.factories import make_project, make_proposal
from messaging.models import Chat
from tests.helpers.pages import assert_accessible_page

pytestmark = pytest.mark.django_db


def render(source: str, **context) -> str:
    return Template("{% load people %}" + source).render(Context(context))


def test_avatar_shows_the_photo_or_coloured_initials(make_user):
    person = make_user("freelancer", first_name="Ada", last_name="Lovelace")
    html = render("{% avatar person size=48 %}", person=person)
    assert ">AL</span>" in html and "--avatar-size: 48px" in html and 'aria-hidden="true"' in html
    assert 'role="img" aria-label="Ada Lovelace"' in render("{% avatar person label=True %}", person=person)


@pytest.mark.parametrize(("rating", "label", "width"), [
    (Decimal("4.5"), "4.5 out of 5", 90), (5, "5 out of 5", 100), (Decimal("3.26"), "3.3 out of 5", 70),
    (None, None, None),
])
def test_stars_read_as_a_rating_out_of_five(rating, label, width):
    html = render("{% stars rating %}", rating=rating)
    if label is None:
        assert html.strip() == ""
    else:
        assert f'role="img" aria-label="{label}"' in html and f"width: {width}%" in html


def test_a_client_messages_a_freelancer_from_the_profile(client, client_user, freelancer_user):
    client.force_login(client_user)
    page = client.get(f"/freelancers/{freelancer_user.pk}/").content.decode()
    to = freelancer_user.pk
    assert re.search(rf'<form method="post" action="/messages/new/".*?name="to" value="{to}".*?>Message<', page, re.S)
    response = client.post("/messages/new/", {"to": freelancer_user.pk})
    chat = Chat.objects.get(client=client_user, freelancer=freelancer_user)
    assert response["Location"] == f"/messages/{chat.pk}/"
    assert client.post("/messages/new/", {"to": freelancer_user.pk})["Location"] == f"/messages/{chat.pk}/"


def test_message_buttons_on_proposals_and_contracts(client, client_user, freelancer_user):
    project = make_project(client_user)
    make_proposal(freelancer_user, project)
    client.force_login(client_user)
    page = client.get(f"/projects/{project.pk}/").content.decode()
    hidden = r'name="to" value="{}">\s*<input type="hidden" name="project" value="{}">'
    assert re.search(hidden.format(freelancer_user.pk, project.pk), page)
    contract = make_contract(client_user, freelancer_user, title="Clinic work")
    client.force_login(freelancer_user)
    page = client.get(f"/contracts/{contract.pk}/").content.decode()
    assert re.search(hidden.format(client_user.pk, contract.project_id), page)


@pytest.fixture
def proposals(client_user, make_user):
    from contracts.reviews import review_create

    project = make_project(client_user, title="Clinic booking")
    cheap, rated, recent = (make_user("freelancer", first_name=name) for name in ("Cheap", "Rated", "Recent"))
    done = make_contract(make_user("client"), rated, completed=True)
    review_create(contract=done, reviewer=done.client, rating=5)
    review_create(contract=done, reviewer=rated, rating=5)
    by = {
        "cheap": make_proposal(cheap, project, bid_amount=Decimal("900.00")),
        "rated": make_proposal(rated, project, bid_amount=Decimal("2500.00"),
                               cover_letter="A very long cover letter. " * 80),
        "recent": make_proposal(recent, project, bid_amount=Decimal("1800.00")),
    }
    proposal_shortlist(proposal=by["rated"], by=client_user)
    return project, by


def _order(html: str) -> list[str]:
    return re.findall(r'class="proposal-card__name"><a [^>]*>(\w+) ', html)


def test_the_owner_sorts_filters_and_compares_proposals(client, client_user, proposals):
    project, by = proposals
    client.force_login(client_user)
    url = f"/projects/{project.pk}/"
    page = client.get(url)
    assert_accessible_page(page)
    html = page.content.decode()
    assert _order(html) == ["Recent", "Rated", "Cheap"]
    assert ("A very long cover letter. " * 80).strip() in html  # in full, not cut off
    assert _order(client.get(url, {"sort": "bid"}).content.decode()) == ["Cheap", "Recent", "Rated"]
    assert _order(client.get(url, {"sort": "rating"}).content.decode())[0] == "Rated"
    assert 'aria-label="5 out of 5"' in html
    assert _order(client.get(url, {"show": "shortlisted"}).content.decode()) == ["Rated"]

    compared = client.get(url, {"compare": [by["cheap"].pk, by["rated"].pk]})
    assert_accessible_page(compared)
    table = compared.content.decode().split('class="table compare-table"')[1].split("</table>")[0]
    assert re.findall(r'<th scope="col">(\w+) ', table) == ["Rated", "Cheap"]
    assert "900.00 USD" in table and "2,500.00 USD" in table
    assert "Pick at least two" in client.get(url, {"compare": [by["cheap"].pk]}).content.decode()


def test_proposal_list_queries_do_not_grow_with_proposals(client, client_user, make_user):
    project = make_project(client_user)

    def count():
        with CaptureQueriesContext(connection) as captured:
            assert client.get(f"/projects/{project.pk}/").status_code == 200
        return len(captured)

    make_proposal(make_user("freelancer"), project)
    client.force_login(client_user)
    before = count()
    for _ in range(4):
        make_proposal(make_user("freelancer"), project)
    assert count() == before


def test_after_hiring_the_manage_card_shows_the_contract_freelancer_and_next_milestone(
        client, client_user, freelancer_user):
    project = make_project(client_user, title="Clinic booking")
    contract = proposal_accept(proposal=make_proposal(freelancer_user, project), by=client_user)
    client.force_login(client_user)
    card = client.get(f"/projects/{project.pk}/").content.decode().split('id="manage-heading"')[1].split(
        "</section>")[0]
    assert f'href="/contracts/{contract.pk}/"' in card and freelancer_user.get_full_name() in card
    assert "Add a milestone so the work can start." in card
    milestone_create(contract=contract, by=client_user, data={"title": "Booking form", "amount": "800.00"})
    card = client.get(f"/projects/{project.pk}/").content.decode().split('id="manage-heading"')[1].split(
        "</section>")[0]
    assert "“Booking form” · 800.00 USD · Waiting for funding" in card
    assert "Fund it to start the work." in card
