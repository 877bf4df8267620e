"""Messaging pages: the inbox, a chat, notifications, notification preferences and one-click unsubscribe.

Each view checks the form, calls one service and shows the answer; every page works without JavaScript,
and `static/js/chat.js` / `notifications.js` make them live over the WebSockets when they can.
"""

from typing import TYPE_CHECKING, Any, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBase, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from accounts.forms import form_add_service_error
from accounts.models import User
from accounts.phone import verified_number
from accounts.requests import signed_in_user
from core.exceptions import ApplicationError

from . import notifications, presence, services, subjects
from .forms import MessageForm, PreferencesForm
from .models import Chat, Message, Notification, NotificationKind

if TYPE_CHECKING:
    from django.utils.functional import Promise

    class ShownChat(Chat):
        """A chat as the inbox and the chat page show it (`_decorate`); for the type checker only."""

        other: User
        other_name: str
        other_online: bool
        project_title: str | None

    class ListedNotification(Notification):
        """A notification as its list shows it; for the type checker only."""

        link: str | None
        kind_label: str | Promise

CHATS_PER_PAGE = 20
MESSAGES_PER_PAGE = 50
NOTIFICATIONS_PER_PAGE = 20
KIND_LABELS = dict(NotificationKind.choices)


# --- helpers ------------------------------------------------------------------------------------


def display_name(user: User) -> str:
    return user.get_full_name() or "A MegiLance member"


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


def _safe_next(request: HttpRequest, fallback: str) -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(candidate, allowed_hosts={request.get_host()},
                                                     require_https=request.is_secure()):
        return candidate
    return fallback


def _error_status(exc: ApplicationError) -> int:
    return exc.status_code if 400 <= exc.status_code < 500 else 400


def _chat_or_404(request: HttpRequest, chat_id: int) -> Chat:
    """The chat if the signed-in person is one of its two parties; anyone else gets 404, as if it did not exist."""
    chat = services.chat_get(user=signed_in_user(request), chat_id=chat_id)
    if chat is None:
        raise Http404("No such chat.")
    return chat


def _other(chat: Chat, user: User) -> User:
    return chat.freelancer if chat.client_id == user.pk else chat.client


def _subject_titles(chats: list[Chat]) -> dict[int, str]:
    """Titles of the projects the chats are about, in one query."""
    return subjects.subject_titles(subjects.PROJECT, (chat.subject_id for chat in chats
                                                      if chat.subject_type == subjects.PROJECT))


def _decorate(chats: list[Chat], user: User) -> "list[ShownChat]":
    """Adds what the templates show: the other person, their name and presence, and the project's title.

    Returns the same chats, typed with what was added."""
    titles = _subject_titles(chats)
    online = presence.online_among([chat.other_id(user.pk) for chat in chats]) if chats else set()
    shown = cast("list[ShownChat]", chats)
    for chat in shown:
        chat.other = _other(chat, user)
        chat.other_name = display_name(chat.other)
        chat.other_online = chat.other.pk in online
        chat.project_title = titles.get(chat.subject_id) if chat.subject_type else None
    return shown


def notification_link(data: dict[str, Any]) -> str | None:
    """Where a notification leads on this site, from what its `data` names."""
    url = data.get("url")
    if isinstance(url, str) and url.startswith("/") and not url.startswith("//"):
        return url
    for key, pattern in (("chat_id", "/messages/{}/"), ("contract_id", "/contracts/{}/"),
                         ("project_id", "/projects/{}/")):
        value = data.get(key)
        if isinstance(value, int) or (isinstance(value, str) and value.isdigit()):
            return pattern.format(value)
    return None


# --- inbox and chats ----------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "HEAD"])
def inbox(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    archived = request.GET.get("archived") in ("1", "true")
    page = Paginator(services.chats_for(user, archived=archived), CHATS_PER_PAGE).get_page(request.GET.get("page"))
    chats = _decorate(list(page.object_list), user)
    return render(request, "messaging/inbox.html", {"chats": chats, "page": page, "archived": archived})


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def chat_start(request: HttpRequest) -> HttpResponse:
    """`/messages/new/?to=<user id>&project=<id>`: a button that opens (or finds) the chat with that person."""
    source = request.POST if request.method == "POST" else request.GET
    to_id, project_id = _int(source.get("to")), _int(source.get("project"))
    if to_id is None:
        raise Http404("Whom to write to?")
    participant = get_object_or_404(User, pk=to_id, is_active=True)
    error, status = "", 200
    if request.method == "POST":
        try:
            chat, _ = services.chat_open(user=signed_in_user(request), participant=participant, project_id=project_id)
        except ApplicationError as exc:
            reasons = [str(reason) for field_reasons in (exc.errors or {}).values() for reason in field_reasons]
            error, status = " ".join(reasons) or str(exc.detail), _error_status(exc)
        else:
            return redirect("messaging:chat", chat_id=chat.pk)
    return render(request, "messaging/chat_start.html", {
        "participant": participant, "participant_name": display_name(participant), "project_id": project_id,
        "error": error,
    }, status=status)


def _chat_page(request: HttpRequest, chat: Chat, form: MessageForm, status: int = 200) -> HttpResponse:
    before = _int(request.GET.get("before"))
    newest_first = services.messages_for(chat=chat, before=before).order_by("-id")[:MESSAGES_PER_PAGE + 1]
    shown = list(newest_first)
    has_earlier = len(shown) > MESSAGES_PER_PAGE
    shown = list(reversed(shown[:MESSAGES_PER_PAGE]))
    user = signed_in_user(request)
    other = _other(chat, user)
    latest = before is None
    if latest and shown:
        services.messages_mark_read(chat=chat, user=user, message_id=shown[-1].pk)
    other_read = services.receipts_for(chat).get(other.pk, {}).get("read", 0)
    [shown_chat] = _decorate([chat], user)
    return render(request, "messaging/chat.html", {
        "chat": shown_chat,
        "other": other,
        "other_name": shown_chat.other_name,
        "other_online": shown_chat.other_online,
        "chat_messages": shown,
        "has_earlier": has_earlier,
        "earliest_id": shown[0].pk if shown else None,
        "last_id": shown[-1].pk if shown else 0,
        "latest": latest,
        "other_read": other_read,
        "form": form,
    }, status=status)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def chat_detail(request: HttpRequest, chat_id: int) -> HttpResponse:
    chat = _chat_or_404(request, chat_id)
    if request.method != "POST":
        return _chat_page(request, chat, MessageForm())
    form = MessageForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            message, _ = services.message_send(
                chat=chat, sender=signed_in_user(request), content=form.cleaned_data["content"],
                client_id=form.cleaned_data["client_id"], attachment=form.cleaned_data.get("file"))
        except ApplicationError as exc:
            form_add_service_error(form, exc)
            return _chat_page(request, chat, form, status=_error_status(exc))
        return HttpResponseRedirect(f"{reverse('messaging:chat', args=[chat.pk])}#message-{message.pk}")
    return _chat_page(request, chat, form, status=400)


def _archive(archived: bool):
    @login_required
    @require_POST
    def view(request: HttpRequest, chat_id: int) -> HttpResponse:
        user = signed_in_user(request)
        chat = _chat_or_404(request, chat_id)
        services.chat_set_archived(user=user, chat=chat, archived=archived)
        name = display_name(_other(chat, user))
        if archived:
            messages.success(request, _("The chat with {name} is archived (nothing was deleted). "
                                        "You find it under Archived chats.").format(name=name))
        else:
            messages.success(request, _("The chat with {name} is back in your inbox.").format(name=name))
        return redirect(_safe_next(request, reverse("messaging:inbox")))

    view.__name__ = "chat_archive" if archived else "chat_unarchive"
    return view


chat_archive = _archive(True)
chat_unarchive = _archive(False)


@login_required
@require_http_methods(["GET", "HEAD"])
def message_file(request: HttpRequest, chat_id: int, message_id: int) -> HttpResponseBase:
    """An attachment, for the two parties only; served as a download so it never runs in the site's origin."""
    chat = _chat_or_404(request, chat_id)
    message = get_object_or_404(Message, chat=chat, pk=message_id)
    if not message.attachment:
        raise Http404("This message has no file.")
    storage = message.attachment.storage
    if hasattr(storage, "bucket_name"):  # S3: a short-lived signed link
        signed = cast(services.SignedLinkStorage, storage)
        return HttpResponseRedirect(signed.url(message.attachment.name, parameters={
            "ResponseContentDisposition": f'attachment; filename="{message.attachment_name}"'}, expire=300))
    response = FileResponse(message.attachment.open("rb"), as_attachment=True,
                            filename=message.attachment_name or "file",
                            content_type=message.attachment_type or "application/octet-stream")
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


# --- notifications ------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "HEAD"])
def notification_list(request: HttpRequest) -> HttpResponse:
    unread_only = request.GET.get("unread") in ("1", "true")
    page = Paginator(notifications.notifications_for(signed_in_user(request), unread_only=unread_only),
                     NOTIFICATIONS_PER_PAGE).get_page(request.GET.get("page"))
    items = cast("list[ListedNotification]", list(page.object_list))
    for item in items:
        item.link = notification_link(item.data or {})
        item.kind_label = KIND_LABELS.get(item.kind, "Notification")
    return render(request, "messaging/notification_list.html", {
        "notifications": items, "page": page, "unread_only": unread_only,
    })


@login_required
@require_POST
def notification_read(request: HttpRequest, notification_id: int) -> HttpResponse:
    if notifications.notification_mark_read(user=signed_in_user(request), notification_id=notification_id) is None:
        raise Http404("No such notification.")
    return redirect(_safe_next(request, reverse("messaging:notifications")))


@login_required
@require_POST
def notification_read_all(request: HttpRequest) -> HttpResponse:
    count = notifications.notifications_mark_all_read(user=signed_in_user(request))
    messages.success(request, _("All notifications are marked as read.") if count else _("Nothing was unread."))
    return redirect(_safe_next(request, reverse("messaging:notifications")))


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def notification_preferences(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    current = notifications.preferences_for(user)
    form = PreferencesForm(request.POST if request.method == "POST" else None, current=current)
    if request.method == "POST" and form.is_valid():
        notifications.preferences_update(user=user, changes=form.changes())
        messages.success(request, _("Your notification preferences are saved."))
        return redirect("messaging:notification_preferences")
    return render(request, "messaging/notification_preferences.html",
                  {"form": form, "phone_verified": verified_number(user) is not None},
                  status=400 if form.is_bound else 200)


def _unsubscribe_kind(token: str) -> str | None:
    """The kind a link stops, if the link is genuine (read only; `notifications.unsubscribe` does the change)."""
    try:
        data = signing.loads(token, salt=notifications.UNSUBSCRIBE_SALT)
    except signing.BadSignature:
        return None
    kind = data.get("k") if isinstance(data, dict) else None
    return kind if kind in KIND_LABELS else None


@csrf_exempt  # the signed token is the authority; mail apps' one-click unsubscribe (RFC 8058) POSTs without a form
@require_http_methods(["GET", "HEAD", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    if request.method == "POST":
        result = notifications.unsubscribe(token=token)
        if result is None:
            return render(request, "messaging/unsubscribe_invalid.html", status=400)
        user, stopped = result
        return render(request, "messaging/unsubscribe_done.html",
                      {"kind_label": KIND_LABELS[stopped], "email": user.email})
    kind = _unsubscribe_kind(token)
    if kind is None:
        return render(request, "messaging/unsubscribe_invalid.html", status=400)
    return render(request, "messaging/unsubscribe.html", {"kind_label": KIND_LABELS[kind], "token": token})
