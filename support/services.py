"""Support tickets: a member asks, staff answer, the ticket is resolved.

Every write is one of these services: the API, the pages and the admin call them. Each locks the ticket,
checks the status move against TICKET_TRANSITIONS, records it in the audit log, and tells the member
when staff answer (in the app and by e-mail, through `notify`, after commit).
"""

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Max, QuerySet
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.text import format_lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from core.audit import audit
from core.exceptions import ApplicationError, Conflict
from messaging.models import NotificationKind
from messaging.notifications import notify

from .models import SupportTicket, TicketCategory, TicketMessage, TicketPriority, TicketStatus

BODY_MAX_LENGTH = 5000
SUBJECT_MAX_LENGTH = 200

# open → pending when staff answer; pending → open when the member answers back; pending → resolved.
TICKET_TRANSITIONS: dict[str, set[str]] = {
    TicketStatus.OPEN: {TicketStatus.PENDING},
    TicketStatus.PENDING: {TicketStatus.OPEN, TicketStatus.RESOLVED},
    TicketStatus.RESOLVED: set(),
}


def _not_found() -> ApplicationError:
    return ApplicationError(gettext("Not found."), code="not_found", status_code=404)


def _invalid(field: str, message: str) -> ApplicationError:
    return ApplicationError(gettext("Invalid input: %(message)s") % {"message": message}, code="validation_error",
                            errors={field: [message]})


def _text(value: str, field: str, max_length: int, missing: "str | Promise") -> str:
    text = (value or "").strip()
    if not text:
        raise _invalid(field, str(missing))
    if len(text) > max_length:
        raise _invalid(field, gettext("At most %(count)s characters.") % {"count": max_length})
    return text


def is_staff_for(ticket: SupportTicket, user: User) -> bool:
    """Staff answer as staff on other people's tickets; on their own ticket they are the member."""
    return bool(user.is_staff) and user.pk != ticket.user_id


def ticket_url(ticket: SupportTicket) -> str:
    return f"{settings.FRONTEND_URL}/support/{ticket.pk}/"


# --- reading ------------------------------------------------------------------------------------


def tickets_for(user: User, *, status: str | None = None) -> QuerySet[SupportTicket]:
    """Members see their own tickets; staff see everyone's. With the count and time of the last message."""
    tickets = SupportTicket.objects.select_related("user", "assigned_to")
    if not user.is_staff:
        tickets = tickets.filter(user=user)
    if status:
        tickets = tickets.filter(status=status)
    return tickets.annotate(message_count=Count("messages"), last_message_at=Max("messages__created_at")).order_by(
        "-updated_at", "-id")


def ticket_get(*, user: User, ticket_id: int) -> SupportTicket | None:
    """The ticket if `user` may see it (its member, or staff); None otherwise, as if it did not exist."""
    return tickets_for(user).filter(pk=ticket_id).first()


def ticket_messages(ticket: SupportTicket) -> QuerySet[TicketMessage]:
    return ticket.messages.select_related("author").order_by("created_at", "id")


# --- writing ------------------------------------------------------------------------------------


def _move(ticket: SupportTicket, to: str, by: User | None) -> None:
    """Moves a locked ticket to `to`, checked against the table and audited. Saving is the caller's."""
    if ticket.status == to:
        return
    if to not in TICKET_TRANSITIONS[ticket.status]:
        raise Conflict(gettext("A ticket that is %(status)s cannot become %(to)s.")
                       % {"status": str(ticket.get_status_display()).lower(),
                          "to": str(TicketStatus(to).label).lower()},
                       code="invalid_transition")
    audit("support.ticket.status", target=ticket, actor=by, old={"status": ticket.status}, new={"status": to})
    ticket.status = to


def _lock(ticket: SupportTicket) -> SupportTicket:
    return SupportTicket.objects.select_for_update().get(pk=ticket.pk)


def ticket_open(*, user: User, subject: str, message: str, category: str = TicketCategory.OTHER,
                priority: str = TicketPriority.NORMAL) -> SupportTicket:
    """A member asks a question: the ticket and its first message, in one transaction."""
    subject = _text(subject, "subject", SUBJECT_MAX_LENGTH, _("Write a subject."))
    body = _text(message, "message", BODY_MAX_LENGTH, _("Write your question."))
    if category not in TicketCategory.values:
        raise _invalid("category", "Choose one of the categories.")
    if priority not in TicketPriority.values:
        raise _invalid("priority", "Choose one of the priorities.")
    with transaction.atomic():
        ticket = SupportTicket.objects.create(user=user, subject=subject, category=category, priority=priority)
        TicketMessage.objects.create(ticket=ticket, author=user, body=body, is_staff_reply=False)
    return ticket


def ticket_reply(*, ticket: SupportTicket, author: User, body: str) -> TicketMessage:
    """The member or staff answer on a ticket.

    A staff answer moves an open ticket to pending (waiting for the member), sets `first_response_at`
    once, and tells the member in the app and by e-mail. The member's answer on a pending ticket moves it
    back to open. A resolved ticket takes no more answers: the member opens a new one.
    """
    staff = is_staff_for(ticket, author)
    if not staff and author.pk != ticket.user_id:
        raise _not_found()
    text = _text(body, "body", BODY_MAX_LENGTH, _("Write a message."))
    with transaction.atomic():
        locked = _lock(ticket)
        if locked.status == TicketStatus.RESOLVED:
            raise Conflict(gettext("This ticket is resolved. Open a new ticket if you need more help."),
                           code="ticket_resolved")
        reply = TicketMessage.objects.create(ticket=locked, author=author, body=text, is_staff_reply=staff)
        now = timezone.now()
        fields = ["updated_at"]
        if staff:
            _move(locked, TicketStatus.PENDING, author)
            fields.append("status")
            if locked.first_response_at is None:
                locked.first_response_at = now
                fields.append("first_response_at")
            if locked.assigned_to_id is None:
                locked.assigned_to = author
                fields.append("assigned_to")
        elif locked.status == TicketStatus.PENDING:
            _move(locked, TicketStatus.OPEN, author)
            fields.append("status")
        locked.save(update_fields=fields)
        if staff:
            _tell_member(locked, author, text)
    ticket.refresh_from_db()
    return reply


def _tell_member(ticket: SupportTicket, staff: User, text: str) -> None:
    member = ticket.user
    url = ticket_url(ticket)
    notify(user=member, kind=NotificationKind.MESSAGE_RECEIVED, title=format_lazy(_("Our team answered “{subject}”"),
                                                                                  subject=ticket.subject),
           message=text[:500], data={"ticket_id": ticket.pk, "url": f"/support/{ticket.pk}/"},
           email_template="support_reply",
           email_context={"ticket_subject": ticket.subject, "ticket_url": url, "reply": text,
                          "staff_name": staff.first_name or ""})


def ticket_resolve(*, ticket: SupportTicket, by: User) -> SupportTicket:
    """The member (or staff) say the question is answered: a pending ticket becomes resolved."""
    if not by.is_staff and by.pk != ticket.user_id:
        raise _not_found()
    with transaction.atomic():
        locked = _lock(ticket)
        if locked.status == TicketStatus.RESOLVED:
            raise Conflict(gettext("This ticket is already resolved."), code="already_resolved")
        if locked.status == TicketStatus.OPEN:
            raise Conflict(
                gettext("This ticket is waiting for our team's answer; it can be resolved once we have answered."),
                code="invalid_transition")
        _move(locked, TicketStatus.RESOLVED, by)
        locked.resolved_at = timezone.now()
        locked.save(update_fields=["status", "resolved_at", "updated_at"])
    ticket.refresh_from_db()
    return ticket


def ticket_assign(*, ticket: SupportTicket, to: User | None, by: User) -> SupportTicket:
    """Staff take a ticket (or hand it to a colleague, or back to the queue with `to=None`)."""
    if not by.is_staff:
        raise _not_found()
    if to is not None and not to.is_staff:
        raise _invalid("assigned_to", "Tickets are assigned to staff.")
    with transaction.atomic():
        locked = _lock(ticket)
        before = locked.assigned_to_id
        if before == (to.pk if to else None):
            return locked
        locked.assigned_to = to
        locked.save(update_fields=["assigned_to", "updated_at"])
        audit("support.ticket.assign", target=locked, actor=by, old={"assigned_to": before},
              new={"assigned_to": to.pk if to else None})
    ticket.refresh_from_db()
    return ticket
