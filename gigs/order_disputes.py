"""An order dispute's thread: the buyer and the seller answer and add evidence while it is open, staff add notes.

Who may write and when is the contracts' DISPUTE_MOVES "answer" row, as for milestone disputes, and the message's
text and file are checked by the same code (`contracts.disputes`). Staff settle the dispute with
`orders.order_dispute_resolve`.
"""

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import User
from contracts.disputes import attach_evidence, thread_message_check
from contracts.escrow import DISPUTE_MOVES
from core.exceptions import Conflict
from core.locale import text_lazy
from core.status import STAFF, authorize, may
from messaging.models import NotificationKind
from messaging.notifications import notify

from .models import OrderDispute, OrderDisputeMessage
from .orders import order_url, role_of


def order_dispute_message_add(*, dispute: OrderDispute, by: User, body: str,
                              evidence: UploadedFile | None = None) -> OrderDisputeMessage:
    """Adds an answer (the buyer or the seller) or a note (staff) to an open order dispute, with an optional
    evidence file. 404 outside the order, 400 for an empty message or a refused file, 409 once closed. The other
    party (both, for a staff note) is told in the app and by e-mail."""
    order = dispute.order
    actor = role_of(order, by)
    authorize(DISPUTE_MOVES, "answer", actor, party=order.is_party(by))
    body, kind = thread_message_check(body, evidence)
    with transaction.atomic():
        locked = OrderDispute.objects.select_for_update().get(pk=dispute.pk)
        if not may(DISPUTE_MOVES, locked.status, "answer", actor):
            raise Conflict(_("This dispute is %(status)s: its thread is closed.")
                           % {"status": locked.get_status_display().lower()}, code="dispute_closed")
        message = OrderDisputeMessage(dispute=locked, author=by, author_role=actor, body=body)
        attach_evidence(message, evidence, kind, prefix=f"order-dispute-{locked.pk}")
        message.save()
        who = gettext_lazy("Our staff") if actor == STAFF else by.get_full_name()
        for person in (order.buyer, order.seller):
            if person.pk != by.pk:
                notify(user=person, kind=NotificationKind.DISPUTE_OPENED,
                       title=text_lazy(gettext_lazy("%(who)s answered in the dispute on order “%(title)s”"),
                                       who=who, title=order.title),
                       message=body[:300] or gettext_lazy("A file of evidence was added."),
                       data={"order_id": order.pk, "order_dispute_id": locked.pk},
                       email_template="order_update",
                       email_context={"order_title": order.title, "order_url": f"{order_url(order)}#dispute-thread"})
    return message
