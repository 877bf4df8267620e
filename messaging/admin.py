"""Messaging in the admin: chats and notifications are shown and masked messages are moderated.
Every change goes through `messaging.moderation`."""


from django.contrib import admin
from django.db.models import Count, QuerySet
from django.http import HttpRequest
from django.template.defaultfilters import truncatechars
from django.utils.functional import Promise
from django.utils.translation import gettext, ngettext_lazy
from django.utils.translation import gettext_lazy as _

from accounts.requests import signed_in_user
from core.admin_actions import (
    ReadOnlyAdminMixin,
    ReadOnlyInline,
    admin_link,
    all_fields,
    run_for_each,
)

from . import devices, moderation
from .models import (
    Block,
    Chat,
    ChatMember,
    Device,
    Message,
    Notification,
    NotificationPreference,
    Violation,
)

# --- chats ----------------------------------------------------------------------------------------


_CHAT_MEMBER_FIELDS = ("user", "archived_at", "last_read_message_id", "last_delivered_message_id", "last_emailed_at")


class ChatMemberInline(ReadOnlyInline):
    model = ChatMember
    fields = _CHAT_MEMBER_FIELDS
    readonly_fields = _CHAT_MEMBER_FIELDS
    show_change_link = False

    def get_queryset(self, request: HttpRequest) -> QuerySet[ChatMember]:
        return super().get_queryset(request).select_related("user")


@admin.register(Chat)
class ChatAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["id", "client", "freelancer", "subject_type", "subject_id", "message_count", "created_at",
                    "last_message_at"]
    list_select_related = ["client", "freelancer"]
    list_filter = ["subject_type"]
    search_fields = ["client__email", "client__last_name", "freelancer__email", "freelancer__last_name"]
    date_hierarchy = "created_at"
    ordering = ["-last_message_at", "-id"]
    readonly_fields = all_fields(Chat)
    inlines = [ChatMemberInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Chat]:
        return super().get_queryset(request).annotate(message_count=Count("messages"))

    @admin.display(description=_("messages"), ordering="message_count")
    def message_count(self, obj: Chat) -> int:
        return obj.message_count  # type: ignore[attr-defined]


@admin.register(ChatMember)
class ChatMemberAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["chat_id", "user", "archived_at", "last_read_message_id", "last_delivered_message_id"]
    list_select_related = ["user"]
    list_filter = [("archived_at", admin.EmptyFieldListFilter)]
    search_fields = ["user__email", "=chat__id"]
    ordering = ["-id"]
    readonly_fields = all_fields(ChatMember)


@admin.register(Message)
class MessageAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["id", "chat_link", "sender", "preview", "attachment_name", "is_flagged", "created_at"]
    list_select_related = ["sender", "chat__client", "chat__freelancer"]
    list_filter = ["is_flagged", ("attachment", admin.EmptyFieldListFilter)]
    search_fields = ["content", "sender__email", "attachment_name", "=chat__id"]
    date_hierarchy = "created_at"
    ordering = ["-id"]
    readonly_fields = all_fields(Message)

    @admin.display(description=_("chat"))
    def chat_link(self, obj: Message) -> str:
        return admin_link(obj.chat, f"chat {obj.chat_id}")

    @admin.display(description=_("content"))
    def preview(self, obj: Message) -> str:
        return truncatechars(obj.content, 80)


# --- moderation -----------------------------------------------------------------------------------


@admin.register(Violation)
class ViolationAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Contact details or links masked before a contract existed. Staff dismiss them or warn the member."""

    list_display = ["created_at", "user", "kinds_text", "preview", "chat_link", "resolution", "reviewed_by",
                    "reviewed_at"]
    list_select_related = ["user", "reviewed_by", "message"]
    list_filter = ["resolution", ("reviewed_at", admin.EmptyFieldListFilter)]
    search_fields = ["user__email", "user__last_name", "original_content"]
    date_hierarchy = "created_at"
    ordering = ["-created_at", "-id"]
    readonly_fields = all_fields(Violation)
    actions = ["dismiss", "warn"]

    @admin.display(description=_("kinds"))
    def kinds_text(self, obj: Violation) -> str:
        return ", ".join(obj.kinds)

    @admin.display(description=_("original text"))
    def preview(self, obj: Violation) -> str:
        return truncatechars(obj.original_content, 80)

    @admin.display(description=_("chat"))
    def chat_link(self, obj: Violation) -> str:
        return admin_link(obj.message, gettext("chat %(id)s") % {"id": obj.message.chat_id})

    def _review(self, request: HttpRequest, queryset: QuerySet[Violation], resolution: str, done: Promise) -> None:
        run_for_each(self, request, queryset.select_related("user"),
                     lambda violation: moderation.violation_review(violation=violation, by=signed_in_user(request),
                                                                   resolution=resolution),
                     done=done)

    @admin.action(description=_("Dismiss"))
    def dismiss(self, request: HttpRequest, queryset: QuerySet[Violation]) -> None:
        self._review(request, queryset, "dismissed", ngettext_lazy("%(n)d violation dismissed.",
                                                                   "%(n)d violations dismissed.", "n"))

    @admin.action(description=_("Warn the user"))
    def warn(self, request: HttpRequest, queryset: QuerySet[Violation]) -> None:
        self._review(request, queryset, "warned", ngettext_lazy(
            "%(n)d member warned; they see the warning in their notifications.",
            "%(n)d members warned; they see the warning in their notifications.", "n"))


@admin.register(Block)
class BlockAdmin(admin.ModelAdmin):
    """Who blocked whom. Staff may lift a block (delete it); blocks are made by members."""

    list_display = ["blocker", "blocked", "created_at"]
    list_select_related = ["blocker", "blocked"]
    search_fields = ["blocker__email", "blocked__email"]
    date_hierarchy = "created_at"
    ordering = ["-created_at", "-id"]
    readonly_fields = all_fields(Block)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


# --- notifications --------------------------------------------------------------------------------


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["created_at", "user", "kind", "title", "read_at"]
    list_select_related = ["user"]
    list_filter = ["kind", ("read_at", admin.EmptyFieldListFilter)]
    search_fields = ["user__email", "title", "message"]
    date_hierarchy = "created_at"
    ordering = ["-created_at", "-id"]
    readonly_fields = all_fields(Notification)


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["user", "kind", "in_app", "email", "sms", "push"]
    list_select_related = ["user"]
    list_filter = ["kind", "in_app", "email", "sms", "push"]
    search_fields = ["user__email"]
    ordering = ["user_id", "kind"]
    readonly_fields = all_fields(NotificationPreference)


@admin.register(Device)
class DeviceAdmin(admin.ModelAdmin):
    """Members' devices for pushes. Deleting one here forgets it (its SNS endpoint is deleted too)."""

    list_display = ["user", "platform", "endpoint_arn", "created_at", "registered_at"]
    list_select_related = ["user"]
    list_filter = ["platform"]
    search_fields = ["user__email", "endpoint_arn"]
    ordering = ["-registered_at", "-id"]
    exclude = ["token"]
    readonly_fields = ["user", "platform", "endpoint_arn", "created_at", "registered_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def delete_model(self, request: HttpRequest, obj: Device) -> None:
        devices.device_delete(user=obj.user, device_id=obj.pk)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Device]) -> None:
        for device in queryset.select_related("user"):
            devices.device_delete(user=device.user, device_id=device.pk)
