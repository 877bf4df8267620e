"""Reading chats and notifications at scale: membership by primary key, message pages by keyset, and
counts that do not count a long chat's every message on every page."""

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from django.core.cache import cache
from django.db.models import Count, Max, Q, QuerySet

from accounts.models import User
from core.prepared import prepared_rows

from . import presence
from .models import Chat, Message, Notification

# A count is kept this long, then counted again in full (so rows removed by a cascade are forgotten).
COUNT_SECONDS = 600
MESSAGE_FIELDS = ("id", "chat_id", "sender_id", "content", "created_at", "client_id", "is_flagged", "attachment",
                  "attachment_name", "attachment_type", "attachment_size")
NOTIFICATION_FIELDS = ("id", "kind", "title", "message", "data", "created_at", "read_at")


def chat_of_member(*, user: User, chat_id: int) -> Chat | None:
    """The chat if `user` is one of its two people: one lookup by primary key, nothing counted."""
    if not user.is_authenticated:
        return None
    found = prepared_rows("messaging:chat-of-member", _chat_of_member_query, user_id=user.pk, chat_id=int(chat_id))
    return found[0] if found else None


def _chat_of_member_query(user_id: int, chat_id: int) -> QuerySet[Chat]:
    return Chat.objects.filter(Q(client_id=user_id) | Q(freelancer_id=user_id), pk=chat_id).order_by("pk")[:1]


def messages_newest(*, chat: Chat, before: int | None = None, offset: int = 0,
                    limit: int = 20) -> tuple[list[dict[str, Any]], bool]:
    """The `limit` messages just before `before` (or the newest, `offset` messages back), newest last, as
    `values(*MESSAGE_FIELDS)` rows, and whether older ones exist: a backward scan of the (chat, id) index that
    stops after one page."""
    if offset == 0:  # the newest page and paging back: compiled once per page size (core.prepared)
        if before is None:
            rows = prepared_rows(f"messaging:newest:{limit}", _newest_query(limit), chat_id=chat.pk)
        else:
            rows = prepared_rows(f"messaging:before:{limit}", _before_query(limit), chat_id=chat.pk, before=before)
    else:
        messages = Message.objects.filter(chat=chat)
        if before is not None:
            messages = messages.filter(id__lt=before)
        rows = list(messages.order_by("-id").values(*MESSAGE_FIELDS)[offset:offset + limit + 1])
    return rows[:limit][::-1], len(rows) > limit


def _newest_query(limit: int) -> Callable[..., QuerySet]:
    def build(chat_id: int) -> QuerySet:
        return Message.objects.filter(chat_id=chat_id).order_by("-id").values(*MESSAGE_FIELDS)[:limit + 1]
    return build


def _before_query(limit: int) -> Callable[..., QuerySet]:
    def build(chat_id: int, before: int) -> QuerySet:
        return (Message.objects.filter(chat_id=chat_id, id__lt=before).order_by("-id")
                .values(*MESSAGE_FIELDS)[:limit + 1])
    return build


def messages_newer_exist(*, chat: Chat, than: int) -> bool:
    """Whether the chat has messages after `than`: the first entry of `message_chat_idx` after `(chat, than)`
    belongs to the chat. Asked as a row comparison, only that index can answer it, from exactly that point.
    An unordered `EXISTS` (chat and `id >`) let the planner scan the table up to the first match (6 ms in the
    middle of a 100,000-message chat), and with `chat_id =` and an order by id it may walk the primary key
    through every chat's newer messages, all of them when this chat has none."""
    found = prepared_rows("messaging:newer-exist", _newer_query, chat_id=chat.pk, than=than)
    return bool(found) and found[0] == chat.pk


def _newer_query(chat_id: int, than: int) -> QuerySet:
    after = '("messaging_message"."chat_id", "messaging_message"."id") > (%s, %s)'
    return (Message.objects.extra(where=[after], params=[chat_id, than])  # noqa: S610 - values are parameters
            .order_by("chat_id", "id").values_list("chat_id", flat=True)[:1])


def _counted(key: str, name: str, build: Callable[..., QuerySet], owner_id: int) -> int:
    """The number of rows `build(owner_id, after)` selects after id 0 (rows whose ids only grow): the last full
    count plus the rows added since, so each page counts only what arrived after the previous one (a short
    range of an index). `build` gives `(count, highest id)` grouped by the owner, compiled once (`name`)."""
    known = cache.get(key)
    last_id, count = known if known is not None else (0, 0)
    newer = prepared_rows(name, build, owner_id=owner_id, after=last_id)
    if not newer:
        if known is None:
            cache.set(key, (last_id, count), COUNT_SECONDS)
        return count
    added, top = newer[0]
    cache.set(key, (top, count + added), COUNT_SECONDS)
    return count + added


def _message_count_query(owner_id: int, after: int) -> QuerySet:
    return (Message.objects.filter(chat_id=owner_id, id__gt=after).values("chat_id")
            .annotate(n=Count("id"), top=Max("id")).values_list("n", "top").order_by())


def _notification_count_query(owner_id: int, after: int) -> QuerySet:
    return (Notification.objects.filter(user_id=owner_id, id__gt=after).values("user_id")
            .annotate(n=Count("id"), top=Max("id")).values_list("n", "top").order_by())


def message_count(chat: Chat) -> int:
    """The number of messages in a chat, exact, without counting them all on every page."""
    return _counted(f"messaging:message-count:{chat.pk}", "messaging:message-count", _message_count_query, chat.pk)


def notification_count(user: User, *, unread_only: bool = False) -> Callable[[QuerySet], int]:
    """The `count` of a user's notifications: unread ones are counted (a small partial index), all of them
    are counted once and then only those added since."""
    def count(rows: QuerySet) -> int:
        if unread_only:
            return rows.order_by().count()
        return _counted(f"messaging:notification-count:{user.pk}", "messaging:notification-count",
                        _notification_count_query, user.pk)
    return count


# --- presence (staff and members read it; the sockets write it, see presence.py) -----------------------


class PresenceUnknown(Exception):
    """Redis cannot be reached, so who is online cannot be known."""


def presence_status() -> dict:
    """`{connections, users_online, processes: [{id, connections}]}` over the live server processes."""
    live = presence.processes()
    online = presence.online_user_ids()
    if live is None or online is None:
        raise PresenceUnknown
    return {
        "connections": sum(len(sockets) for sockets in live.values()),
        "users_online": len(online),
        "processes": [{"id": process, "connections": len(sockets)} for process, sockets in sorted(live.items())],
    }


def online_users() -> QuerySet[User]:
    """The accounts with a live socket, by name (paginated by the caller)."""
    online = presence.online_user_ids()
    if online is None:
        raise PresenceUnknown
    return User.objects.filter(pk__in=sorted(online), is_active=True).order_by("first_name", "last_name", "id")


def user_presence(*, user_id: int) -> dict | None:
    """`{user_id, online, last_seen}` of an active account (last_seen: when its last socket closed, or now while
    it is online); None when there is no such account."""
    if not User.objects.filter(pk=user_id, is_active=True).exists():
        return None
    online = presence.is_online(user_id)
    if online is None:
        raise PresenceUnknown
    if online:
        seen: datetime | None = datetime.now(tz=UTC)
    else:
        moment = presence.last_seen(user_id)
        seen = datetime.fromtimestamp(moment, tz=UTC) if moment is not None else None
    return {"user_id": user_id, "online": online, "last_seen": seen}
