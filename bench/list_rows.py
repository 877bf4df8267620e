"""A page of 100 list rows written by DRF serializers over model instances, against the same rows written from
`values()` dictionaries (what the list views now do), in process on the `make bench` database.

    source .var/services/env && .venv/bin/python bench/list_rows.py

Each figure is the p50 of 30 rounds of fetching and writing one page (the page's ids are fixed), so the
difference is the cost of model instances and serializer fields per row.
"""

import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def p50(work: Callable[[], object], rounds: int = 30) -> float:
    timings = []
    for _ in range(rounds):
        started = time.perf_counter()
        work()
        timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings)


def main() -> None:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        sys.exit("Set DATABASE_URL (source .var/services/env); `make bench` loads the data first.")
    os.environ["DATABASE_URL"] = url.rsplit("/", 1)[0] + "/megilance_bench"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "megilance.settings.test")
    import django

    django.setup()
    from django.test import RequestFactory
    from rest_framework.request import Request

    from marketplace import selectors as marketplace_selectors
    from marketplace.api.serializers import FreelancerSerializer, ProjectSerializer, freelancer_rows, project_rows
    from marketplace.models import Project
    from messaging import selectors as messaging_selectors
    from messaging.api.serializers import MessageSerializer, NotificationSerializer, message_rows, notification_rows
    from messaging.models import Chat, Message, Notification

    request = Request(RequestFactory().get("/api/projects"))
    ids = list(Project.objects.filter(visibility="public").exclude(status="draft")
               .order_by("-published_at", "-id").values_list("id", flat=True)[:100])
    chat = Chat.objects.filter(client__email__startswith="bench-user-").order_by("id").first()
    user_id = chat.client_id
    message_ids = list(Message.objects.filter(chat=chat).order_by("-id").values_list("id", flat=True)[:100])

    def projects_serializer() -> object:
        rows = marketplace_selectors.with_list_data(Project.objects.filter(pk__in=ids)).only(
            *marketplace_selectors.PROJECT_LIST_FIELDS)
        return ProjectSerializer(list(rows), many=True, context={"request": request}).data

    def projects_rows() -> object:
        return project_rows(marketplace_selectors.project_rows_by_ids(ids), request)

    def messages_serializer() -> object:
        rows = Message.objects.filter(pk__in=message_ids).only(*messaging_selectors.MESSAGE_FIELDS)
        return MessageSerializer(list(rows), many=True).data

    def messages_rows() -> object:
        return message_rows(list(Message.objects.filter(pk__in=message_ids)
                                 .values(*messaging_selectors.MESSAGE_FIELDS)))

    freelancer_ids = list(marketplace_selectors.freelancer_search({}).order_by("id").values_list("id", flat=True)[:100])

    def freelancers_serializer() -> object:
        users = marketplace_selectors.freelancer_search({}).filter(pk__in=freelancer_ids).order_by("id").only(
            *marketplace_selectors.FREELANCER_LIST_FIELDS)
        return FreelancerSerializer(list(users), many=True, context={"request": request}).data

    def freelancers_rows() -> object:
        rows = list(marketplace_selectors.freelancer_search({}).filter(pk__in=freelancer_ids).order_by("id")
                    .prefetch_related(None).values(*marketplace_selectors.FREELANCER_LIST_FIELDS, "rating_avg",
                                                   "review_count", "completed_contracts"))
        return freelancer_rows(rows, marketplace_selectors.skill_names_of(freelancer_ids), request)

    notifications = Notification.objects.filter(user_id=user_id).order_by("-created_at", "-id")

    def notifications_serializer() -> object:
        return NotificationSerializer(list(notifications.only(*messaging_selectors.NOTIFICATION_FIELDS)[:100]),
                                      many=True).data

    def notifications_rows() -> object:
        return notification_rows(list(notifications.values(*messaging_selectors.NOTIFICATION_FIELDS)[:100]))

    print("| page of 100 | serializers over instances, p50 ms | from `values()`, p50 ms |")
    print("| --- | ---: | ---: |")
    for name, old, new in (("projects", projects_serializer, projects_rows),
                           ("freelancers", freelancers_serializer, freelancers_rows),
                           ("chat messages", messages_serializer, messages_rows),
                           ("notifications", notifications_serializer, notifications_rows)):
        old(), new()  # warm
        print(f"| {name} | {p50(old):.1f} | {p50(new):.1f} |")


if __name__ == "__main__":
    main()
