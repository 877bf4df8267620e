"""Chats, messages and notifications over REST; the same services as the sockets and pages."""

from typing import cast

from django.db.models import QuerySet
from django.http import FileResponse, HttpResponseBase, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics
from rest_framework.exceptions import NotFound
from rest_framework.pagination import PageNumberPagination
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import IsAdminUser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param
from rest_framework.views import APIView
from rest_framework_simplejwt.tokens import Token

from accounts.api.serializers import DetailSerializer, ErrorSerializer
from accounts.models import User
from accounts.requests import signed_in_user
from accounts.ws_auth import ws_ticket_issue
from core.exceptions import ApplicationError

from .. import devices, notifications, selectors, services
from ..models import Chat, Device, Message, Notification
from . import serializers as s

ERRORS = {400: ErrorSerializer, 401: ErrorSerializer, 403: ErrorSerializer, 404: ErrorSerializer,
          429: ErrorSerializer}


def _valid(serializer_class: type, request: Request, **kwargs: object) -> dict:
    serializer = serializer_class(data=request.data, **kwargs)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


def _int_param(request: Request, name: str) -> int | None:
    value = request.query_params.get(name)
    return int(value) if value and value.isdigit() else None


class ChatListView(generics.ListCreateAPIView):
    serializer_class = s.ChatSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Chat.objects.none()
        archived = self.request.query_params.get("archived")
        flag = {"true": True, "1": True, "false": False, "0": False, "all": None}.get(archived or "false", False)
        return services.chats_for(signed_in_user(self.request), archived=flag)

    @extend_schema(tags=["chats"], parameters=[OpenApiParameter("archived", str, enum=["true", "false", "all"])])
    def get(self, request: Request, *args: object, **kwargs: object) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(tags=["chats"], request=s.ChatInput, responses={201: s.ChatSerializer, 200: s.ChatSerializer,
                                                                   **ERRORS})
    def post(self, request: Request, *args: object, **kwargs: object) -> Response:
        data = _valid(s.ChatInput, request)
        participant = User.objects.filter(pk=data["participant_id"], is_active=True).first()
        if participant is None:
            return Response({"detail": "Invalid input: there is no such person.", "error_type": "validation_error",
                             "errors": {"participant_id": ["There is no such person."]}}, status=400)
        user = signed_in_user(request)
        opened, created = services.chat_open(user=user, participant=participant, project_id=data.get("project_id"))
        chat = services.chat_get(user=user, chat_id=opened.pk)
        return Response(self.get_serializer(chat).data, status=201 if created else 200)


def _chat(request: Request, chat_id: int) -> Chat:
    chat = services.chat_get(user=signed_in_user(request), chat_id=chat_id)
    if chat is None:
        raise NotFound()
    return chat


@extend_schema(tags=["chats"], responses={200: s.ChatSerializer, **ERRORS})
class ChatDetailView(APIView):
    def get(self, request: Request, pk: int) -> Response:
        return Response(s.ChatSerializer(_chat(request, pk)).data)


def _archive_view(archived: bool) -> type[APIView]:
    @extend_schema(tags=["chats"], request=None, responses={200: s.ChatSerializer, **ERRORS})
    class ArchiveView(APIView):
        def post(self, request: Request, pk: int) -> Response:
            user = signed_in_user(request)
            chat = _chat(request, pk)
            services.chat_set_archived(user=user, chat=chat, archived=archived)
            return Response(s.ChatSerializer(services.chat_get(user=user, chat_id=pk)).data)

    ArchiveView.__name__ = "ChatArchiveView" if archived else "ChatUnarchiveView"
    return ArchiveView


ChatArchiveView = _archive_view(True)
ChatUnarchiveView = _archive_view(False)


@extend_schema(tags=["chats"], responses={200: s.ChatStatsSerializer})
class ChatStatsView(APIView):
    def get(self, request: Request) -> Response:
        return Response(services.chat_stats(signed_in_user(request)))


class MessageListView(generics.ListCreateAPIView):
    """Messages newest last. A chat opens on its newest page; `?before=<id>` gives the messages just before
    that one (paging back); `?after=<id>` catches up after a reconnect, oldest first; `?page=` counts pages
    back from the newest."""

    serializer_class = s.MessageSerializer
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    def _member_chat(self) -> Chat:
        chat = selectors.chat_of_member(user=signed_in_user(self.request), chat_id=self.kwargs["pk"])
        if chat is None:
            raise NotFound()
        return chat

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Message.objects.none()
        return services.messages_for(chat=self._member_chat(), after=_int_param(self.request, "after"),
                                     before=_int_param(self.request, "before"),
                                     search=self.request.query_params.get("search")).only(*selectors.MESSAGE_FIELDS)

    @extend_schema(tags=["chats"], parameters=[
        OpenApiParameter("after", int, description="Messages after this id, oldest first (catching up)"),
        OpenApiParameter("before", int, description="The page of messages just before this id, newest last"),
        OpenApiParameter("search", str)])
    def get(self, request: Request, *args: object, **kwargs: object) -> Response:
        return super().get(request, *args, **kwargs)

    def list(self, request: Request, *args: object, **kwargs: object) -> Response:
        if _int_param(request, "after") is not None or request.query_params.get("search"):
            return super().list(request, *args, **kwargs)
        chat = self._member_chat()
        # The site's pagination (DEFAULT_PAGINATION_CLASS) counts pages of a size.
        size = cast(PageNumberPagination, self.paginator).get_page_size(request) or 20
        before = _int_param(request, "before")
        page = _int_param(request, "page") or 1
        offset = 0 if before is not None else (page - 1) * size
        rows, older = selectors.messages_newest(chat=chat, before=before, offset=offset, limit=size)
        url = request.build_absolute_uri()
        next_url = replace_query_param(remove_query_param(url, "page"), "before", rows[0]["id"]) if older else None
        previous_url = None
        if before is not None and rows and selectors.messages_newer_exist(chat=chat, than=rows[-1]["id"]):
            previous_url = replace_query_param(remove_query_param(url, "before"), "after", rows[-1]["id"])
        elif before is None and page > 1:
            previous_url = replace_query_param(url, "page", page - 1) if page > 2 else remove_query_param(url, "page")
        return Response({"count": selectors.message_count(chat), "next": next_url, "previous": previous_url,
                         "results": s.message_rows(rows)})

    @extend_schema(tags=["chats"], request={"application/json": s.MessageInput, "multipart/form-data": s.MessageInput},
                   responses={201: s.MessageSerializer, 200: s.MessageSerializer, **ERRORS})
    def post(self, request: Request, *args: object, **kwargs: object) -> Response:
        chat = _chat(request, self.kwargs["pk"])
        data = _valid(s.MessageInput, request)
        message, created = services.message_send(chat=chat, sender=signed_in_user(request), content=data["content"],
                                                 client_id=data["client_id"], attachment=data.get("file"))
        return Response(self.get_serializer(message).data, status=201 if created else 200)


@extend_schema(tags=["chats"], responses={(200, "application/octet-stream"): OpenApiResponse(
    description="The file, or a redirect to a short-lived signed link"), 404: ErrorSerializer})
class MessageAttachmentView(APIView):
    def get(self, request: Request, pk: int, message_id: int) -> HttpResponseBase:
        chat = _chat(request, pk)
        message = get_object_or_404(Message, chat=chat, pk=message_id)
        if not message.attachment:
            raise NotFound()
        storage = message.attachment.storage
        if hasattr(storage, "bucket_name"):
            signed = cast(services.SignedLinkStorage, storage)
            return HttpResponseRedirect(signed.url(message.attachment.name, parameters={
                "ResponseContentDisposition": f'attachment; filename="{message.attachment_name}"'}, expire=300))
        response = FileResponse(message.attachment.open("rb"), as_attachment=True,
                                filename=message.attachment_name, content_type=message.attachment_type)
        response["X-Content-Type-Options"] = "nosniff"
        return response


@extend_schema(tags=["chats"], request=s.ReadInput, responses={200: s.ReadOutput, **ERRORS})
class ChatReadView(APIView):
    def post(self, request: Request, pk: int) -> Response:
        chat = _chat(request, pk)
        upto = services.messages_mark_read(chat=chat, user=signed_in_user(request), **_valid(s.ReadInput, request))
        return Response({"last_read_message_id": upto})


@extend_schema(tags=["chats"], request=s.BlockInput, responses={200: DetailSerializer, **ERRORS})
class BlockView(APIView):
    def post(self, request: Request) -> Response:
        other = get_object_or_404(User, pk=_valid(s.BlockInput, request)["user_id"])
        services.block_set(user=signed_in_user(request), other=other, blocked=True)
        return Response({"detail": "Blocked. Neither of you can message the other."})

    def delete(self, request: Request) -> Response:
        other = get_object_or_404(User, pk=_valid(s.BlockInput, request)["user_id"])
        services.block_set(user=signed_in_user(request), other=other, blocked=False)
        return Response({"detail": "Unblocked."})


# --- notifications ------------------------------------------------------------------------------


class NotificationListView(generics.ListAPIView):
    serializer_class = s.NotificationSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Notification.objects.none()
        unread = self.request.query_params.get("unread") in ("true", "1")
        return notifications.notifications_for(signed_in_user(self.request), unread_only=unread).only(
            *selectors.NOTIFICATION_FIELDS)

    def page_count(self, queryset: QuerySet[Notification]) -> int:
        unread = self.request.query_params.get("unread") in ("true", "1")
        return selectors.notification_count(signed_in_user(self.request), unread_only=unread)(queryset)

    def list(self, request: Request, *args: object, **kwargs: object) -> Response:
        # The page's rows as dictionaries, written without a serializer per row (`s.notification_rows`).
        page = self.paginate_queryset(self.get_queryset().values(*selectors.NOTIFICATION_FIELDS))
        return self.get_paginated_response(s.notification_rows(list(page or [])))

    @extend_schema(tags=["notifications"], parameters=[OpenApiParameter("unread", bool)])
    def get(self, request: Request, *args: object, **kwargs: object) -> Response:
        return super().get(request, *args, **kwargs)


@extend_schema(tags=["notifications"], responses={200: s.UnreadCountSerializer})
class UnreadCountView(APIView):
    def get(self, request: Request) -> Response:
        return Response({"unread_count": notifications.unread_count(signed_in_user(request))})


@extend_schema(tags=["notifications"], request=None, responses={200: s.NotificationSerializer, **ERRORS})
class NotificationReadView(APIView):
    def post(self, request: Request, pk: int) -> Response:
        notification = notifications.notification_mark_read(user=signed_in_user(request), notification_id=pk)
        if notification is None:
            raise NotFound()
        return Response(s.NotificationSerializer(notification).data)


@extend_schema(tags=["notifications"], request=None, responses={200: s.UnreadCountSerializer})
class NotificationReadAllView(APIView):
    def post(self, request: Request) -> Response:
        notifications.notifications_mark_all_read(user=signed_in_user(request))
        return Response({"unread_count": 0})


class PreferencesView(APIView):
    """`{"<kind>": {"in_app": bool, "email": bool, "sms": bool, "push": bool}, ...}` for every kind. Text
    messages go only to a verified phone number; they are on by default for security and money."""

    @extend_schema(tags=["notifications"], responses={200: OpenApiResponse(description="Switches per kind")})
    def get(self, request: Request) -> Response:
        return Response(notifications.preferences_for(signed_in_user(request)))

    @extend_schema(tags=["notifications"], request=s.PreferencesSerializer,
                   responses={200: OpenApiResponse(description="Switches per kind"), **ERRORS})
    def put(self, request: Request) -> Response:
        serializer = s.PreferencesSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return Response(notifications.preferences_update(user=signed_in_user(request),
                                                         changes=serializer.validated_data))


# --- devices (mobile push) -------------------------------------------------------------------------


class DeviceListView(generics.ListAPIView):
    """The caller's devices that get pushes. `POST {platform, token}` registers one: again with the same token
    changes nothing (200), and a token another member had moves to the caller."""

    serializer_class = s.DeviceSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Device.objects.none()
        return devices.devices_for(signed_in_user(self.request))

    @extend_schema(tags=["devices"])
    def get(self, request: Request, *args: object, **kwargs: object) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(tags=["devices"], request=s.DeviceInput,
                   responses={201: s.DeviceSerializer, 200: s.DeviceSerializer, 503: ErrorSerializer, **ERRORS})
    def post(self, request: Request) -> Response:
        data = s.DeviceInput(data=request.data)
        data.is_valid(raise_exception=True)
        device, created = devices.device_register(user=signed_in_user(request), **data.validated_data)
        return Response(s.DeviceSerializer(device).data, status=201 if created else 200)


class DeviceDetailView(APIView):
    """One of the caller's devices; anyone else's answers 404."""

    @extend_schema(tags=["devices"], responses={200: s.DeviceSerializer, **ERRORS})
    def get(self, request: Request, pk: int) -> Response:
        device = devices.devices_for(signed_in_user(request)).filter(pk=pk).first()
        if device is None:
            raise NotFound()
        return Response(s.DeviceSerializer(device).data)

    @extend_schema(tags=["devices"], responses={204: None, **ERRORS})
    def delete(self, request: Request, pk: int) -> Response:
        if not devices.device_delete(user=signed_in_user(request), device_id=pk):
            raise NotFound()
        return Response(status=204)


@extend_schema(tags=["presence"], request=None, responses={200: s.WsTicketSerializer, **ERRORS})
class WsTicketView(APIView):
    """A one-use ticket for opening one socket (`?ticket=`) within 60 seconds.

    Apps use it instead of putting their access token in the socket's address, where it could be recorded.
    """

    def post(self, request: Request) -> Response:
        user = signed_in_user(request)
        # Members authenticate with simplejwt's tokens (accounts.authentication.JWTAuthentication, the only way in).
        token = cast("Token | None", request.auth)
        ticket, expires_at = ws_ticket_issue(
            user=user, session_id=token.get("sid") if token is not None else None,
            token_version=token.get("ver") if token is not None else user.token_version)
        return Response(s.WsTicketSerializer({"ticket": ticket, "expires_at": expires_at}).data)


def _presence_unknown() -> ApplicationError:
    return ApplicationError(_("Presence is unknown for now: try again shortly."), code="presence_unavailable",
                            status_code=503)


PRESENCE_ERRORS = {401: ErrorSerializer, 403: ErrorSerializer, 503: ErrorSerializer}


@extend_schema(tags=["presence"], responses={200: s.PresenceStatusSerializer, **PRESENCE_ERRORS})
class WsStatusView(APIView):
    """Open sockets and people online, over every live server process (staff only)."""

    permission_classes = [IsAdminUser]

    def get(self, request: Request) -> Response:
        try:
            return Response(s.PresenceStatusSerializer(selectors.presence_status()).data)
        except selectors.PresenceUnknown:
            raise _presence_unknown() from None


@extend_schema(tags=["presence"], responses={200: s.OnlineUserSerializer(many=True), **PRESENCE_ERRORS})
class OnlineUsersView(generics.ListAPIView):
    """The accounts with an open socket now, by name (staff only, paginated)."""

    permission_classes = [IsAdminUser]
    serializer_class = s.OnlineUserSerializer

    def get_queryset(self) -> QuerySet[User]:
        if getattr(self, "swagger_fake_view", False):  # the schema is drawn without asking Redis
            return User.objects.none()
        try:
            return selectors.online_users()
        except selectors.PresenceUnknown:
            raise _presence_unknown() from None


@extend_schema(tags=["presence"], responses={200: s.UserOnlineSerializer, 404: ErrorSerializer,
                                             **PRESENCE_ERRORS})
class UserOnlineView(APIView):
    """Whether an account has an open socket; offline at the latest 60 seconds after its last one went."""

    def get(self, request: Request, pk: int) -> Response:
        try:
            answer = selectors.user_presence(user_id=pk)
        except selectors.PresenceUnknown:
            raise _presence_unknown() from None
        if answer is None:
            raise NotFound(_("No such user."))
        return Response(s.UserOnlineSerializer(answer).data)
