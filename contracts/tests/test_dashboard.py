"""Each role's home after signing in: `/dashboard/`."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from contracts.demo import fund_as_paid
from contracts.escrow import milestone_approve, milestone_create, milestone_submit
from contracts.tests.factories import make_contract
from marketplace.tests.factories import make_project, make_proposal
from tests.helpers.pages import assert_accessible_page

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-and-unusual-passphrase-77"


def _paid_milestone(contract, title="Design", amount="1000.00"):
    milestone = milestone_create(contract=contract, by=contract.client, data={"title": title, "amount": amount})
    fund_as_paid(milestone)
    milestone_submit(milestone=milestone, by=contract.freelancer, note="Done", files=[])
    return milestone_approve(milestone=milestone, by=contract.client)


def test_login_and_signup_land_on_the_dashboard_unless_next_says_otherwise(client, client_user):
    client_user.set_password(PASSWORD)
    client_user.save()
    response = client.post("/login/", {"email": client_user.email, "password": PASSWORD})
    assert response["Location"] == "/dashboard/"
    client.logout()
    response = client.post("/login/", {"email": client_user.email, "password": PASSWORD, "next": "/contracts/"})
    assert response["Location"] == "/contracts/"
    client.logout()
    response = client.post("/signup/", {"email": "new@example.com", "password": PASSWORD, "first_name": "Nia",
                                        "last_name": "Obi", "user_type": "client", "company": ""})
    assert response["Location"] == "/dashboard/"


def test_the_dashboard_needs_a_login_and_sends_staff_to_theirs(client, staff_user):
    assert client.get("/dashboard/")["Location"].startswith("/login/?next=/dashboard/")
    client.force_login(staff_user)
    assert client.get("/dashboard/")["Location"] == "/staff/dashboard/"


def test_a_client_sees_projects_new_proposals_contracts_needing_action_and_spend(client, client_user, make_user):
    freelancer = make_user("freelancer")
    other = make_user("freelancer")
    open_project = make_project(client_user, title="Booking site for a clinic")
    make_proposal(other, open_project)
    contract = make_contract(client_user, freelancer, title="Warehouse dashboard")
    _paid_milestone(contract, amount="1200.00")
    milestone_create(contract=contract, by=client_user, data={"title": "Reports", "amount": "300.00"})
    client.force_login(client_user)

    response = client.get("/dashboard/")
    assert response.status_code == 200
    assert_accessible_page(response)
    html = response.content.decode()
    assert re.search(r"<h1>Welcome back, ", html)
    assert "Booking site for a clinic" in html and "1 new" in html
    action = html.split('id="action-heading"')[1].split("</section>")[0]
    assert "Warehouse dashboard" in action and "Next milestone: <strong>Reports</strong>" in action
    assert "Fund it to start the work" in action
    assert "1,200.00 USD" in html  # spent


def test_a_freelancer_sees_matches_proposals_contracts_earnings_and_profile_progress(client, make_user):
    freelancer = make_user("freelancer", headline="", hourly_rate=None)
    from accounts.services import skills_from_names

    freelancer.skills.set(skills_from_names(["Django"]))
    owner = make_user("client")
    match = make_project(owner, title="Django booking API", skills=["Django"])
    make_project(owner, title="Logo for a bakery", skills=["Illustrator"], category="design-creative")
    proposed = make_project(owner, title="Django shop", skills=["Django"])
    make_proposal(freelancer, proposed)
    contract = make_contract(owner, freelancer, title="Clinic portal")
    _paid_milestone(contract, amount="1000.00")
    client.force_login(freelancer)

    html = client.get("/dashboard/").content.decode()
    matches = html.split('id="matches-heading"')[1].split("</section>")[0]
    assert match.title in matches and "Logo for a bakery" not in matches and "Django shop" not in matches
    assert "Django shop" in html.split('id="proposals-heading"')[1].split("</section>")[0]
    assert "Clinic portal" in html.split('id="contracts-heading"')[1]
    assert "900.00 USD" in html  # earned: 1,000 less the 10% fee
    assert re.search(r'role="progressbar" aria-label="Profile completeness"[^>]*aria-valuenow="(\d+)"', html)
    assert "Complete your profile" in html and ">A headline<" in html and ">Your hourly rate<" in html


def test_dashboard_queries_do_not_grow_with_rows(client, make_user):
    owner, freelancer = make_user("client"), make_user("freelancer")
    from accounts.services import skills_from_names

    freelancer.skills.set(skills_from_names(["Django"]))

    def add(n):
        for i in range(n):
            project = make_project(owner, title=f"Project {i}", skills=["Django"])
            make_proposal(make_user("freelancer"), project)
            contract = make_contract(owner, freelancer, title=f"Contract {i}")
            milestone_create(contract=contract, by=owner, data={"title": "Part", "amount": "100.00"})

    def count(user):
        client.force_login(user)
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/dashboard/").status_code == 200
        return len(captured)

    add(1)
    before = (count(owner), count(freelancer))
    add(4)
    assert (count(owner), count(freelancer)) == before
