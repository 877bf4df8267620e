"""What the marketplace tells people, in the app and by e-mail (through messaging's `notify`)."""

from django.conf import settings

from core.money import money_text, to_minor
from messaging.models import NotificationKind
from messaging.notifications import notify

from .models import Invite, Project, Proposal


def _url(path: str) -> str:
    return f"{settings.FRONTEND_URL}{path}"


def project_posted(project: Project) -> None:
    notify(user=project.client, kind=NotificationKind.PROJECT_CREATED, title=f"“{project.title}” is live",
           message="Freelancers can find it and send proposals now.", data={"project_id": project.pk},
           email_template="project_created",
           email_context={"project_title": project.title, "project_url": _url(f"/projects/{project.pk}/")})


def proposal_received(proposal: Proposal) -> None:
    project = proposal.project
    name = proposal.freelancer.get_full_name()
    bid = money_text(to_minor(proposal.bid_amount), proposal.currency)
    notify(user=project.client, kind=NotificationKind.PROPOSAL_RECEIVED, title=f"{name} sent a proposal",
           message=f"{bid} for “{project.title}”", data={"project_id": project.pk, "proposal_id": proposal.pk},
           email_template="proposal_received",
           email_context={"freelancer_name": name, "project_title": project.title, "bid": bid,
                          "proposal_url": _url(f"/projects/{project.pk}/")})


def proposal_rejected(proposal: Proposal) -> None:
    notify(user=proposal.freelancer, kind=NotificationKind.PROPOSAL_REJECTED,
           title=f"Your proposal for “{proposal.project.title}” was not selected",
           data={"project_id": proposal.project_id, "proposal_id": proposal.pk}, email_template="proposal_rejected",
           email_context={"project_title": proposal.project.title})


def invite_received(invite: Invite) -> None:
    client = invite.project.client
    notify(user=invite.freelancer, kind=NotificationKind.INVITE_RECEIVED,
           title=f"{client.get_full_name()} invited you to “{invite.project.title}”", message=invite.message[:300],
           data={"project_id": invite.project_id, "invite_id": invite.pk}, email_template="invite_received",
           email_context={"client_name": client.get_full_name(), "project_title": invite.project.title,
                          "project_url": _url(f"/projects/{invite.project_id}/")})

