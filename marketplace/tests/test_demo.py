"""The demo marketplace loads once, covers every status, and staff can browse it in the admin."""

import io
import re

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import User
from contracts.models import Contract, ContractStatusChange, Milestone
from contracts.tests.factories import make_contract
from marketplace.models import (
    Attachment,
    Category,
    Invite,
    PortfolioImage,
    PortfolioItem,
    Project,
    ProjectStatus,
    ProjectStatusChange,
    Proposal,
    ProposalStatusChange,
    Review,
)
from marketplace.tests.factories import make_project, make_proposal
from messaging.models import Chat, Message

pytestmark = pytest.mark.django_db

MODELS = [User, Project, ProjectStatusChange, Proposal, ProposalStatusChange, Invite, Contract, Milestone, Chat,
          Message, ContractStatusChange, Review, PortfolioItem, PortfolioImage, Attachment, Category]


def counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in MODELS}


@pytest.fixture
def seeded() -> None:
    call_command("seed_demo", stdout=io.StringIO())


def test_seeding_twice_changes_nothing():
    call_command("seed_demo", stdout=io.StringIO())
    first = counts()
    changed = {name: count for name, count in first.items() if name not in ("Attachment",) and count == 0}
    assert not changed, f"the demo left these empty: {changed}"
    second_output = io.StringIO()
    call_command("seed_demo", stdout=second_output)
    assert counts() == first
    assert "created" not in second_output.getvalue()


def test_every_project_status_appears(seeded):
    statuses = set(Project.objects.values_list("status", flat=True))
    assert statuses == set(ProjectStatus.values)
    assert 10 <= Project.objects.count() <= 16
    assert Project.objects.values("category").distinct().count() >= 5


def test_the_demo_marketplace_is_coherent(seeded):
    # Every project in progress or completed has a contract with the accepted proposal's freelancer.
    for project in Project.objects.filter(status__in=["in_progress", "completed"]):
        contract = Contract.objects.get(project=project)
        assert contract.proposal.status == "accepted"
        assert contract.status == ("active" if project.status == "in_progress" else "completed")
    assert not Contract.objects.exclude(project__status__in=["in_progress", "completed"]).exists()
    # Completed contracts carry both reviews, revealed.
    for contract in Contract.objects.filter(status="completed"):
        reviews = list(Review.objects.filter(contract_id=contract.pk))
        assert {review.reviewer_id for review in reviews} == {contract.client_id, contract.freelancer_id}
        assert all(review.is_visible for review in reviews)
    # Open projects have proposals from the demo freelancers; featured ones exist and are open.
    assert Proposal.objects.filter(project__status="open").exists()
    assert set(Proposal.objects.values_list("freelancer__user_type", flat=True)) == {"freelancer"}
    featured = Project.objects.filter(is_featured=True)
    assert featured.exists() and set(featured.values_list("status", flat=True)) == {"open"}
    # One invite-only project with invites; one of them answered by a proposal.
    private = Project.objects.get(visibility="invite_only")
    assert private.invites.count() >= 1
    assert set(private.invites.values_list("status", flat=True)) >= {"pending"}
    # Portfolios with real images.
    assert PortfolioItem.objects.values("freelancer").distinct().count() == 4
    assert PortfolioImage.objects.count() >= PortfolioItem.objects.count()
    # Status moves were recorded as they happened.
    assert ProjectStatusChange.objects.filter(to_status="cancelled").count() == Project.objects.filter(
        status="cancelled").count()


def test_the_demo_is_visible_through_the_api(seeded, api_client):
    featured = api_client.get("/api/projects", {"featured": "true"}).json()
    assert featured["count"] >= 2
    freelancers = api_client.get("/api/freelancers", {"ordering": "-rating"}).json()["results"]
    assert freelancers[0]["rating_avg"] is not None and freelancers[0]["review_count"] >= 1
    fatima = next(row for row in freelancers if row["first_name"] == "Fatima")
    assert fatima["completed_contracts"] == 1 and fatima["rating_avg"] == "5.00"
    assert api_client.get("/api/portfolio", {"freelancer": fatima["id"]}).json()["count"] == 2


# --- the admin over the demo data ---------------------------------------------------------------

CHANGELISTS = [
    "/admin/marketplace/project/", "/admin/marketplace/proposal/", "/admin/marketplace/category/",
    "/admin/marketplace/invite/", "/admin/marketplace/portfolioitem/", "/admin/marketplace/portfolioimage/",
    "/admin/marketplace/review/", "/admin/marketplace/attachment/", "/admin/marketplace/projectstatuschange/",
    "/admin/marketplace/proposalstatuschange/", "/admin/contracts/contract/",
    "/admin/contracts/contractstatuschange/", "/admin/contracts/milestone/", "/admin/contracts/milestonestatuschange/",
    "/admin/contracts/submission/", "/admin/contracts/submissionfile/", "/admin/contracts/dispute/",
]


class TestAdmin:
    @pytest.fixture
    def staff(self, client, staff_user, seeded):
        client.force_login(staff_user)
        return client

    def queries(self, staff, url):
        with CaptureQueriesContext(connection) as captured:
            response = staff.get(url)
        assert response.status_code == 200, url
        return len(captured)

    def test_every_changelist_and_change_page_opens(self, staff):
        for url in CHANGELISTS:
            page = staff.get(url)
            assert page.status_code == 200, url
            assert staff.get(url, {"q": "robot"}).status_code == 200, url
        for model in (Project, Proposal, PortfolioItem, Review, Invite, Category, PortfolioImage,
                      ProjectStatusChange, ProposalStatusChange, Contract, ContractStatusChange):
            obj = model.objects.first()
            url = f"/admin/{model._meta.app_label}/{model._meta.model_name}/{obj.pk}/change/"
            assert staff.get(url).status_code == 200, url

    def test_changelist_queries_do_not_grow_with_rows(self, staff, make_user):
        from contracts.escrow import milestone_create

        client = make_user("client")
        freelancers = [make_user("freelancer") for _ in range(3)]
        running = make_contract(client, freelancers[0], title="Running job")

        def milestones(count):
            for n in range(count):
                milestone_create(contract=running, by=client, data={"title": f"Part {n}", "amount": "100.00"})

        milestones(1)
        before = {url: self.queries(staff, url) for url in CHANGELISTS}
        milestones(5)
        for n in range(6):
            project = make_project(client, title=f"More work {n}", category=["web-development", None][n % 2])
            for freelancer in freelancers:
                make_proposal(freelancer, project)
        for freelancer in freelancers:
            contract = make_contract(client, freelancer, completed=True, title="Finished job")
            from contracts.reviews import review_create

            review_create(contract=contract, reviewer=client, rating=4)
        after = {url: self.queries(staff, url) for url in CHANGELISTS}
        assert after == before

    def test_status_changes_are_read_only(self, staff):
        for path, model in (("marketplace/projectstatuschange", ProjectStatusChange),
                            ("marketplace/proposalstatuschange", ProposalStatusChange),
                            ("contracts/contractstatuschange", ContractStatusChange)):
            change = model.objects.first()
            assert staff.get(f"/admin/{path}/add/").status_code == 403
            assert staff.post(f"/admin/{path}/{change.pk}/change/", {"to_status": "cancelled"}).status_code == 403
            assert staff.post(f"/admin/{path}/{change.pk}/delete/", {"post": "yes"}).status_code == 403
            assert model.objects.filter(pk=change.pk, to_status=change.to_status).exists()
        page = staff.get(f"/admin/marketplace/project/{Project.objects.first().pk}/change/").content.decode()
        assert 'name="status_changes-0-to_status"' not in page  # the inline shows, never edits, the history

    def test_feature_and_stop_featuring(self, staff):
        project = Project.objects.filter(status="open", is_featured=False).first()
        response = staff.post("/admin/marketplace/project/", {"action": "feature", "_selected_action": [project.pk]})
        assert response.status_code == 302
        project.refresh_from_db()
        assert project.is_featured
        staff.post("/admin/marketplace/project/", {"action": "unfeature", "_selected_action": [project.pk]})
        project.refresh_from_db()
        assert not project.is_featured

    def test_contract_money_is_read_only(self, staff):
        contract = Contract.objects.filter(status="active").first()
        url = f"/admin/contracts/contract/{contract.pk}/change/"
        page = staff.get(url).content.decode()
        assert 'name="total_amount"' not in page and 'name="title"' in page
        # The inlines' management forms, as the page sends them.
        management = dict(re.findall(r'name="([\w-]+-(?:TOTAL|INITIAL|MIN_NUM|MAX_NUM)_FORMS)"[^>]*value="(\d*)"',
                                     page))
        assert management
        response = staff.post(url, {
            **management, "title": "Renamed by staff", "terms": contract.terms, "total_amount": "1.00",
            "currency": "eur", "status": "completed",
        })
        assert response.status_code == 302, response.content.decode()[:2000]
        after = Contract.objects.get(pk=contract.pk)
        assert after.title == "Renamed by staff"
        assert (after.total_amount, after.currency, after.status) == (contract.total_amount, contract.currency,
                                                                      "active")
        assert staff.get("/admin/contracts/contract/add/").status_code == 403

    def test_projects_and_proposals_keep_their_history(self, staff):
        project = Project.objects.filter(status="cancelled").first()
        proposal = Proposal.objects.first()
        assert staff.post(f"/admin/marketplace/project/{project.pk}/delete/", {"post": "yes"}).status_code == 403
        assert staff.post(f"/admin/marketplace/proposal/{proposal.pk}/delete/", {"post": "yes"}).status_code == 403
        assert Project.objects.filter(pk=project.pk).exists() and Proposal.objects.filter(pk=proposal.pk).exists()

    def test_removing_an_attachment_removes_its_file(self, staff):
        from django.core.files.storage import default_storage
        from django.core.files.uploadedfile import SimpleUploadedFile

        from marketplace.services import attachment_add

        project = Project.objects.filter(status="open").first()
        attachment = attachment_add(uploaded_by=project.client, project=project,
                                    upload=SimpleUploadedFile("brief.txt", b"The brief"))
        assert default_storage.exists(attachment.file.name)
        response = staff.post(f"/admin/marketplace/attachment/{attachment.pk}/delete/", {"post": "yes"})
        assert response.status_code == 302
        assert not Attachment.objects.filter(pk=attachment.pk).exists()
        assert not default_storage.exists(attachment.file.name)

    def test_staff_edit_a_project_and_search_follows(self, staff, api_client):
        project = Project.objects.filter(status="open", visibility="public").first()
        url = f"/admin/marketplace/project/{project.pk}/change/"
        page = staff.get(url).content.decode()
        management = dict(re.findall(r'name="([\w-]+-(?:TOTAL|INITIAL|MIN_NUM|MAX_NUM)_FORMS)"[^>]*value="(\d*)"',
                                     page))
        response = staff.post(url, {
            **management, "title": "Quarterly zeppelin inspection", "description": project.description,
            "category": project.category_id, "skills": [skill.pk for skill in project.skills.all()][:1],
            "deadline": "", "visibility": "public", "status": "cancelled", "budget_max": "1.00",
        })
        assert response.status_code == 302, response.content.decode()[:3000]
        project.refresh_from_db()
        assert project.title == "Quarterly zeppelin inspection"
        assert project.status == "open" and project.budget_max != 1  # read-only here
        assert project.skills.count() == 1 and project.skills_text == project.skills.get().name
        found = api_client.get("/api/projects", {"search": "zeppelin"}).json()["results"]
        assert [row["id"] for row in found] == [project.pk]


# --- the story the demo tells --------------------------------------------------------------------


def test_the_demo_tells_a_few_weeks_of_work(seeded):
    from contracts.models import Milestone
    from messaging.models import Chat, Message
    from payments import selectors as payment_selectors
    from payments.models import Payment
    from tests.helpers.money import assert_ledger_balanced

    # Every contract has milestones; together they are in every stage of the work.
    for contract in Contract.objects.all():
        assert contract.milestones.exists(), contract.title
    assert set(Milestone.objects.filter(contract__status="active").values_list("status", flat=True)) >= {
        "released", "submitted", "funded", "pending"}
    # Completed contracts were paid in full before they were completed.
    for contract in Contract.objects.filter(status="completed"):
        assert set(contract.milestones.values_list("status", flat=True)) == {"released"}
        assert Payment.objects.filter(contract_id=contract.pk, kind="release").count() == contract.milestones.count()
    assert_ledger_balanced()
    # Each freelancer who was hired has earnings on their dashboard; each client has spent.
    for contract in Contract.objects.select_related("client", "freelancer"):
        assert payment_selectors.freelancer_balances(user=contract.freelancer)[0].earned > 0
        assert payment_selectors.client_balances(user=contract.client)[0].spent > 0
    # Each pair under contract talks in a chat, and one chat is about an open project before hiring.
    for contract in Contract.objects.all():
        chat = Chat.objects.get(client=contract.client, freelancer=contract.freelancer, subject_id=contract.project_id)
        senders = set(Message.objects.filter(chat=chat).values_list("sender_id", flat=True))
        assert senders == {contract.client_id, contract.freelancer_id}
    assert Chat.objects.filter(subject_id__in=Project.objects.filter(status="open").values("pk")).exists()
