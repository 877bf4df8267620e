"""`core.prepared`: a queryset compiled once gives, for any values, exactly what the queryset itself gives."""

import uuid

import pytest
from django.db.models import Q, QuerySet

from accounts.models import AuthSession, User
from core import prepared
from core.prepared import prepared_rows

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _forget() -> None:
    prepared.forget()


def _people(make_user, n: int) -> list[User]:
    return [make_user("freelancer", first_name=f"Person{i}") for i in range(n)]


def _by_ids(ids: list[int]) -> QuerySet:
    return User.objects.filter(pk__in=ids).order_by("-id").values("id", "first_name", "date_joined")


def test_values_rows_match_the_queryset_for_every_list_length(make_user):
    people = _people(make_user, 6)
    ids = [person.pk for person in people]
    for length in (1, 2, 3, 5, 6):  # padded to 1, 2, 4, 8, 8: repeated ids select nothing more
        chosen = ids[:length]
        assert prepared_rows("test:by-ids", _by_ids, ids=chosen) == list(_by_ids(chosen))
    assert prepared_rows("test:by-ids", _by_ids, ids=[]) == []
    assert prepared_rows("test:by-ids", _by_ids, ids=[10**12]) == []


def test_compiled_once_then_only_the_values_change(make_user):
    people = _people(make_user, 3)
    built = []

    def build(user_id: int) -> QuerySet:
        built.append(user_id)
        return User.objects.filter(pk=user_id).values_list("first_name", flat=True)

    answers = [prepared_rows("test:name", build, user_id=person.pk) for person in people]
    assert answers == [["Person0"], ["Person1"], ["Person2"]]
    assert len(built) == 1 and built[0] < 0  # built once, with a stand-in value that matches no one


def test_model_rows_are_full_instances(make_user, django_assert_num_queries):
    person = make_user("client", first_name="Ana", language="es")
    session = AuthSession.objects.create(user=person)

    def build(user_id: int, sid: uuid.UUID) -> QuerySet:
        return User.objects.filter(pk=user_id, auth_sessions__pk=sid)

    prepared_rows("test:user", build, user_id=person.pk, sid=session.pk)
    with django_assert_num_queries(1):
        [found] = prepared_rows("test:user", build, user_id=person.pk, sid=session.pk)
        assert (found.pk, found.first_name, found.language, found.email) == (person.pk, "Ana", "es", person.email)
        assert found.is_authenticated
    assert prepared_rows("test:user", build, user_id=person.pk, sid=uuid.uuid4()) == []


def test_unions_and_tuples(make_user):
    a, b, c = _people(make_user, 3)

    def build(first: int, second: int) -> QuerySet:
        base = User.objects.order_by()
        return base.filter(pk=first).values_list("pk", "first_name").union(
            base.filter(Q(pk=second) | Q(pk=first)).values_list("pk", "first_name"))

    for first, second in ((a, b), (b, c), (c, c)):
        got = prepared_rows("test:union", build, first=first.pk, second=second.pk)
        assert sorted(got) == sorted(build(first.pk, second.pk))
        assert all(isinstance(row, tuple) for row in got)


def test_a_shape_it_cannot_keep_is_evaluated_each_time(make_user):
    person = make_user("client")
    AuthSession.objects.create(user=person)

    def build(user_id: int) -> QuerySet:
        return AuthSession.objects.select_related("user").filter(user_id=user_id)

    [session] = prepared_rows("test:select-related", build, user_id=person.pk)
    assert session.user == person
    assert ("test:select-related",) in prepared.__dict__["_uncompilable"]
    [session] = prepared_rows("test:select-related", build, user_id=person.pk)
    assert session.user == person


@pytest.mark.django_db(transaction=True, databases=["default", "replica"])
def test_each_call_reads_the_database_the_router_chooses_then(settings, make_user):
    """SQL first compiled inside `analytics_reads()` (the replica) must not send later reads there."""
    from django.db import connections
    from django.test.utils import CaptureQueriesContext

    from core.db_routers import analytics_reads

    settings.ANALYTICS_DATABASE = "replica"
    person = make_user("client", first_name="Ana")

    def build(user_id: int) -> QuerySet:
        return User.objects.filter(pk=user_id).values_list("first_name", flat=True)

    with CaptureQueriesContext(connections["default"]) as primary, \
            CaptureQueriesContext(connections["replica"]) as replica:
        with analytics_reads():
            assert prepared_rows("test:router", build, user_id=person.pk) == ["Ana"]
        assert (len(primary), len(replica)) == (0, 1)
        assert prepared_rows("test:router", build, user_id=person.pk) == ["Ana"]
        assert (len(primary), len(replica)) == (1, 1)
        with analytics_reads():
            prepared_rows("test:router", build, user_id=person.pk)
        assert (len(primary), len(replica)) == (1, 2)
