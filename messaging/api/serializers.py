from typing import TYPE_CHECKING, Any, cast

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.rows import datetime_text

from .. import subjects
from ..models import Chat, Device, Message, Notification, NotificationKind

if TYPE_CHECKING:
    from ..services import ListedChat


class ChatPersonSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    first_name = serializers.CharField()
    last_name = serializers.CharField()
    user_type = serializers.CharField()


class ChatInput(serializers.Serializer):
    participant_id = serializers.IntegerField(min_value=1)
    project_id = serializers.IntegerField(min_value=1, required=False, allow_null=True)


class ChatSerializer(serializers.ModelSerializer):
    client = ChatPersonSerializer(read_only=True)
    freelancer = ChatPersonSerializer(read_only=True)
    project_id = serializers.SerializerMethodField()
    unread_count = serializers.IntegerField(read_only=True)
    archived = serializers.SerializerMethodField()
    last_message = serializers.SerializerMethodField()
    other_last_read_message_id = serializers.IntegerField(source="other_last_read", read_only=True, default=0,
                                                          help_text="Read receipt: the other person read up to here")
    other_last_delivered_message_id = serializers.IntegerField(source="other_last_delivered", read_only=True,
                                                               default=0, help_text="Delivered up to here")

    class Meta:
        model = Chat
        fields = ["id", "client", "freelancer", "project_id", "created_at", "last_message_at", "unread_count",
                  "archived", "last_message", "other_last_read_message_id", "other_last_delivered_message_id"]

    def get_project_id(self, obj: Chat) -> int | None:
        return obj.subject_id if obj.subject_type == subjects.PROJECT else None

    def get_archived(self, obj: Chat) -> bool:
        return getattr(obj, "my_archived_at", None) is not None

    def get_last_message(self, obj: Chat) -> dict | None:
        # The schema generator reads this signature at run time, so the annotated chat is named only here.
        if not getattr(obj, "last_message_id", None):
            return None
        listed = cast("ListedChat", obj)  # a chat of `services.chats_for`, with its last message
        return {"id": listed.last_message_id, "content": (listed.last_message_content or "")[:200],
                "sender_id": listed.last_message_sender_id}


class MessageInput(serializers.Serializer):
    content = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")
    client_id = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")
    file = serializers.FileField(required=False)


class AttachmentInfoSerializer(serializers.Serializer):
    url = serializers.CharField()
    name = serializers.CharField()
    content_type = serializers.CharField()
    size = serializers.IntegerField()


class MessageSerializer(serializers.ModelSerializer):
    chat_id = serializers.IntegerField(read_only=True)
    sender_id = serializers.IntegerField(read_only=True)
    client_id = serializers.SerializerMethodField()
    attachment = serializers.SerializerMethodField()

    class Meta:
        model = Message
        fields = ["id", "chat_id", "sender_id", "content", "created_at", "client_id", "is_flagged", "attachment"]

    def get_client_id(self, obj: Message) -> str | None:
        return obj.client_id or None

    @extend_schema_field(AttachmentInfoSerializer(allow_null=True))
    def get_attachment(self, obj: Message) -> dict | None:
        if not obj.attachment:
            return None
        return {"url": f"/api/chats/{obj.chat_id}/messages/{obj.pk}/attachment", "name": obj.attachment_name,
                "content_type": obj.attachment_type, "size": obj.attachment_size}


def message_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """`MessageSerializer`'s output, written from `values(*selectors.MESSAGE_FIELDS)` rows."""
    return [{
        "id": row["id"], "chat_id": row["chat_id"], "sender_id": row["sender_id"], "content": row["content"],
        "created_at": datetime_text(row["created_at"]), "client_id": row["client_id"] or None,
        "is_flagged": row["is_flagged"],
        "attachment": {"url": f"/api/chats/{row['chat_id']}/messages/{row['id']}/attachment",
                       "name": row["attachment_name"], "content_type": row["attachment_type"],
                       "size": row["attachment_size"]} if row["attachment"] else None,
    } for row in rows]


class ReadInput(serializers.Serializer):
    message_id = serializers.IntegerField(min_value=1)


class ReadOutput(serializers.Serializer):
    last_read_message_id = serializers.IntegerField()


class ChatStatsSerializer(serializers.Serializer):
    total_chats = serializers.IntegerField()
    active_chats = serializers.IntegerField()
    archived_chats = serializers.IntegerField()
    unread_messages = serializers.IntegerField()
    chats_with_unread = serializers.IntegerField()
    messages_sent = serializers.IntegerField()
    messages_received = serializers.IntegerField()


class NotificationSerializer(serializers.ModelSerializer):
    type = serializers.CharField(source="kind", read_only=True)
    is_read = serializers.SerializerMethodField()

    class Meta:
        model = Notification
        fields = ["id", "type", "title", "message", "data", "created_at", "read_at", "is_read"]

    def get_is_read(self, obj: Notification) -> bool:
        return obj.read_at is not None


def notification_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """`NotificationSerializer`'s output, written from `values(*selectors.NOTIFICATION_FIELDS)` rows."""
    return [{
        "id": row["id"], "type": row["kind"], "title": row["title"], "message": row["message"], "data": row["data"],
        "created_at": datetime_text(row["created_at"]), "read_at": datetime_text(row["read_at"]),
        "is_read": row["read_at"] is not None,
    } for row in rows]


class UnreadCountSerializer(serializers.Serializer):
    unread_count = serializers.IntegerField()


class PreferenceSwitchSerializer(serializers.Serializer):
    in_app = serializers.BooleanField(required=False)
    email = serializers.BooleanField(required=False)
    sms = serializers.BooleanField(required=False, help_text="By text message, to a verified phone number")
    push = serializers.BooleanField(required=False, help_text="By push, to the registered mobile devices")


class PreferencesSerializer(serializers.Serializer):
    """Each notification kind with its switches."""

    def to_representation(self, instance: dict) -> dict:
        return instance

    def to_internal_value(self, data: object) -> dict:
        if not isinstance(data, dict):
            raise serializers.ValidationError({"non_field_errors": ["Send an object of kinds."]})
        errors: dict[str, list[str]] = {}
        cleaned: dict[str, dict[str, bool]] = {}
        for kind, switches in data.items():
            if kind not in NotificationKind.values:
                errors[kind] = ["Unknown notification kind."]
                continue
            switch = PreferenceSwitchSerializer(data=switches)
            if not switch.is_valid():
                errors[kind] = [f"{key}: {msgs[0]}" for key, msgs in switch.errors.items()]
                continue
            cleaned[kind] = dict(switch.validated_data)
        if errors:
            raise serializers.ValidationError(errors)
        return cleaned


class BlockInput(serializers.Serializer):
    user_id = serializers.IntegerField(min_value=1)


class WsTicketSerializer(serializers.Serializer):
    ticket = serializers.CharField()
    expires_at = serializers.DateTimeField()


class PresenceProcessSerializer(serializers.Serializer):
    id = serializers.CharField(help_text="The server process: host name and process id")
    connections = serializers.IntegerField(help_text="Its open sockets")


class PresenceStatusSerializer(serializers.Serializer):
    connections = serializers.IntegerField(help_text="Open sockets on every live server process")
    users_online = serializers.IntegerField(help_text="Accounts with at least one open socket")
    processes = PresenceProcessSerializer(many=True, help_text="Live server processes holding sockets")


class OnlineUserSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    email = serializers.EmailField()
    first_name = serializers.CharField()
    last_name = serializers.CharField()
    user_type = serializers.CharField()


class UserOnlineSerializer(serializers.Serializer):
    user_id = serializers.IntegerField()
    online = serializers.BooleanField()
    last_seen = serializers.DateTimeField(
        allow_null=True, help_text="Now while online; else when the last socket closed (null: never seen)")


class DeviceSerializer(serializers.ModelSerializer):
    class Meta:
        model = Device
        fields = ["id", "platform", "token", "created_at", "registered_at"]
        read_only_fields = ["id", "created_at", "registered_at"]


class DeviceInput(serializers.Serializer):
    platform = serializers.ChoiceField(choices=Device.Platform.choices)
    token = serializers.CharField(max_length=1024, trim_whitespace=True)
