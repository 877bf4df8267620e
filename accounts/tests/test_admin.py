"""Staff manage accounts in the admin; the admin signs in through the site's login (with 2FA)."""

import pytest

from accounts.models import User

pytestmark = pytest.mark.django_db


def test_admin_sends_people_to_the_sites_login(client):
    response = client.get("/admin/")
    assert response.status_code == 302
    login = client.get(response["Location"], follow=True)
    assert login.redirect_chain[-1][0].startswith("/login/?next=/admin/")


def test_non_staff_are_refused(client, client_user):
    client.force_login(client_user)
    assert client.get("/admin/", follow=True).status_code == 403


def test_staff_search_and_filter_users(client, staff_user, make_user):
    make_user("freelancer", email="findme@example.com")
    client.force_login(staff_user)
    page = client.get("/admin/accounts/user/", {"q": "findme"})
    assert page.status_code == 200
    assert "findme@example.com" in page.content.decode()
    assert client.get("/admin/accounts/user/", {"user_type__exact": "client"}).status_code == 200


def test_suspend_action_ends_the_users_tokens(client, staff_user, freelancer_user, client_for):
    api = client_for(freelancer_user)
    client.force_login(staff_user)
    response = client.post("/admin/accounts/user/", {"action": "suspend", "_selected_action": [freelancer_user.pk]})
    assert response.status_code == 302
    assert User.objects.get(pk=freelancer_user.pk).is_active is False
    assert api.get("/api/auth/me").status_code == 401


def test_outbox_is_read_only(client, staff_user):
    client.force_login(staff_user)
    assert client.get("/admin/core/outboundemail/").status_code == 200
    assert client.get("/admin/core/outboundemail/add/").status_code == 403
