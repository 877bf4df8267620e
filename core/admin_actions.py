"""What the admin pages of every app share: read-only records, money columns, and actions that call services.

An admin action never writes rows itself: it calls the app's service for each selected object, shows the
service's refusals as admin messages, and records the staff decision in the audit log when the service
does not already do so.
"""

from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Model
from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils.functional import Promise
from django.utils.html import format_html

from .exceptions import ApplicationError
from .money import money_text, to_minor


class ReadOnlyAdminMixin:
    """Shown, never added, changed or deleted here: records other code keeps (ledger, audit, payments)."""

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


class ReadOnlyInline(ReadOnlyAdminMixin, admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = True


def all_fields(model: type[Model]) -> list[str]:
    """Every concrete field, for `readonly_fields` of a record nobody edits."""
    return [field.name for field in model._meta.concrete_fields]


def minor_money(amount: int | None, currency: str) -> str:
    """A ledger amount (integer minor units) for people: 150000, "usd" -> "1,500.00 USD"."""
    return "—" if amount is None else money_text(amount, currency)


def amount_money(amount: Decimal | None, currency: str) -> str:
    """An amount as models keep it (Decimal, two places) for people: Decimal("1500.00"), "usd" -> "1,500.00 USD"."""
    return "—" if amount is None else money_text(to_minor(amount), currency)


def admin_link(obj: Any, label: object = None) -> str:
    """A link to the object's admin change page (or its text when it has none)."""
    if obj is None:
        return "—"
    meta = obj._meta
    try:
        url = reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[obj.pk])
    except NoReverseMatch:
        return str(label if label is not None else obj)
    return format_html('<a href="{}">{}</a>', url, label if label is not None else obj)


def error_text(exc: Exception) -> str:
    """What a service's refusal says, for an admin message."""
    return str(exc.detail) if isinstance(exc, ApplicationError) else str(exc)


def run_for_each(
    modeladmin: admin.ModelAdmin,
    request: HttpRequest,
    objects: Iterable[Any],
    call: Callable[[Any], object],
    *,
    done: "str | Promise",
) -> int:
    """Calls a service for each object. Refusals (ApplicationError) become one error message per object;
    the count of successes becomes one success message: `done`, a finished text, or a plural translation
    counting by "n" (`ngettext_lazy("%(n)d card removed.", "%(n)d cards removed.", "n")`). Returns that count."""
    succeeded = 0
    for obj in objects:
        try:
            call(obj)
        except (ApplicationError, ObjectDoesNotExist) as exc:
            modeladmin.message_user(request, f"{obj}: {error_text(exc)}", messages.ERROR)
        else:
            succeeded += 1
    if succeeded:
        text = done if isinstance(done, str) else str(done % {"n": succeeded})
        modeladmin.message_user(request, text, messages.SUCCESS)
    return succeeded
