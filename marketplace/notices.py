"""What the marketplace tells people, in the app and by e-mail (through messaging's `notify`)."""

from django.conf import settings
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from core.money import Money
from messaging.models import NotificationKind
from messaging.notifications import notify

from .models import Invite, Project, Proposal


def _url(path: str) -> str:
    return f"{settings.FRONTEND_URL}{path}"


def project_posted(project: Project) -> None:
    notify(user=project.client, kind=NotificationKind.PROJECT_CREATED,
           title=format_lazy(_("“{title}” is live"), title=project.title),
           message=_("Freelancers can find it and send proposals now."), data={"project_id": project.pk},
           email_template="project_created",
           email_context={"project_title": project.title, "project_url": _url(f"/projects/{project.pk}/")})


def proposal_received(proposal: Proposal) -> None:
    project = proposal.project
    name = proposal.freelancer.get_full_name()
    bid = Money.of(proposal.bid_amount, proposal.currency)
    notify(user=project.client, kind=NotificationKind.PROPOSAL_RECEIVED,
           title=format_lazy(_("{name} sent a proposal"), name=name),
           message=format_lazy(_("{amount} for “{title}”"), amount=bid, title=project.title),
           data={"project_id": project.pk, "proposal_id": proposal.pk},
           email_template="proposal_received",
           email_context={"freelancer_name": name, "project_title": project.title, "bid": bid,
                          "proposal_url": _url(f"/projects/{project.pk}/")})


def proposal_rejected(proposal: Proposal) -> None:
    notify(user=proposal.freelancer, kind=NotificationKind.PROPOSAL_REJECTED,
           title=format_lazy(_("Your proposal for “{title}” was not selected"), title=proposal.project.title),
           data={"project_id": proposal.project_id, "proposal_id": proposal.pk}, email_template="proposal_rejected",
           email_context={"project_title": proposal.project.title})


def invite_received(invite: Invite) -> None:
    client = invite.project.client
    notify(user=invite.freelancer, kind=NotificationKind.INVITE_RECEIVED,
           title=format_lazy(_("{name} invited you to “{title}”"), name=client.get_full_name(),
                             title=invite.project.title),
           message=invite.message[:300],
           data={"project_id": invite.project_id, "invite_id": invite.pk}, email_template="invite_received",
           email_context={"client_name": client.get_full_name(), "project_title": invite.project.title,
                          "project_url": _url(f"/projects/{invite.project_id}/")})

