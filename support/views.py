"""Support pages: `/support/` (my tickets and the form to open one) and `/support/<id>/` (the thread).

Each view checks its form, calls one service of `support.services` and shows the answer.
"""

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.forms import form_add_service_error
from accounts.requests import signed_in_user
from core.exceptions import ApplicationError

from . import services as support
from .models import SupportTicket, TicketCategory, TicketPriority, TicketStatus

TICKETS_PER_PAGE = 20


class TicketOpenForm(forms.Form):
    subject = forms.CharField(label=_("Subject"), max_length=support.SUBJECT_MAX_LENGTH,
                              help_text=_("A few words on what you need help with."))
    category = forms.ChoiceField(label=_("Category"), choices=TicketCategory.choices, initial=TicketCategory.OTHER)
    priority = forms.ChoiceField(label=_("Priority"), choices=TicketPriority.choices, initial=TicketPriority.NORMAL,
                                 help_text=_("Urgent: money is stuck or you cannot sign in."))
    message = forms.CharField(label=_("Message"), max_length=support.BODY_MAX_LENGTH,
                              widget=forms.Textarea(attrs={"rows": 6}),
                              help_text=_("What happened, and what you expected. "
                                          "Never send passwords or card numbers."))


class TicketReplyForm(forms.Form):
    body = forms.CharField(label=_("Your reply"), max_length=support.BODY_MAX_LENGTH,
                           widget=forms.Textarea(attrs={"rows": 4}))


def _error_status(exc: ApplicationError) -> int:
    return exc.status_code if 400 <= exc.status_code < 500 else 400


def _ticket_or_404(request: HttpRequest, ticket_id: int) -> SupportTicket:
    ticket = support.ticket_get(user=signed_in_user(request), ticket_id=ticket_id)
    if ticket is None:
        raise Http404("No such ticket.")
    return ticket


def _list_page(request: HttpRequest, form: TicketOpenForm, status: int = 200) -> HttpResponse:
    show = request.GET.get("status")
    show = show if show in TicketStatus.values else None
    tickets = support.tickets_for(signed_in_user(request), status=show)  # staff: everyone's, as in the API
    page = Paginator(tickets, TICKETS_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "support/support_list.html", {
        "tickets": page.object_list, "page": page, "form": form, "show": show,
        "statuses": TicketStatus.choices,
    }, status=status)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def ticket_list(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return _list_page(request, TicketOpenForm())
    form = TicketOpenForm(request.POST)
    if not form.is_valid():
        return _list_page(request, form, status=400)
    try:
        ticket = support.ticket_open(user=signed_in_user(request), **form.cleaned_data)
    except ApplicationError as exc:
        form_add_service_error(form, exc)
        return _list_page(request, form, status=_error_status(exc))
    messages.success(request, _("Your ticket is open. We answer here and by e-mail, usually within a working day."))
    return redirect("support:ticket", ticket_id=ticket.pk)


def _thread_page(request: HttpRequest, ticket: SupportTicket, form: TicketReplyForm, status: int = 200,
                 error: str = "") -> HttpResponse:
    context: dict[str, Any] = {
        "ticket": ticket,
        "thread": list(support.ticket_messages(ticket)),
        "form": form,
        "can_reply": ticket.status != TicketStatus.RESOLVED,
        "can_resolve": ticket.status == TicketStatus.PENDING,
        "as_staff": support.is_staff_for(ticket, signed_in_user(request)),
        "error": error,
    }
    return render(request, "support/support_ticket.html", context, status=status)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def ticket_detail(request: HttpRequest, ticket_id: int) -> HttpResponse:
    ticket = _ticket_or_404(request, ticket_id)
    if request.method != "POST":
        return _thread_page(request, ticket, TicketReplyForm())
    form = TicketReplyForm(request.POST)
    if not form.is_valid():
        return _thread_page(request, ticket, form, status=400)
    try:
        support.ticket_reply(ticket=ticket, author=signed_in_user(request), body=form.cleaned_data["body"])
    except ApplicationError as exc:
        form_add_service_error(form, exc)
        return _thread_page(request, ticket, form, status=_error_status(exc))
    messages.success(request, _("Your reply is sent."))
    return redirect("support:ticket", ticket_id=ticket.pk)


@login_required
@require_POST
def ticket_resolve(request: HttpRequest, ticket_id: int) -> HttpResponse:
    ticket = _ticket_or_404(request, ticket_id)
    try:
        support.ticket_resolve(ticket=ticket, by=signed_in_user(request))
    except ApplicationError as exc:
        return _thread_page(request, ticket, TicketReplyForm(), status=_error_status(exc), error=str(exc.detail))
    messages.success(request, _("The ticket is resolved. Thank you!"))
    return redirect("support:ticket", ticket_id=ticket.pk)
