"""A dispute's thread: both parties answer and add evidence while it is open, staff add notes.

Who may write and when is DISPUTE_MOVES' "answer" row (the status stays open); staff settle the dispute with
`escrow.dispute_resolve`, the opener takes it back with `escrow.dispute_withdraw`.
"""

from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils.text import format_lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from core.exceptions import ApplicationError, Conflict
from core.status import STAFF, authorize, may
from core.uploads import FileKind, file_check
from messaging.models import NotificationKind
from messaging.notifications import notify

from .escrow import DISPUTE_MOVES
from .models import Dispute, DisputeMessage
from .services import role_of


def disputes_visible_to(user: User) -> QuerySet[Dispute]:
    """The disputes on the user's contracts (staff: all)."""
    disputes = Dispute.objects.select_related("contract", "contract__client", "contract__freelancer", "milestone",
                                              "opened_by", "resolved_by")
    if not user.is_authenticated:
        return disputes.none()
    if user.is_staff:
        return disputes
    return disputes.filter(Q(contract__client=user) | Q(contract__freelancer=user))


def dispute_url(dispute: Dispute) -> str:
    return f"{settings.FRONTEND_URL}/disputes/{dispute.pk}/"


def thread_message_check(body: str, evidence: UploadedFile | None) -> tuple[str, FileKind | None]:
    """A thread message's body and evidence, checked as every upload is (shared by milestone and order disputes):
    the trimmed body and the file's kind. 400 for an empty message or a refused file."""
    body = body.strip()
    if not body and evidence is None:
        raise ApplicationError(gettext("Invalid input: write an answer or add a file."), code="validation_error",
                               errors={"body": [gettext("Write an answer or add a file.")]})
    return body, (file_check(evidence, field="evidence") if evidence is not None else None)


def attach_evidence(message: Any, evidence: UploadedFile | None, kind: FileKind | None, *, prefix: str) -> None:
    """Stores a checked evidence file on an unsaved thread message (a model with file, original_name,
    content_type and size)."""
    if evidence is None or kind is None:
        return
    name = (evidence.name or f"evidence.{kind.extension}").rsplit("/", 1)[-1][:200]
    message.original_name = name
    message.content_type = kind.content_type
    message.size = evidence.size or 0
    message.file.save(f"{prefix}-{name}"[:100], evidence, save=False)


def dispute_message_add(*, dispute: Dispute, by: User, body: str, evidence: UploadedFile | None = None
                        ) -> DisputeMessage:
    """Adds an answer (a party) or a note (staff) to an open dispute, with an optional evidence file checked as
    every upload is. 404 outside the contract, 400 for an empty message or a refused file, 409 once closed."""
    contract = dispute.contract
    actor = role_of(contract, by)
    authorize(DISPUTE_MOVES, "answer", actor, party=contract.is_party(by))
    body, kind = thread_message_check(body, evidence)
    with transaction.atomic():
        locked = Dispute.objects.select_for_update().get(pk=dispute.pk)
        if not may(DISPUTE_MOVES, locked.status, "answer", actor):
            raise Conflict(gettext("This dispute is %(status)s: its thread is closed.")
                           % {"status": str(locked.get_status_display()).lower()}, code="dispute_closed")
        message = DisputeMessage(dispute=locked, author=by, author_role=actor, body=body)
        attach_evidence(message, evidence, kind, prefix=f"dispute-{locked.pk}")
        message.save()
        who = _("Our staff") if actor == STAFF else by.get_full_name()
        for person in (contract.client, contract.freelancer):
            if person.pk != by.pk:
                notify(user=person, kind=NotificationKind.DISPUTE_OPENED,
                       title=format_lazy(_("{name} answered in the dispute on “{title}”"), name=who,
                                         title=dispute.milestone.title),
                       message=body[:300], data={"contract_id": contract.pk, "dispute_id": locked.pk})
    return message
