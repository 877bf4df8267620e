"""What a chat knows of the projects and contracts above messaging, as the people in it see it."""

import pytest

from contracts.models import ContractStatus
from contracts.services import contract_set_status
from contracts.tests.factories import make_contract
from marketplace.tests.factories import make_project
from messaging.services import chat_open, message_send

pytestmark = pytest.mark.django_db

PHONE = "Call me: +49 170 1234567"


def test_a_chat_about_a_project_shows_its_title_in_the_inbox(client, client_user, freelancer_user) -> None:
    project = make_project(client_user, title="Bakery website")
    chat_open(user=freelancer_user, participant=client_user, project_id=project.pk)
    client.force_login(freelancer_user)
    html = client.get("/messages/").content.decode()
    assert "About Bakery website" in html


def test_a_chat_cannot_be_about_another_clients_project(client_for, client_user, freelancer_user, make_user) -> None:
    other_project = make_project(make_user("client"))
    response = client_for(freelancer_user).post(
        "/api/chats", {"participant_id": client_user.id, "project_id": other_project.id}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"]["project_id"] == ["There is no such project of this client."]


def test_contact_details_are_masked_again_once_the_contract_is_cancelled(client_user, freelancer_user) -> None:
    contract = make_contract(client_user, freelancer_user)
    chat = chat_open(user=client_user, participant=freelancer_user)[0]
    shown, _ = message_send(chat=chat, sender=client_user, content=PHONE)
    assert shown.content == PHONE and not shown.is_flagged

    contract_set_status(contract=contract, to=ContractStatus.CANCELLED, by=client_user)
    masked, _ = message_send(chat=chat, sender=client_user, content=PHONE)
    assert "+49 170 1234567" not in masked.content and masked.is_flagged
