"""Chats and messages. REST views, pages and socket consumers all send through `message_send`.

A message is stored before it is broadcast, and the broadcast happens only after commit.
"""

import logging
import random
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol, TypedDict, cast

from django.conf import settings
from django.core.cache import cache
from django.core.cache.backends.redis import RedisCache
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, connection, transaction
from django.db.models import (
    Count,
    Exists,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from redis.exceptions import RedisError

from accounts.models import User, UserType
from core.exceptions import ApplicationError
from core.images import image_clean
from core.uploads import file_check

from . import presence, subjects
from .content_filter import mask_contact_details
from .models import Block, Chat, ChatMember, Message, NotificationKind, Violation
from .notifications import notify
from .realtime import broadcast_on_commit, chat_group
from .signals import violation_recorded

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations

SEND_LIMIT_PER_MINUTE = 30
logger = logging.getLogger(__name__)
EMAIL_BATCH_WINDOW = timedelta(minutes=15)


def _invalid(field: str, message: str) -> ApplicationError:
    return ApplicationError(gettext("Invalid input: %(message)s") % {"message": message}, code="validation_error",
                            errors={field: [message]})


def _not_found() -> ApplicationError:
    return ApplicationError(gettext("Not found."), code="not_found", status_code=404)


class SignedLinkStorage(Protocol):
    """S3's storage (django-storages, which ships no types): the storage of attachments when it has a
    `bucket_name`. Its `url` signs a link that expires, with the headers the download is to answer with."""

    bucket_name: str

    def url(self, name: str | None, parameters: dict[str, str] | None = None, expire: int | None = None,
            http_method: str | None = None) -> str: ...


def message_payload(message: Message) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "id": message.pk,
        "chat_id": message.chat_id,
        "sender_id": message.sender_id,
        "content": message.content,
        "created_at": message.created_at.isoformat(),
        "client_id": message.client_id or None,
    }
    if message.attachment:
        payload["attachment"] = {"url": f"/api/chats/{message.chat_id}/messages/{message.pk}/attachment",
                                 "name": message.attachment_name, "content_type": message.attachment_type,
                                 "size": message.attachment_size}
    return payload


# --- chats --------------------------------------------------------------------------------------


def is_blocked(a_id: int, b_id: int) -> bool:
    return Block.objects.filter(Q(blocker_id=a_id, blocked_id=b_id) | Q(blocker_id=b_id, blocked_id=a_id)).exists()


def chat_open(*, user: User, participant: User, project_id: int | None = None) -> tuple[Chat, bool]:
    """The chat between a client and a freelancer (about a project if given), created on first use.

    Returns (chat, created).
    """
    if participant.pk == user.pk or not participant.is_active:
        raise _invalid("participant_id", "Choose someone else to talk to.")
    roles = {user.user_type, participant.user_type}
    if roles != {UserType.CLIENT, UserType.FREELANCER}:
        raise _invalid("participant_id", "A chat is between a client and a freelancer.")
    client, freelancer = (user, participant) if user.user_type == UserType.CLIENT else (participant, user)
    if is_blocked(user.pk, participant.pk):
        raise ApplicationError(gettext("You cannot message this person."), code="blocked", status_code=403)
    subject_type, subject_id = "", 0
    if project_id:
        if not subjects.subject_belongs_to(subjects.PROJECT, project_id, client.pk):
            raise _invalid("project_id", "There is no such project of this client.")
        subject_type, subject_id = subjects.PROJECT, project_id
    with transaction.atomic():
        try:
            with transaction.atomic():
                chat, created = Chat.objects.get_or_create(client=client, freelancer=freelancer,
                                                           subject_type=subject_type, subject_id=subject_id)
        except IntegrityError:  # opened by the other side at the same moment
            chat, created = Chat.objects.get(client=client, freelancer=freelancer, subject_type=subject_type,
                                             subject_id=subject_id), False
        if created:
            ChatMember.objects.bulk_create([ChatMember(chat=chat, user_id=client.pk),
                                            ChatMember(chat=chat, user_id=freelancer.pk)])
    return chat, created


class ChatFigures(TypedDict):
    """What `chats_for` adds to each chat: the reader's and the other person's marks, and the last message."""

    my_last_read: int | None
    my_archived_at: datetime | None
    other_last_read: int | None
    other_last_delivered: int | None
    unread_count: int
    last_message_id: int | None
    last_message_content: str | None
    last_message_sender_id: int | None


if TYPE_CHECKING:
    ListedChat = WithAnnotations[Chat, ChatFigures]


def chats_for(user: User, *, archived: bool | None = False) -> "QuerySet[ListedChat]":
    """The user's chats with their unread counts, newest activity first; one query."""
    member = ChatMember.objects.filter(chat=OuterRef("pk"), user=user)
    other = ChatMember.objects.filter(chat=OuterRef("pk")).exclude(user=user)
    unread = (
        Message.objects.filter(chat=OuterRef("pk"), id__gt=OuterRef("my_last_read")).exclude(sender=user)
        .order_by().values("chat").annotate(n=Count("pk")).values("n")
    )
    last_message = Message.objects.filter(chat=OuterRef("pk")).order_by("-id")
    chats = (
        Chat.objects.filter(Q(client=user) | Q(freelancer=user))
        .select_related("client", "freelancer")
        .annotate(
            my_last_read=Subquery(member.values("last_read_message_id")[:1]),
            my_archived_at=Subquery(member.values("archived_at")[:1]),
            other_last_read=Subquery(other.values("last_read_message_id")[:1]),
            other_last_delivered=Subquery(other.values("last_delivered_message_id")[:1]),
        )
        .annotate(
            unread_count=Coalesce(Subquery(unread, output_field=IntegerField()), Value(0)),
            last_message_id=Subquery(last_message.values("id")[:1]),
            last_message_content=Subquery(last_message.values("content")[:1]),
            last_message_sender_id=Subquery(last_message.values("sender_id")[:1]),
        )
    )
    if archived is True:
        chats = chats.filter(my_archived_at__isnull=False)
    elif archived is False:
        chats = chats.filter(my_archived_at__isnull=True)
    return chats.order_by("-last_message_at", "-id")


def chat_get(*, user: User, chat_id: int) -> "ListedChat | None":
    return chats_for(user, archived=None).filter(pk=chat_id).first()


def chat_set_archived(*, user: User, chat: Chat, archived: bool) -> None:
    """Per user: the other participant's view does not change, and nothing is deleted."""
    with transaction.atomic():
        ChatMember.objects.filter(chat=chat, user=user).update(archived_at=timezone.now() if archived else None)
        pair_changed(chat.client_id, chat.freelancer_id)


# --- what an open socket keeps ------------------------------------------------------------------

PAIR_STATE_SECONDS = 24 * 3600
# A socket's state is loaded again after this long even if no change was announced (one missed while the cache
# was unreachable): each state after between one and two times this, drawn when it is loaded, so sockets that
# connected together (a crowd arriving, every client reconnecting after a deploy) do not all reload at once.
SOCKET_STATE_SECONDS = 60.0


def _pair_key(a_id: int, b_id: int) -> str:
    low, high = sorted((a_id, b_id))
    return f"messaging:pair-state:{low}:{high}"


def pair_changed(a_id: int, b_id: int) -> None:
    """Something the open sockets of the two people's chats keep changed (a block, an archive, a contract).

    After commit the pair gets a new state token in the cache, shared by every process; a socket compares it
    with the one it loaded before each message and loads its state again when they differ."""
    key = _pair_key(a_id, b_id)

    def renew() -> None:
        try:
            cache.set(key, uuid.uuid4().hex, PAIR_STATE_SECONDS)
        except (RedisError, OSError) as exc:  # sockets reload while the cache is away, and every minute anyway
            logger.warning("Pair state not renewed: cache unreachable (%s)", type(exc).__name__)

    transaction.on_commit(renew)


def _pair_token(a_id: int, b_id: int) -> str | None:
    """The pair's state token; "" when the cache cannot be reached (never equal to a token, so state reloads)."""
    try:
        return cache.get(_pair_key(a_id, b_id))
    except (RedisError, OSError):
        return ""


@dataclass
class ChatSocketState:
    """What a chat socket knows about its chat and its user, loaded once on connect and again only when the
    pair's state token changes (`pair_changed`), or after `SOCKET_STATE_SECONDS`: the chat, the user's
    membership, block and contract."""

    chat: Chat
    user_id: int
    other_id: int
    blocked: bool
    has_contract: bool
    archived: bool
    last_delivered: int
    token: str | None
    stale_at: float = field(default_factory=lambda: time.monotonic() + SOCKET_STATE_SECONDS * random.uniform(1, 2))

    def is_stale(self) -> bool:
        """Past the time by which it is loaded again whatever the token says."""
        return time.monotonic() >= self.stale_at

    def is_current(self) -> bool:
        if self.is_stale():
            return False
        token = _pair_token(self.user_id, self.other_id)
        return token != "" and token == self.token


def chat_socket_state(*, user: User, chat_id: int, other_id: int | None = None) -> ChatSocketState | None:
    """The state of `user`'s socket on chat `chat_id`; None if they are not one of its two people.

    `other_id`: the other person of the chat when it is known (a socket loading its state again; a chat's two
    people never change). The pair's token is read first, so a change committed after the rows is seen next
    time; then the membership, the chat and the block are one query, and the contract is asked of the apps
    that hold contracts."""
    if other_id is None:
        pair = Chat.objects.filter(pk=chat_id).values_list("client_id", "freelancer_id").first()
        if pair is None or user.pk not in pair:
            return None
        other_id = pair[1] if pair[0] == user.pk else pair[0]
    token = _pair_token(user.pk, other_id)
    member = (ChatMember.objects.select_related("chat").filter(chat_id=chat_id, user_id=user.pk)
              .only("archived_at", "last_delivered_message_id", "chat")
              .annotate(blocked=Exists(Block.objects.filter(
                  Q(blocker_id=user.pk, blocked_id=other_id) | Q(blocker_id=other_id, blocked_id=user.pk))))
              .first())
    if member is None or not member.chat.has_participant(user) or member.chat.other_id(user.pk) != other_id:
        return None
    chat = member.chat
    return ChatSocketState(chat=chat, user_id=user.pk, other_id=other_id, blocked=member.blocked,
                           has_contract=subjects.pair_has_contract(chat.client_id, chat.freelancer_id),
                           archived=member.archived_at is not None, last_delivered=member.last_delivered_message_id,
                           token=token)


def chat_socket_state_current(state: ChatSocketState, user: User) -> ChatSocketState | None:
    """`state` if nothing it holds has changed since it was loaded, else a new one (None: no longer a party)."""
    if state.is_current():
        return state
    return chat_socket_state(user=user, chat_id=state.chat.pk, other_id=state.other_id)


def chat_socket_state_for_send(state: ChatSocketState, user: User) -> tuple[ChatSocketState | None, bool | None]:
    """What a message from a socket needs to know before it is stored: the socket's state made current (as
    `chat_socket_state_current`) and whether the other party is online now (as `presence.is_online`).

    The pair's state token and the other party's presence are read in one Redis round trip."""
    if state.is_stale():
        return (chat_socket_state(user=user, chat_id=state.chat.pk, other_id=state.other_id),
                presence.is_online(state.other_id))
    token, online = _pair_token_and_online(state.user_id, state.other_id)
    if token != "" and token == state.token:
        return state, online
    return chat_socket_state(user=user, chat_id=state.chat.pk, other_id=state.other_id), online


def _pair_token_and_online(user_id: int, other_id: int) -> tuple[str | None, bool | None]:
    """`_pair_token(user_id, other_id)` and `presence.is_online(other_id)`, in one round trip when the cache is
    Redis (the presence entries live in the cache's Redis)."""
    client = presence.redis_client()
    if client is None:
        return _pair_token(user_id, other_id), presence.is_online(other_id)
    try:
        pipe = client.pipeline(transaction=False)
        pipe.get(cache.make_and_validate_key(_pair_key(user_id, other_id)))
        presence.queue_is_online(pipe, other_id)
        raw, count = pipe.execute()
    except (RedisError, OSError) as exc:  # as each alone: the state reloads, presence is unknown
        logger.warning("Pair state and presence unknown: Redis unreachable (%s)", type(exc).__name__)
        return "", None
    # With a Redis client the cache is Django's RedisCache; the stubs leave out its client's serializer.
    serializer = cast(RedisCache, cache)._cache._serializer  # type: ignore[attr-defined]
    return (serializer.loads(raw) if raw is not None else None), count > 0


def chat_stats(user: User) -> dict[str, int]:
    memberships = ChatMember.objects.filter(user=user)
    chats = chats_for(user, archived=None)
    return {
        "total_chats": memberships.count(),
        "active_chats": memberships.filter(archived_at__isnull=True).count(),
        "archived_chats": memberships.filter(archived_at__isnull=False).count(),
        "unread_messages": sum(chat.unread_count for chat in chats),
        "chats_with_unread": sum(1 for chat in chats if chat.unread_count),
        "messages_sent": Message.objects.filter(sender=user).count(),
        "messages_received": Message.objects.filter(
            Q(chat__client=user) | Q(chat__freelancer=user)).exclude(sender=user).count(),
    }


def block_set(*, user: User, other: User, blocked: bool) -> None:
    if other.pk == user.pk:
        raise _invalid("user_id", "You cannot block yourself.")
    with transaction.atomic():
        if blocked:
            Block.objects.get_or_create(blocker=user, blocked=other)
        else:
            Block.objects.filter(blocker=user, blocked=other).delete()
        pair_changed(user.pk, other.pk)


# --- messages -----------------------------------------------------------------------------------


def _check_rate(user: User) -> None:
    if not settings.THROTTLE_ENABLED:
        return
    key = f"chat-send:{user.pk}:{int(timezone.now().timestamp() // 60)}"
    try:
        cache.add(key, 0, timeout=120)
        try:
            count = cache.incr(key)
        except ValueError:
            count = 1
    except (RedisError, OSError) as exc:  # the counter is out of reach: the message still goes out
        logger.warning("Send limit not checked: cache unreachable (%s)", type(exc).__name__)
        return
    if count > SEND_LIMIT_PER_MINUTE:
        raise ApplicationError(gettext("You are sending messages too fast. Wait a moment."), code="throttled",
                               status_code=429)


def message_send(*, chat: Chat, sender: User, content: str, client_id: str | None = None,
                 attachment: UploadedFile | None = None,
                 checked: ChatSocketState | None = None,
                 recipient_online: bool | None = None) -> tuple[Message, bool]:
    """Stores a message, then (after commit) broadcasts it to every connected party on any process.

    Sending again with the same `client_id` returns the stored message instead of a second one.
    `checked`: the sender's socket state, current (`chat_socket_state_current`): its block and contract
    answers are used instead of asking the database again. `recipient_online`: whether the other party was
    online just now (`chat_socket_state_for_send`); None: asked here.
    Returns (message, created).

    The common message (text only, nothing masked, to someone online) is one statement on PostgreSQL: the
    insert, the chat's `last_message_at` and the sender's read mark (`_insert_sent`). Anything else (an
    attachment, a violation to record, a notification for an offline recipient) is written in a transaction.
    """
    if not chat.has_participant(sender):
        raise _not_found()
    if "\x00" in (content or "") or "\x00" in (client_id or ""):
        raise _invalid("content", "A message cannot contain the NUL character.")
    client_id = (client_id or "").strip()[:64]

    def stored() -> Message | None:
        """This very message, stored by an earlier send with the same `client_id`."""
        return Message.objects.filter(chat=chat, sender=sender, client_id=client_id).first() if client_id else None

    recipient_id = chat.other_id(sender.pk)
    try:
        content = (content or "").strip()
        if not content and attachment is None:
            raise _invalid("content", "Write a message or attach a file.")
        if len(content) > 5000:
            raise _invalid("content", "A message has at most 5,000 characters.")
        if checked.blocked if checked is not None else is_blocked(sender.pk, recipient_id):
            raise ApplicationError(gettext("You cannot message this person."), code="blocked", status_code=403)
        _check_rate(sender)
    except ApplicationError:
        if (existing := stored()) is not None:  # sent again: the stored one is the answer
            return existing, False
        raise

    kinds: list[str] = []
    shown = content
    has_contract = checked.has_contract if checked is not None else None
    if content and not (has_contract if has_contract is not None
                        else subjects.pair_has_contract(chat.client_id, chat.freelancer_id)):
        shown, kinds = mask_contact_details(content)
    online = presence.is_online(recipient_id) if recipient_online is None else recipient_online
    if attachment is None and not kinds and online and connection.vendor == "postgresql":
        message = _insert_sent(chat=chat, sender=sender, content=shown, client_id=client_id)
        if message is None:  # the same client_id sent before (or twice at once): nothing was written
            if (existing := stored()) is None:
                raise IntegrityError("A message with this client_id was sent and is gone.")
            return existing, False
        broadcast_on_commit(chat_group(chat.pk), {"type": "message.new", "payload": message_payload(message)})
        return message, True
    try:
        # The insert comes first, so a `client_id` sent before fails it before anything else is written.
        with transaction.atomic():
            message = Message(chat=chat, sender=sender, content=shown, client_id=client_id, is_flagged=bool(kinds))
            if attachment is not None:
                kind = file_check(attachment, field="file")
                upload: Any = attachment
                extension = kind.extension
                if kind.is_image:
                    upload = image_clean(attachment, field="file", max_bytes=10 * 1024 * 1024, max_side=2400)
                    extension = upload.name.rsplit(".", 1)[-1]
                message.attachment.save(f"{uuid.uuid4().hex}.{extension}", upload, save=False)
                message.attachment_name = (attachment.name or "file")[:255]
                message.attachment_type = kind.content_type if not kind.is_image else f"image/{extension}".replace(
                    "jpg", "jpeg")
                message.attachment_size = message.attachment.size
            message.save()
            _mark_sent(chat=chat, sender=sender, message=message)
            if kinds:
                violation = Violation.objects.create(message=message, user=sender, kinds=kinds,
                                                     original_content=content)
                violation_recorded.send(sender=Violation, violation=violation)
            broadcast_on_commit(chat_group(chat.pk), {"type": "message.new", "payload": message_payload(message)})
            if not online:
                _tell_offline_recipient(chat, message, recipient_id)
    except IntegrityError:  # the same client_id sent before (or twice at once)
        if (existing := stored()) is None:
            raise
        return existing, False
    return message, True


def _insert_sent(*, chat: Chat, sender: User, content: str, client_id: str) -> Message | None:
    """Stores a text message, sets the chat's `last_message_at` and marks it read by its sender, in one
    statement (PostgreSQL; atomic by itself, and inside a caller's transaction part of it). None when `client_id`
    was stored before: then nothing is written, and no error spoils a caller's transaction."""
    message = Message(chat=chat, sender=sender, content=content, client_id=client_id, is_flagged=False)
    fields = [f for f in Message._meta.concrete_fields if not f.primary_key]
    values = [f.get_db_prep_save(f.pre_save(message, True), connection) for f in fields]  # as Model.save would
    quote = connection.ops.quote_name
    # A concrete field always has a column (that is what `concrete` means), so every field is named here.
    column = {f.name: quote(f.column) for f in fields if f.column is not None}
    sql = (
        f"WITH new AS (INSERT INTO {quote(Message._meta.db_table)} ({', '.join(column.values())}) "  # noqa: S608 - our own names
        f"VALUES ({', '.join(['%s'] * len(fields))}) "
        f"ON CONFLICT ({column['chat']}, {column['sender']}, {column['client_id']}) "
        f"WHERE NOT ({column['client_id']} = '') DO NOTHING RETURNING id), "
        f"chat AS (UPDATE {quote(Chat._meta.db_table)} SET last_message_at = %s "
        "WHERE id = %s AND EXISTS (SELECT 1 FROM new)), "
        f"reader AS (UPDATE {quote(ChatMember._meta.db_table)} AS m SET last_read_message_id = new.id FROM new "
        "WHERE m.chat_id = %s AND m.user_id = %s) "
        "SELECT id FROM new"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*values, message.created_at, chat.pk, chat.pk, sender.pk])
        row = cursor.fetchone()
    if row is None:
        return None
    message.pk = row[0]
    message._state.adding = False
    message._state.db = connection.alias
    return message


def _mark_sent(*, chat: Chat, sender: User, message: Message) -> None:
    """The chat's `last_message_at` and the sender's read mark for a message just stored: one statement on
    PostgreSQL."""
    if connection.vendor != "postgresql":
        Chat.objects.filter(pk=chat.pk).update(last_message_at=message.created_at)
        ChatMember.objects.filter(chat=chat, user=sender).update(last_read_message_id=message.pk)
        return
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH chat AS (UPDATE {quote(Chat._meta.db_table)} SET last_message_at = %s WHERE id = %s) "  # noqa: S608
            f"UPDATE {quote(ChatMember._meta.db_table)} SET last_read_message_id = %s "
            "WHERE chat_id = %s AND user_id = %s",
            [message.created_at, chat.pk, message.pk, chat.pk, sender.pk])


def _tell_offline_recipient(chat: Chat, message: Message, recipient_id: int) -> None:
    """A message to someone offline: one notification, and at most one e-mail per chat every 15 minutes."""
    member = ChatMember.objects.select_for_update().select_related("user").get(chat=chat, user_id=recipient_id)
    now = timezone.now()
    send_email = member.last_emailed_at is None or now - member.last_emailed_at >= EMAIL_BATCH_WINDOW
    sender_name = message.sender.get_full_name() or _("Someone")
    notify(
        user=member.user,
        kind=NotificationKind.MESSAGE_RECEIVED,
        title=format_lazy(_("New message from {name}"), name=sender_name),
        message=message.content[:200],
        data={"chat_id": chat.pk, "message_id": message.pk},
        email_template="message_received" if send_email else None,
        email_context={"sender_name": sender_name, "preview": message.content[:300],
                       "chat_url": f"{settings.FRONTEND_URL}/messages/{chat.pk}/"},
    )
    if send_email:
        member.last_emailed_at = now
        member.save(update_fields=["last_emailed_at"])


def messages_for(*, chat: Chat, after: int | None = None, before: int | None = None,
                 search: str | None = None) -> QuerySet[Message]:
    messages = Message.objects.filter(chat=chat)
    if after is not None:
        messages = messages.filter(id__gt=after)
    if before is not None:
        messages = messages.filter(id__lt=before)
    if search:
        messages = messages.filter(content__icontains=search[:200])
    return messages.order_by("id")


def messages_mark_read(*, chat: Chat, user: User, message_id: int) -> int:
    """Marks the chat read up to a message; returns the message id now read up to."""
    if not chat.has_participant(user):
        raise _not_found()
    if not Message.objects.filter(chat=chat, pk=message_id).exists():
        raise _invalid("message_id", "There is no such message in this chat.")
    with transaction.atomic():
        member = ChatMember.objects.select_for_update().get(chat=chat, user=user)
        if message_id > member.last_read_message_id:
            member.last_read_message_id = message_id
            member.last_delivered_message_id = max(member.last_delivered_message_id, message_id)
            member.save(update_fields=["last_read_message_id", "last_delivered_message_id"])
            broadcast_on_commit(chat_group(chat.pk), {
                "type": "message.read", "payload": {"user_id": user.pk, "message_id": message_id}})
        return member.last_read_message_id


def messages_mark_delivered(*, chat_id: int, user_id: int, message_id: int) -> None:
    ChatMember.objects.filter(chat_id=chat_id, user_id=user_id, last_delivered_message_id__lt=message_id).update(
        last_delivered_message_id=message_id)


def messages_mark_delivered_many(marks: dict[tuple[int, int], int]) -> None:
    """`{(chat_id, user_id): message_id}`: each membership delivered up to its message (a mark never goes back),
    in one UPDATE on PostgreSQL."""
    if not marks:
        return
    if connection.vendor != "postgresql":
        for (chat_id, user_id), message_id in marks.items():
            messages_mark_delivered(chat_id=chat_id, user_id=user_id, message_id=message_id)
        return
    table = connection.ops.quote_name(ChatMember._meta.db_table)
    chats, users, messages = zip(*((chat_id, user_id, message_id)
                                   for (chat_id, user_id), message_id in marks.items()), strict=True)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} AS m SET last_delivered_message_id = v.message_id "  # noqa: S608 - our own table name
            "FROM unnest(%s::bigint[], %s::bigint[], %s::bigint[]) AS v(chat_id, user_id, message_id) "
            "WHERE m.chat_id = v.chat_id AND m.user_id = v.user_id AND m.last_delivered_message_id < v.message_id",
            [list(chats), list(users), list(messages)])


def receipts_for(chat: Chat) -> dict[int, dict[str, int]]:
    return {member.user_id: {"read": member.last_read_message_id, "delivered": member.last_delivered_message_id}
            for member in ChatMember.objects.filter(chat=chat)}
