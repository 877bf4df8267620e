"""Support tickets in the admin: staff answer, assign and resolve, always through `support.services`."""

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.defaultfilters import truncatechars
from django.utils.translation import gettext, ngettext_lazy
from django.utils.translation import gettext_lazy as _

from accounts.requests import signed_in_user
from core.admin_actions import ReadOnlyAdminMixin, ReadOnlyInline, all_fields, error_text, run_for_each
from core.exceptions import ApplicationError

from . import services as support
from .models import SupportTicket, TicketMessage, TicketStatus

_MESSAGE_FIELDS = ("created_at", "author", "is_staff_reply", "body")


class TicketMessageInline(ReadOnlyInline):
    model = TicketMessage
    fields = _MESSAGE_FIELDS
    readonly_fields = _MESSAGE_FIELDS
    show_change_link = False
    ordering = ["created_at", "id"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[TicketMessage]:
        return super().get_queryset(request).select_related("author")


class TicketAdminForm(forms.ModelForm):
    reply = forms.CharField(
        label=_("Reply to the member"), required=False, max_length=support.BODY_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 5, "cols": 80}),
        help_text=_("Sent as staff: the member is told in the app and by e-mail, and the ticket waits for them."),
    )

    class Meta:
        model = SupportTicket
        fields = ["category", "priority", "assigned_to"]

    def clean_reply(self) -> str:
        reply = self.cleaned_data.get("reply", "").strip()
        if reply and self.instance.pk and self.instance.status == TicketStatus.RESOLVED:
            raise forms.ValidationError(gettext("This ticket is resolved: it takes no more replies."))
        return reply


@admin.register(SupportTicket)
class SupportTicketAdmin(admin.ModelAdmin):
    form = TicketAdminForm
    list_display = ["id", "subject", "user", "category", "priority", "status", "assigned_to", "created_at",
                    "updated_at", "first_response_at"]
    list_display_links = ["id", "subject"]
    list_select_related = ["user", "assigned_to"]
    list_filter = ["status", "priority", "category", ("assigned_to", admin.RelatedOnlyFieldListFilter),
                   ("first_response_at", admin.EmptyFieldListFilter)]
    search_fields = ["subject", "user__email", "user__last_name", "messages__body"]
    date_hierarchy = "created_at"
    ordering = ["-updated_at", "-id"]
    readonly_fields = ["user", "subject", "status", "created_at", "updated_at", "first_response_at", "resolved_at"]
    fieldsets = [
        (None, {"fields": ["subject", "user", "status", "category", "priority", "assigned_to"]}),
        (_("Dates"), {"fields": ["created_at", "updated_at", "first_response_at", "resolved_at"]}),
        (_("Answer"), {"fields": ["reply"]}),
    ]
    inlines = [TicketMessageInline]
    actions = ["resolve", "assign_to_me"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # members open tickets

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False  # the conversation stays on record

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "assigned_to":
            from accounts.models import User

            kwargs["queryset"] = User.objects.filter(is_staff=True, is_active=True).order_by("email")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request: HttpRequest, obj: SupportTicket, form: TicketAdminForm, change: bool) -> None:
        """Fields through the services: assignment is audited, a reply is `ticket_reply` as staff."""
        changed = set(form.changed_data)
        plain = [name for name in ("category", "priority") if name in changed]
        if plain:
            obj.save(update_fields=[*plain, "updated_at"])
        if "assigned_to" in changed:
            support.ticket_assign(ticket=obj, to=form.cleaned_data["assigned_to"], by=signed_in_user(request))
        reply = form.cleaned_data.get("reply")
        if reply:
            try:
                support.ticket_reply(ticket=obj, author=signed_in_user(request), body=reply)
            except ApplicationError as exc:
                self.message_user(request, gettext("The reply was not sent: %(error)s") % {"error": error_text(exc)},
                                  messages.ERROR)
            else:
                self.message_user(request, gettext("Reply sent to %(email)s.") % {"email": obj.user.email},
                                  messages.SUCCESS)

    @admin.action(description=_("Resolve the selected tickets"))
    def resolve(self, request: HttpRequest, queryset: QuerySet[SupportTicket]) -> None:
        run_for_each(self, request, queryset,
                     lambda ticket: support.ticket_resolve(ticket=ticket, by=signed_in_user(request)),
                     done=ngettext_lazy("%(n)d ticket resolved.", "%(n)d tickets resolved.", "n"))

    @admin.action(description=_("Assign to me"))
    def assign_to_me(self, request: HttpRequest, queryset: QuerySet[SupportTicket]) -> None:
        run_for_each(self, request, queryset,
                     lambda ticket: support.ticket_assign(ticket=ticket, to=signed_in_user(request),
                                                          by=signed_in_user(request)),
                     done=ngettext_lazy("%(n)d ticket assigned to you.", "%(n)d tickets assigned to you.", "n"))


@admin.register(TicketMessage)
class TicketMessageAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["created_at", "ticket", "author", "is_staff_reply", "preview"]
    list_select_related = ["ticket", "author"]
    list_filter = ["is_staff_reply"]
    search_fields = ["body", "author__email", "ticket__subject"]
    date_hierarchy = "created_at"
    ordering = ["-created_at", "-id"]
    readonly_fields = all_fields(TicketMessage)

    @admin.display(description=_("message"))
    def preview(self, obj: TicketMessage) -> str:
        return truncatechars(obj.body, 80)
