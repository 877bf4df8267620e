"""The freelancer list's rows and skills are read with SQL compiled once per process (`core.prepared`): for any
page they are what the queryset gives, in the page's order, and someone deactivated since is left out."""

import pytest

from accounts.models import Skill, User
from core import prepared
from marketplace import selectors

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _forget() -> None:
    prepared.forget()


def test_rows_and_skills_match_the_queryset_for_every_page(api_client, make_user):
    people = [make_user("freelancer", first_name=f"Person{n}") for n in range(6)]
    zig, ada, mid = (Skill.objects.create(name=name, slug=name.lower()) for name in ("Zig", "Ada", "Mid"))
    people[2].skills.add(zig, ada, mid)
    people[4].skills.add(mid)
    ids = [person.pk for person in reversed(people)]
    fields = (*selectors.FREELANCER_LIST_FIELDS, "review_count", "completed_contracts")
    for length in (1, 2, 3, 5, 6):
        chosen = ids[:length]
        expected = {row["id"]: row for row in selectors.with_profile_figures(
            User.objects.filter(pk__in=chosen)).values(*fields)}
        assert selectors.freelancer_rows_by_ids(chosen) == [expected[pk] for pk in chosen]
    skills = selectors.skill_names_of(ids)
    assert skills[people[2].pk] == ["Ada", "Mid", "Zig"] and skills[people[4].pk] == ["Mid"]
    assert skills[people[0].pk] == [] and selectors.skill_names_of([people[4].pk]) == {people[4].pk: ["Mid"]}
    User.objects.filter(pk=ids[0]).update(is_active=False)
    assert [row["id"] for row in selectors.freelancer_rows_by_ids(ids[:3])] == ids[1:3]
    assert selectors.freelancer_rows_by_ids([]) == []
    body = api_client.get("/api/freelancers?page_size=2&ordering=newest").json()
    assert [row["id"] for row in body["results"]] == ids[1:3] and body["count"] == 5
