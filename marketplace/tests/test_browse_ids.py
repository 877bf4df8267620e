"""Browsing the public projects with no filter reads its first page with SQL compiled once per process and page
size (`core.prepared`): the ids are exactly what the queryset gives, for visitors and for members without private
projects, and a project published since shows on the very next page."""

import pytest

from core import prepared
from marketplace import selectors
from marketplace.models import Project

from .factories import make_project

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _forget() -> None:
    prepared.forget()


def _expected(size: int, page: int = 1) -> list[int]:
    """Public, not drafts, newest first: computed from the rows, not from the selector."""
    projects = [p for p in Project.objects.all() if p.visibility == "public" and p.status != "draft"]
    projects.sort(key=lambda p: (p.published_at, p.pk), reverse=True)
    return [p.pk for p in projects][(page - 1) * size:page * size]


def _ids(api, path: str) -> list[int]:
    answer = api.get(path)
    assert answer.status_code == 200
    return [row["id"] for row in answer.json()["results"]]


def test_first_pages_match_the_rows_for_every_size_and_see_new_projects(api_client, client_for,
                                                                         freelancer_user, make_user, monkeypatch):
    other = make_user("client")
    for n in range(7):
        make_project(other, title=f"Public {n}")
    draft = make_project(other, title="A draft")
    Project.objects.filter(pk=draft.pk).update(status="draft", published_at=None)
    private = make_project(other, title="A private one", visibility="private")
    member = client_for(freelancer_user)  # a member without private projects browses the public list
    for api in (api_client, member):
        for size in (1, 2, 3, 5, 7, 20):
            assert _ids(api, f"/api/projects?page_size={size}") == _expected(size)
        assert _ids(api, "/api/projects?page_size=3&page=2") == _expected(3, page=2)
        assert _ids(api, "/api/projects?page_size=3&page=3") == _expected(3, page=3)
    shown = set(_ids(api_client, "/api/projects?page_size=100"))
    assert draft.pk not in shown and private.pk not in shown and len(shown) == 7

    built = []
    monkeypatch.setattr(selectors, "_browse_ids", lambda real=selectors._browse_ids: built.append(1) or real())
    newest = make_project(other, title="Published just now")
    first = _ids(api_client, "/api/projects?page_size=3")
    assert first == _expected(3) and first[0] == newest.pk
    assert built == []  # page 1 of this size was compiled: nothing built, only run
    assert _ids(api_client, "/api/projects?page_size=3&page=2") == _expected(3, page=2)
    assert built == [1]  # a deeper page is built as a queryset


def test_members_with_private_projects_and_filters_are_not_served_the_public_page(client_for, client_user, make_user):
    other = make_user("client")
    public = [make_project(other, title=f"Public {n}") for n in range(3)]
    mine = make_project(client_user, title="My private project", visibility="private")
    api = client_for(client_user)
    assert _ids(api, "/api/projects") == [mine.pk, *(p.pk for p in reversed(public))]
    assert _ids(client_for(other), "/api/projects?mine=1") == [p.pk for p in reversed(public)]
    assert _ids(client_for(other), "/api/projects?ordering=oldest") == [p.pk for p in public]
