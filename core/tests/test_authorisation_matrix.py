"""Who may reach what: every route of the URL conf, tried as each kind of caller against one shared world.

The world has a client and a freelancer with a contract (its project, proposal, milestones funded into escrow,
a submission file, a dispute with evidence, a payment, a chat with an attachment, notifications, a support
ticket, a portfolio item, an invite), plus an unrelated client, an unrelated freelancer, a suspended member
and staff. Each route has a row saying how to fill its path and what each caller must get; a route without a
row fails the test by name, so a new endpoint cannot arrive without its answer to "who may see this?".
Write routes are also tried by the callers who must be refused, and nothing may change when they are.
"""

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Max
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.test import APIClient

from accounts import services as account_services
from accounts.tests.factories import make_user
from accounts.tokens import login_issue
from contracts import escrow
from contracts.disputes import dispute_message_add
from contracts.services import proposal_accept
from discovery.services import saved_search_create
from gigs import orders
from gigs.order_disputes import order_dispute_message_add
from gigs.tests.factories import add_image, make_service
from marketplace.services import attachments_add, invite_create, portfolio_item_create
from marketplace.tests.factories import make_project, make_proposal
from messaging.notifications import unsubscribe_token
from messaging.services import chat_open, message_send
from support.services import ticket_open

pytestmark = pytest.mark.django_db

# The callers, in the order a row's expectations are written.
ROLES = ("anonymous", "client", "freelancer", "other_client", "other_freelancer", "staff")
# A suspended member is tried too: their tokens stop working (401 everywhere in the API) and their
# session ends, so on pages they get what an anonymous visitor gets.

# What a caller must get. `ok`: 2xx. `L`: must sign in (API 401, page redirect to the sign-in page).
# `no`: 403 or 404. `-`: not tried. `any`: anything but a server error. Numbers are exact statuses.
Expect = str


@dataclass
class Row:
    get: str  # six expectations for GET, in ROLES order
    kwargs: Callable[["World"], dict[str, Any]] = lambda w: {}
    post: dict[str, Expect] = field(default_factory=dict)  # refused writes: role -> expectation
    body: dict[str, Any] = field(default_factory=dict)


@dataclass
class World:
    users: dict[str, Any]
    objects: dict[str, Any]

    def __getattr__(self, name: str) -> Any:
        try:
            return self.objects[name]
        except KeyError as missing:
            raise AttributeError(name) from missing


def _text_file(name: str, text: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode(), content_type="text/plain")


def build_world(stripe_url: str, settings: Any) -> World:
    settings.STRIPE_API_BASE = stripe_url
    client = make_user("client", company="Acme Ltd")
    freelancer = make_user("freelancer", hourly_rate="60.00", headline="Django developer")
    users = {
        "client": client,
        "freelancer": freelancer,
        "other_client": make_user("client", company="Northwind"),
        "other_freelancer": make_user("freelancer", hourly_rate="50.00"),
        "staff": make_user("", is_staff=True, is_superuser=True),
        "suspended": make_user("freelancer"),
    }
    project = make_project(client, title="Booking site with a contract")
    contract = proposal_accept(proposal=make_proposal(freelancer, project), by=client)
    open_project = make_project(client, title="Open project taking proposals")
    proposal = make_proposal(freelancer, open_project)
    attachment = attachments_add(uploaded_by=client, project=open_project,
                                 uploads=[_text_file("brief.txt", "What we need.")])[0]
    invite_project = make_project(client, title="Project with an invite")
    invite = invite_create(client=client, project=invite_project, freelancer=freelancer, message="Join us")

    def milestone(title: str) -> Any:
        made = escrow.milestone_create(contract=contract, by=client,
                                       data={"title": title, "description": "Part", "amount": "500.00",
                                             "currency": "usd"})
        escrow.milestone_fund(milestone=made, by=client, payment_method="pm_card_visa")
        made.refresh_from_db()
        return made

    submitted = milestone("Design")
    escrow.milestone_submit(milestone=submitted, by=freelancer, note="Done",
                            files=[_text_file("report.txt", "The report.")])
    submitted.refresh_from_db()
    disputed = milestone("Build")
    dispute = escrow.dispute_open(contract=contract, milestone=disputed, by=client, reason="Not delivered",
                                  evidence=_text_file("evidence.txt", "Screenshots"))
    dispute_message = dispute_message_add(dispute=dispute, by=freelancer, body="My side of it",
                                          evidence=_text_file("answer.txt", "The delivery log"))
    pending = escrow.milestone_create(contract=contract, by=client,
                                      data={"title": "Launch", "description": "", "amount": "100.00",
                                            "currency": "usd"})
    chat, _ = chat_open(user=client, participant=freelancer, project_id=project.pk)
    message, _ = message_send(chat=chat, sender=client, content="Here are the notes",
                              attachment=_text_file("notes.txt", "Notes"))
    from contracts.hourly import time_entry_create
    from messaging.models import Notification
    from payments.methods import card_save
    from payments.models import Payment

    hourly_project = make_project(client, title="Hourly maintenance", budget_type="hourly", budget_min="30.00",
                                  budget_max="60.00")
    hourly = proposal_accept(proposal=make_proposal(freelancer, hourly_project, bid_amount="45.00"), by=client)
    saved_card = card_save(user=client, payment_method="pm_card_visa").card
    time_entry = time_entry_create(contract=hourly, by=freelancer, day=hourly.created_at.date(), minutes=90,
                                   memo="Fixes")
    invoice = hourly.invoices.get()
    ticket = ticket_open(user=client, subject="Invoice question", message="Where is my invoice?")
    service = make_service(freelancer, title="Logo design with three concepts", requirements="Your business's name?")
    add_image(service)
    order = orders.order_place(buyer=client, service=service, tier="basic", extra_ids=[], requirements="Acme",
                               payment_method="pm_card_visa").order
    orders.order_deliver(order=order, by=freelancer, note="Done", files=[_text_file("logo.txt", "The logo")])
    disputed_order = orders.order_place(buyer=client, service=service, tier="basic", extra_ids=[],
                                        requirements="Acme", payment_method="pm_card_visa").order
    order_dispute = orders.order_dispute_open(order=disputed_order, by=client, reason="Not started")
    order_dispute_message = order_dispute_message_add(dispute=order_dispute, by=freelancer, body="Started today",
                                                      evidence=_text_file("plan.txt", "The plan"))
    portfolio = portfolio_item_create(freelancer=freelancer, data={"title": "Clinic site", "description": "Built",
                                                                   "project_url": "https://example.com"}, images=[])
    from messaging.devices import device_register

    device, _created = device_register(user=client, platform="fcm", token="matrix-client-phone")
    saved_search = saved_search_create(user=freelancer, name="Django work", params={"skills": ["Django"]},
                                       alert="daily")
    objects = {
        "device": device, "saved_search": saved_search, "service": service, "service_image": service.images.first(),
        "project": project, "open_project": open_project, "invite_project": invite_project,
        "contract": contract, "proposal": proposal, "attachment": attachment, "invite": invite,
        "submitted": submitted, "disputed": disputed, "pending": pending, "dispute": dispute,
        "dispute_message": dispute_message,
        "submission_file": submitted.submissions.first().files.first(),
        "payment": Payment.objects.filter(user=client).order_by("pk").first(),
        "chat": chat, "message": message,
        "notification": Notification.objects.filter(user=freelancer).order_by("pk").first(),
        "ticket": ticket, "portfolio": portfolio, "order": order,
        "hourly": hourly, "saved_card": saved_card, "time_entry": time_entry, "invoice": invoice,
        "order_file": order.deliveries.get().files.get(),
        "order_dispute_message": order_dispute_message,
    }
    assert all(value is not None for value in objects.values()), objects
    return World(users=users, objects=objects)


def c(w: World) -> dict[str, int]:
    return {"pk": w.contract.pk}


# Shorthands for common rows.
PUBLIC = "ok ok ok ok ok ok"
SIGNED_IN = "L ok ok ok ok ok"
STAFF_ONLY_API = "L 403 403 403 403 ok"
STAFF_ONLY_PAGE = "L 404 404 404 404 ok"
POST_ONLY_API = "L 405 405 405 405 405"
POST_ONLY_PUBLIC_API = "405 405 405 405 405 405"
OUTSIDERS_POST = {"anonymous": "L", "other_client": "404", "other_freelancer": "404"}

API: dict[str, Row] = {
    "health-live": Row(PUBLIC),
    "health-ready": Row(PUBLIC),
    # Access to the metrics is decided by their own token or address list: here only "no server error".
    "health-metrics": Row("any any any any any any"),
    "openapi-schema": Row(PUBLIC),
    "swagger-ui": Row(PUBLIC),
    "redoc": Row(PUBLIC),
    "api-register": Row(POST_ONLY_PUBLIC_API),
    "api-login": Row(POST_ONLY_PUBLIC_API),
    "api-2fa-login": Row(POST_ONLY_PUBLIC_API),
    "api-2fa-sms": Row(POST_ONLY_PUBLIC_API),
    "api-refresh": Row(POST_ONLY_PUBLIC_API),
    "api-logout": Row(POST_ONLY_PUBLIC_API),
    "api-me": Row(SIGNED_IN),
    "api-verify-email": Row(POST_ONLY_PUBLIC_API),
    "api-verify-email-resend": Row(POST_ONLY_API),
    "api-password-reset": Row(POST_ONLY_PUBLIC_API),
    "api-password-reset-confirm": Row("405|429 405|429 405|429 405|429 405|429 405|429"),
    "api-change-password": Row(POST_ONLY_API),
    "api-2fa-enable": Row(POST_ONLY_API),
    "api-2fa-verify": Row(POST_ONLY_API),
    "api-2fa-disable": Row(POST_ONLY_API),
    # Each member's own phone number: reading it, sending a code to a new one, confirming, removing.
    "api-phone": Row(SIGNED_IN, post={"anonymous": "L"}, body={"phone_number": "+447700900123"}),
    "api-phone-verify": Row(POST_ONLY_API),
    "api-phone-resend": Row(POST_ONLY_API),
    "api-users": Row(STAFF_ONLY_API),
    "api-user-detail": Row(PUBLIC, lambda w: {"pk": w.users["freelancer"].pk}),
    # Marketplace
    "api-categories": Row(PUBLIC),
    "api-projects": Row(PUBLIC, post={"anonymous": "L", "freelancer": "403", "other_freelancer": "403"},
                        body={"title": "Not allowed", "description": "x", "budget_min": "1.00",
                              "budget_max": "2.00"}),
    "api-project-detail": Row(PUBLIC, lambda w: {"pk": w.open_project.pk}),
    "api-project-attachments": Row(POST_ONLY_API, lambda w: {"pk": w.open_project.pk},
                                   post=OUTSIDERS_POST | {"freelancer": "no"}),
    # The files of a public project are part of its brief: every member may read them.
    "api-attachment-download": Row("L ok ok ok ok ok", lambda w: {"pk": w.attachment.pk}),
    "api-proposals": Row(SIGNED_IN),
    "api-proposal-detail": Row("L ok ok 404 404 ok", lambda w: {"pk": w.proposal.pk}),
    "api-proposal-attachments": Row(POST_ONLY_API, lambda w: {"pk": w.proposal.pk},
                                    post=OUTSIDERS_POST),
    "api-proposal-accept": Row(POST_ONLY_API, lambda w: {"pk": w.proposal.pk},
                               post=OUTSIDERS_POST | {"freelancer": "no"}),
    "api-proposal-reject": Row(POST_ONLY_API, lambda w: {"pk": w.proposal.pk},
                               post=OUTSIDERS_POST | {"freelancer": "no"}),
    "api-proposal-shortlist": Row(POST_ONLY_API, lambda w: {"pk": w.proposal.pk},
                                  post=OUTSIDERS_POST | {"freelancer": "no"}),
    "api-proposal-withdraw": Row(POST_ONLY_API, lambda w: {"pk": w.proposal.pk},
                                 post=OUTSIDERS_POST | {"client": "no"}),
    "api-invites": Row(SIGNED_IN),
    "api-invite-decline": Row(POST_ONLY_API, lambda w: {"pk": w.invite.pk},
                              post=OUTSIDERS_POST | {"client": "no"}),
    "api-portfolio": Row(PUBLIC),
    "api-portfolio-detail": Row(PUBLIC, lambda w: {"pk": w.portfolio.pk}),
    "api-freelancers": Row(PUBLIC),
    "api-freelancer-detail": Row(PUBLIC, lambda w: {"pk": w.users["freelancer"].pk}),
    # Services (gigs): freelancers sell; everyone reads the active ones; only the seller changes one.
    "api-services": Row(PUBLIC, post={"anonymous": "L", "client": "403", "other_client": "403"},
                        body={"title": "A client cannot sell", "description": "Clients order services, never sell."}),
    "api-service-detail": Row(PUBLIC, lambda w: {"pk": w.service.pk}),
    "api-service-images": Row(POST_ONLY_API, lambda w: {"pk": w.service.pk},
                              post=OUTSIDERS_POST | {"client": "404"}),
    # Discovery: recommendations both ways, price guidance, saved searches, skill names
    "api-projects-recommended": Row("L 403 ok 403 ok 403"),
    "api-project-recommended-freelancers": Row("L ok 404 404 404 404", lambda w: {"pk": w.open_project.pk}),
    "api-price-guidance": Row(SIGNED_IN),
    "api-saved-searches": Row(SIGNED_IN, post={"anonymous": "L"}, body={"name": "Nobody's"}),
    "api-saved-search-detail": Row("L 404 ok 404 404 404", lambda w: {"pk": w.saved_search.pk}),
    "api-skills": Row(PUBLIC),
    # Contracts and money
    "api-contracts": Row(SIGNED_IN),
    "api-contract-detail": Row("L ok ok 404 404 ok", c),
    "api-contract-complete": Row(POST_ONLY_API, c, post=OUTSIDERS_POST),
    "api-contract-dispute": Row(POST_ONLY_API, c, post=OUTSIDERS_POST,
                                body={"milestone_id": 0, "reason": "Outsider"}),
    "api-contract-milestones": Row("L ok ok 404 404 ok", c, post=OUTSIDERS_POST,
                                   body={"title": "Extra", "amount": "10.00"}),
    "api-milestone-detail": Row("L ok ok 404 404 ok", lambda w: {"pk": w.pending.pk}),
    "api-milestone-fund": Row(POST_ONLY_API, lambda w: {"pk": w.pending.pk}, post=OUTSIDERS_POST,
                              body={"payment_method": "pm_card_visa"}),
    "api-milestone-submit": Row(POST_ONLY_API, lambda w: {"pk": w.submitted.pk}, post=OUTSIDERS_POST),
    "api-milestone-approve": Row(POST_ONLY_API, lambda w: {"pk": w.submitted.pk}, post=OUTSIDERS_POST),
    "api-milestone-request-changes": Row(POST_ONLY_API, lambda w: {"pk": w.submitted.pk}, post=OUTSIDERS_POST),
    "api-milestone-refund": Row(POST_ONLY_API, lambda w: {"pk": w.submitted.pk}, post=OUTSIDERS_POST),
    "api-disputes": Row(SIGNED_IN),
    "api-dispute-detail": Row("L ok ok 404 404 ok", lambda w: {"pk": w.dispute.pk}),
    "api-dispute-messages": Row(POST_ONLY_API, lambda w: {"pk": w.dispute.pk}, post=OUTSIDERS_POST,
                                body={"body": "An outsider writes"}),
    # Only the opener (the client here) withdraws; the other party is refused, staff decide instead.
    "api-dispute-withdraw": Row(POST_ONLY_API, lambda w: {"pk": w.dispute.pk},
                                post=OUTSIDERS_POST | {"freelancer": "no", "staff": "no"}),
    "api-dispute-resolve": Row(POST_ONLY_API, lambda w: {"pk": w.dispute.pk},
                               post=OUTSIDERS_POST | {"client": "no", "freelancer": "no"},
                               body={"resolution": "release"}),
    "api-reviews": Row(PUBLIC),
    # Hourly contracts: the freelancer logs, both parties read; the client disputes or approves; staff resolve.
    "api-contract-time-entries": Row("L ok ok 404 404 ok", lambda w: {"pk": w.hourly.pk},
                                     post=OUTSIDERS_POST | {"client": "403", "staff": "404"},
                                     body={"date": "2026-01-05", "minutes": 30}),
    "api-time-entry-detail": Row(POST_ONLY_API, lambda w: {"pk": w.time_entry.pk}),
    "api-contract-invoices": Row("L ok ok 404 404 ok", lambda w: {"pk": w.hourly.pk}),
    "api-invoice-detail": Row("L ok ok 404 404 ok", lambda w: {"pk": w.invoice.pk}),
    "api-invoice-dispute": Row(POST_ONLY_API, lambda w: {"pk": w.invoice.pk},
                               post=OUTSIDERS_POST | {"freelancer": "403", "staff": "404"}, body={"reason": "x"}),
    "api-invoice-approve": Row(POST_ONLY_API, lambda w: {"pk": w.invoice.pk},
                               post=OUTSIDERS_POST | {"freelancer": "403", "staff": "404"}),
    "api-invoice-resolve": Row(POST_ONLY_API, lambda w: {"pk": w.invoice.pk},
                               post=OUTSIDERS_POST | {"client": "404", "freelancer": "404"},
                               body={"resolution": "release"}),
    "api-payment-methods": Row(SIGNED_IN, post={"anonymous": "L"}, body={"payment_method": "pm_card_visa"}),
    "api-payment-method-detail": Row(POST_ONLY_API, lambda w: {"pk": w.saved_card.pk}),
    # Orders of services: the buyer (client) and the seller (freelancer); staff read them to decide disputes.
    "api-orders": Row(SIGNED_IN, post={"anonymous": "L", "freelancer": "no", "other_freelancer": "no"},
                      body={"service_id": 999999, "tier": "basic"}),
    "api-order": Row("L ok ok 404 404 ok", lambda w: {"pk": w.order.pk}),
    "api-order-pay": Row(POST_ONLY_API, lambda w: {"pk": w.order.pk},
                         post=OUTSIDERS_POST | {"freelancer": "no", "staff": "no"}),
    "api-order-deliver": Row(POST_ONLY_API, lambda w: {"pk": w.order.pk},
                             post=OUTSIDERS_POST | {"client": "no", "staff": "no"}, body={"note": "Outsider"}),
    "api-order-request-revision": Row(POST_ONLY_API, lambda w: {"pk": w.order.pk},
                                      post=OUTSIDERS_POST | {"freelancer": "no", "staff": "no"},
                                      body={"reason": "Outsider"}),
    "api-order-accept": Row(POST_ONLY_API, lambda w: {"pk": w.order.pk},
                            post=OUTSIDERS_POST | {"freelancer": "no", "staff": "no"}),
    "api-order-cancel": Row(POST_ONLY_API, lambda w: {"pk": w.order.pk}, post=OUTSIDERS_POST | {"staff": "no"}),
    "api-order-dispute": Row(POST_ONLY_API, lambda w: {"pk": w.order.pk}, post=OUTSIDERS_POST | {"staff": "no"},
                             body={"reason": "Outsider"}),
    # Nothing to withdraw: no dispute is open on the order.
    "api-order-dispute-withdraw": Row(POST_ONLY_API, lambda w: {"pk": w.order.pk},
                                      post=OUTSIDERS_POST | {"staff": "no", "freelancer": "409"}),
    "api-order-resolve": Row(POST_ONLY_API, lambda w: {"pk": w.order.pk},
                             post=OUTSIDERS_POST | {"client": "404", "freelancer": "404"},
                             body={"resolution": "release"}),
    "api-order-messages": Row(POST_ONLY_API, lambda w: {"pk": w.order.pk}, post=OUTSIDERS_POST,
                              body={"text": "An outsider writes"}),
    "api-order-dispute-messages": Row(POST_ONLY_API, lambda w: {"pk": w.order_dispute_message.dispute.order_id},
                                      post=OUTSIDERS_POST, body={"body": "An outsider writes"}),
    "api-order-disputes": Row(SIGNED_IN),
    "api-payments": Row(SIGNED_IN),
    "api-payment-detail": Row("L ok 404 404 404 404", lambda w: {"pk": w.payment.pk}),
    "api-payment-receipt": Row("L ok 404 404 404 404", lambda w: {"pk": w.payment.pk}),
    "api-payments-summary": Row(SIGNED_IN),
    "api-payments-subscription": Row("L ok 403 ok 403 any"),
    "api-connect-onboard": Row(POST_ONLY_API),
    "api-connect-status": Row("L any any any any any"),
    # Messaging and notifications
    "api-chats": Row(SIGNED_IN),
    "api-chat-stats": Row(SIGNED_IN),
    "api-chat-blocks": Row(POST_ONLY_API),
    "api-chat-detail": Row("L ok ok 404 404 404", lambda w: {"pk": w.chat.pk}),
    "api-chat-messages": Row("L ok ok 404 404 404", lambda w: {"pk": w.chat.pk}, post=OUTSIDERS_POST,
                             body={"content": "An outsider writes"}),
    "api-chat-message-attachment": Row("L ok ok 404 404 404",
                                       lambda w: {"pk": w.chat.pk, "message_id": w.message.pk}),
    "api-chat-read": Row(POST_ONLY_API, lambda w: {"pk": w.chat.pk}, post=OUTSIDERS_POST,
                         body={"message_id": 0}),
    "api-chat-archive": Row(POST_ONLY_API, lambda w: {"pk": w.chat.pk}, post=OUTSIDERS_POST),
    "api-chat-unarchive": Row(POST_ONLY_API, lambda w: {"pk": w.chat.pk}, post=OUTSIDERS_POST),
    "api-notifications": Row(SIGNED_IN),
    "api-notifications-unread": Row(SIGNED_IN),
    "api-notification-preferences": Row(SIGNED_IN),
    "api-notifications-read-all": Row(POST_ONLY_API),
    # Devices for pushes: each member lists and registers their own; a device is its owner's alone.
    "api-devices": Row(SIGNED_IN, post={"anonymous": "L"}, body={"platform": "fcm", "token": "outsider"}),
    "api-device-detail": Row("L ok 404 404 404 404", lambda w: {"pk": w.device.pk}),
    # A socket ticket is the caller's own: anyone signed in may ask for one, nobody else.
    "api-ws-ticket": Row(POST_ONLY_API, post={"anonymous": "L"}),
    # Presence: the whole picture is for staff; whether one person is online, for anyone signed in.
    "api-ws-status": Row(STAFF_ONLY_API),
    "api-ws-online-users": Row(STAFF_ONLY_API),
    "api-ws-user-online": Row(SIGNED_IN, lambda w: {"pk": w.users["freelancer"].pk}),
    "api-notification-read": Row(POST_ONLY_API, lambda w: {"pk": w.notification.pk},
                                 post=OUTSIDERS_POST | {"client": "404"}),
    # Support
    "api-support-tickets": Row(SIGNED_IN),
    "api-support-ticket": Row("L ok 404 404 404 ok", lambda w: {"pk": w.ticket.pk}),
    "api-support-messages": Row(POST_ONLY_API, lambda w: {"pk": w.ticket.pk},
                                post=OUTSIDERS_POST | {"freelancer": "404"}, body={"body": "An outsider"}),
    "api-support-resolve": Row(POST_ONLY_API, lambda w: {"pk": w.ticket.pk},
                               post=OUTSIDERS_POST | {"freelancer": "404"}),
    # Analytics
    "api-analytics-summary": Row(STAFF_ONLY_API),
    "api-analytics-users": Row(STAFF_ONLY_API),
    "api-analytics-projects": Row(STAFF_ONLY_API),
    "api-analytics-revenue": Row(STAFF_ONLY_API),
    "api-analytics-top-clients": Row(STAFF_ONLY_API),
    "api-analytics-top-freelancers": Row(STAFF_ONLY_API),
    "api-analytics-registrations": Row(STAFF_ONLY_API),
    "api-analytics-locations": Row(STAFF_ONLY_API),
    "api-analytics-completion-rates": Row(STAFF_ONLY_API),
    "api-analytics-categories": Row(STAFF_ONLY_API),
    "api-analytics-revenue-trends": Row(STAFF_ONLY_API),
    "api-analytics-payment-methods": Row(STAFF_ONLY_API),
    "api-analytics-freelancer-success": Row(STAFF_ONLY_API),
    "api-analytics-health": Row(STAFF_ONLY_API),
    "api-analytics-engagement": Row(STAFF_ONLY_API),
    "api-analytics-orders": Row(STAFF_ONLY_API),
    # Stripe's webhooks arrive signed; a GET is not one.
    "djstripe:djstripe_webhook_by_uuid": Row("any any any any any any",
                                             lambda w: {"uuid": "00000000-0000-0000-0000-000000000000"}),
}

PARTY_PAGE = "L ok ok 404 404 any"
PAGES: dict[str, Row] = {
    "javascript-catalog": Row(PUBLIC),
    "home": Row(PUBLIC),
    "signup": Row(PUBLIC),
    "login": Row(PUBLIC),
    "login_code": Row("any any any any any any"),
    "logout": Row("any any any any any any"),
    "password_reset": Row("ok any any any any any"),
    "password_reset_sent": Row(PUBLIC),
    "password_reset_confirm": Row("400 any any any any any", lambda w: {"token": "not-a-real-token"}),
    "verify_email": Row("any any any any any any", lambda w: {"token": "not-a-real-token"}),
    "verify_email_resend": Row("405 405 405 405 405 405"),
    # The language switcher: a POST that sets the cookie (and the signed-in person's profile); GET is refused.
    "set_language": Row("405 405 405 405 405 405"),
    "settings_profile": Row(SIGNED_IN),
    "settings_password": Row(SIGNED_IN),
    "settings_security": Row(SIGNED_IN),
    "settings_billing_details": Row(SIGNED_IN, post={"anonymous": "L"}, body={"name": "Someone"}),
    "settings_billing": Row("L ok 403 ok 403 any"),
    "saved_card_add": Row("L 405 405 405 405 405", post={"anonymous": "L"}),
    "saved_card_confirm": Row("L 405 405 405 405 405", post={"anonymous": "L"}),
    "saved_card_remove": Row("L 405 405 405 405 405", lambda w: {"pk": w.saved_card.pk},
                             post={"anonymous": "L", "freelancer": "404", "other_client": "404",
                                   "other_freelancer": "404", "staff": "404"}),
    # Hourly contracts: the timesheet is its two parties'; its forms refuse everyone else.
    "contract_timesheet": Row(PARTY_PAGE, lambda w: {"pk": w.hourly.pk}),
    "time_entry_add": Row("L 405 405 405 405 405", lambda w: {"pk": w.hourly.pk},
                          post=OUTSIDERS_POST | {"staff": "404"}, body={"date": "2026-01-05", "minutes": "30"}),
    "time_entry_edit": Row("L 405 405 405 405 405", lambda w: {"pk": w.hourly.pk, "entry_pk": w.time_entry.pk},
                           post=OUTSIDERS_POST | {"staff": "404"}),
    "time_entry_delete": Row("L 405 405 405 405 405", lambda w: {"pk": w.hourly.pk, "entry_pk": w.time_entry.pk},
                             post=OUTSIDERS_POST | {"staff": "404"}),
    "weekly_limit": Row("L 405 405 405 405 405", lambda w: {"pk": w.hourly.pk},
                        post=OUTSIDERS_POST | {"staff": "404"}, body={"weekly_limit_hours": "5"}),
    "invoice_approve": Row("L 405 405 405 405 405", lambda w: {"pk": w.hourly.pk, "invoice_pk": w.invoice.pk},
                           post=OUTSIDERS_POST | {"staff": "404"}),
    "invoice_dispute": Row("L 405 405 405 405 405", lambda w: {"pk": w.hourly.pk, "invoice_pk": w.invoice.pk},
                           post=OUTSIDERS_POST | {"staff": "404"}, body={"reason": "Outsider"}),
    "invoice_bank_confirm": Row("L 405 405 405 405 405", lambda w: {"pk": w.hourly.pk, "invoice_pk": w.invoice.pk},
                                post=OUTSIDERS_POST | {"staff": "404"}, body={"step": "bank"}),
    "project_list": Row(PUBLIC),
    "project_create": Row("L ok 403 ok 403 403"),
    "project_detail": Row(PUBLIC, lambda w: {"pk": w.open_project.pk}),
    "project_edit": Row("L ok 404 404 404 404", lambda w: {"pk": w.open_project.pk},
                        post=OUTSIDERS_POST | {"freelancer": "404"}, body={"title": "Taken over"}),
    "project_cancel": Row("L 405 405 405 405 405", lambda w: {"pk": w.open_project.pk},
                          post=OUTSIDERS_POST | {"freelancer": "404"}),
    "project_propose": Row("L 405 405 405 405 405", lambda w: {"pk": w.invite_project.pk},
                           post={"anonymous": "L", "client": "403", "other_client": "403"}),
    "proposal_list": Row("L 403 ok 403 ok 403"),
    "proposal_edit": Row("L 404 ok 404 404 404", lambda w: {"pk": w.proposal.pk},
                         post=OUTSIDERS_POST | {"client": "404"}),
    "proposal_accept": Row("L 405 405 405 405 405", lambda w: {"pk": w.proposal.pk},
                           post=OUTSIDERS_POST | {"freelancer": "no"}),
    "proposal_reject": Row("L 405 405 405 405 405", lambda w: {"pk": w.proposal.pk},
                           post=OUTSIDERS_POST | {"freelancer": "no"}),
    "proposal_shortlist": Row("L 405 405 405 405 405", lambda w: {"pk": w.proposal.pk},
                              post=OUTSIDERS_POST | {"freelancer": "no"}),
    "proposal_withdraw": Row("L 405 405 405 405 405", lambda w: {"pk": w.proposal.pk},
                             post=OUTSIDERS_POST | {"client": "no"}),
    "discovery:best_matches": Row("L 403 ok 403 ok 403"),
    "discovery:recommended_invite": Row("L 405 405 405 405 405",
                                        lambda w: {"pk": w.open_project.pk,
                                                   "freelancer_pk": w.users["other_freelancer"].pk},
                                        post=OUTSIDERS_POST | {"freelancer": "404"}),
    "discovery:saved_searches": Row(SIGNED_IN, post={"anonymous": "L"}, body={"name": "Nobody's"}),
    "discovery:saved_search_edit": Row("L 405 405 405 405 405", lambda w: {"pk": w.saved_search.pk},
                                       post=OUTSIDERS_POST | {"client": "404"}, body={"alert": "off"}),
    "discovery:saved_search_delete": Row("L 405 405 405 405 405", lambda w: {"pk": w.saved_search.pk},
                                         post=OUTSIDERS_POST | {"client": "404"}),
    "freelancer_list": Row(PUBLIC),
    "freelancer_detail": Row(PUBLIC, lambda w: {"pk": w.users["freelancer"].pk}),
    "freelancer_invite": Row("L any any any any any", lambda w: {"pk": w.users["other_freelancer"].pk},
                             post={"anonymous": "L", "freelancer": "no", "other_freelancer": "no"},
                             body={"project": 0}),
    "invite_list": Row("L 403 ok 403 ok 403"),
    "invite_decline": Row("L 405 405 405 405 405", lambda w: {"pk": w.invite.pk},
                          post=OUTSIDERS_POST | {"client": "no"}),
    "portfolio": Row("L 403 ok 403 ok 403"),
    "portfolio_delete": Row("L 405 405 405 405 405", lambda w: {"pk": w.portfolio.pk},
                            post=OUTSIDERS_POST | {"client": "no"}),
    "attachment_download": Row("L ok ok ok ok ok", lambda w: {"pk": w.attachment.pk}),
    "service_list": Row(PUBLIC),
    "service_create": Row("L 403 ok 403 ok 403", post={"anonymous": "L", "client": "403", "other_client": "403"},
                          body={"title": "A client cannot sell"}),
    "service_detail": Row(PUBLIC, lambda w: {"pk": w.service.pk}),
    "service_edit": Row("L 404 ok 404 404 404", lambda w: {"pk": w.service.pk},
                        post=OUTSIDERS_POST | {"client": "404"}, body={"title": "Taken over by someone"}),
    "service_status": Row("L 405 405 405 405 405", lambda w: {"pk": w.service.pk},
                          post=OUTSIDERS_POST | {"client": "404"}, body={"action": "pause"}),
    "service_delete": Row("L 405 405 405 405 405", lambda w: {"pk": w.service.pk},
                          post=OUTSIDERS_POST | {"client": "404"}),
    "service_image_delete": Row("L 405 405 405 405 405",
                                lambda w: {"pk": w.service.pk, "image_pk": w.service_image.pk},
                                post=OUTSIDERS_POST | {"client": "404"}),
    "contract_list": Row(SIGNED_IN),
    "contract_detail": Row(PARTY_PAGE, c),
    "contract_complete": Row("L 405 405 405 405 405", c, post=OUTSIDERS_POST),
    "contract_review": Row("L 405 405 405 405 405", c, post=OUTSIDERS_POST, body={"rating": 5}),
    "milestone_add": Row("L 405 405 405 405 405", c, post=OUTSIDERS_POST,
                         body={"title": "Extra", "amount": "10.00"}),
    # Staff deciding a dispute open the parties' evidence and delivered files too.
    "dispute_evidence": Row("L ok ok 404 404 ok", lambda w: {"pk": w.contract.pk, "dispute_pk": w.dispute.pk}),
    "submission_file": Row("L ok ok 404 404 ok",
                           lambda w: {"pk": w.contract.pk, "file_pk": w.submission_file.pk}),
    # The other party is sent back to the contract page with the refusal as a message.
    "dispute_withdraw": Row("L 405 405 405 405 405", lambda w: {"pk": w.contract.pk, "dispute_pk": w.dispute.pk},
                            post=OUTSIDERS_POST | {"freelancer": "302", "staff": "no"}),
    "dispute_detail": Row("L ok ok 404 404 ok", lambda w: {"pk": w.dispute.pk}),
    "dispute_answer": Row("L 405 405 405 405 405", lambda w: {"pk": w.dispute.pk}, post=OUTSIDERS_POST,
                          body={"body": "An outsider writes"}),
    "dispute_resolve": Row("L 405 405 405 405 405", lambda w: {"pk": w.dispute.pk},
                           post=OUTSIDERS_POST | {"client": "404", "freelancer": "404"},
                           body={"resolution": "refund"}),
    "dispute_message_file": Row("L ok ok 404 404 ok",
                                lambda w: {"pk": w.dispute.pk, "message_pk": w.dispute_message.pk}),
    "staff_dispute_list": Row(STAFF_ONLY_PAGE),
    "order_new": Row(SIGNED_IN, lambda w: {"service_pk": w.service.pk},
                     post={"anonymous": "L", "freelancer": "403", "other_freelancer": "403"},
                     body={"tier": "basic", "requirements": "Outsider", "card-card_number": "4242424242424242",
                           "card-exp_month": "12", "card-exp_year": "2034", "card-cvc": "123"}),
    "order_list": Row(SIGNED_IN),
    "order_detail": Row("L ok ok 404 404 ok", lambda w: {"pk": w.order.pk}),
    "order_file": Row("L ok ok 404 404 ok", lambda w: {"pk": w.order.pk, "file_pk": w.order_file.pk}),
    "order_dispute_file": Row("L ok ok 404 404 ok", lambda w: {"pk": w.order_dispute_message.dispute.order_id,
                                                               "message_pk": w.order_dispute_message.pk}),
    "staff_order_dispute_list": Row(STAFF_ONLY_PAGE),
    "order_pay": Row("L 405 405 405 405 405", lambda w: {"pk": w.order.pk}, post=OUTSIDERS_POST),
    "order_pay_confirm": Row("L 405 405 405 405 405", lambda w: {"pk": w.order.pk}, post=OUTSIDERS_POST),
    "order_action": Row("L 405 405 405 405 405", lambda w: {"pk": w.order.pk, "action": "accept"},
                        post=OUTSIDERS_POST),
    "milestone_fund": Row("L 405 405 405 405 405", lambda w: {"pk": w.contract.pk, "milestone_pk": w.pending.pk},
                          post=OUTSIDERS_POST),
    "milestone_fund_confirm": Row("L 405 405 405 405 405",
                                  lambda w: {"pk": w.contract.pk, "milestone_pk": w.pending.pk},
                                  post=OUTSIDERS_POST),
}
for _action in ("milestone_approve", "milestone_dispute", "milestone_refund", "milestone_request_changes",
                "milestone_submit"):
    PAGES[_action] = Row("L 405 405 405 405 405",
                         lambda w: {"pk": w.contract.pk, "milestone_pk": w.submitted.pk}, post=OUTSIDERS_POST)
PAGES.update({
    "messaging:inbox": Row(SIGNED_IN),
    "messaging:chat_start": Row("L any any any any any"),
    "messaging:chat": Row("L ok ok 404 404 404", lambda w: {"chat_id": w.chat.pk},
                          post=OUTSIDERS_POST, body={"content": "An outsider writes"}),
    "messaging:chat_archive": Row("L 405 405 405 405 405", lambda w: {"chat_id": w.chat.pk}, post=OUTSIDERS_POST),
    "messaging:chat_unarchive": Row("L 405 405 405 405 405", lambda w: {"chat_id": w.chat.pk},
                                    post=OUTSIDERS_POST),
    "messaging:message_file": Row("L ok ok 404 404 404",
                                  lambda w: {"chat_id": w.chat.pk, "message_id": w.message.pk}),
    "messaging:notifications": Row(SIGNED_IN),
    "messaging:notification_preferences": Row(SIGNED_IN),
    "messaging:notifications_read_all": Row("L 405 405 405 405 405"),
    "messaging:notification_read": Row("L 405 405 405 405 405", lambda w: {"notification_id": w.notification.pk},
                                       post=OUTSIDERS_POST | {"client": "404"}),
    "messaging:unsubscribe": Row("any any any any any any",
                                 lambda w: {"token": unsubscribe_token(w.users["freelancer"], "message")}),
    "payment_list": Row(SIGNED_IN),
    "payment_export_csv": Row(SIGNED_IN),
    "payments_payouts": Row("L 403 ok 403 ok any"),
    "payment_statements": Row(SIGNED_IN),
    "payment_statement": Row("L ok 404 404 404 404", lambda w: {"month": f"{w.payment.created_at:%Y-%m}"}),
    "payment_statement_pdf": Row("L ok 404 404 404 404", lambda w: {"month": f"{w.payment.created_at:%Y-%m}"}),
    "payment_receipt": Row("L ok 404 404 404 404", lambda w: {"pk": w.payment.pk}),
    "payment_receipt_pdf": Row("L ok 404 404 404 404", lambda w: {"pk": w.payment.pk}),
    "support:tickets": Row(SIGNED_IN),
    "support:ticket": Row("L ok 404 404 404 ok", lambda w: {"ticket_id": w.ticket.pk},
                          post=OUTSIDERS_POST | {"freelancer": "404"}, body={"body": "An outsider"}),
    "support:ticket_resolve": Row("L 405 405 405 405 405", lambda w: {"ticket_id": w.ticket.pk},
                                  post=OUTSIDERS_POST | {"freelancer": "404"}),
    # Each member's own home; staff are sent on to their dashboard.
    "dashboard": Row("L ok ok ok ok 302"),
    "staff_dashboard": Row(STAFF_ONLY_PAGE),
    "staff_dashboard_export": Row(STAFF_ONLY_PAGE, lambda w: {"table": "revenue"}),
})


def routes() -> Iterator[tuple[str, str, URLPattern]]:
    """(name, route, pattern) of every route in the URL conf, with namespaces."""
    def walk(patterns: list, prefix: str, namespace: str) -> Iterator[tuple[str, str, URLPattern]]:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                inner = ":".join(part for part in (namespace, pattern.namespace or "") if part)
                yield from walk(pattern.url_patterns, prefix + str(pattern.pattern), inner)
            else:
                name = f"{namespace}:{pattern.name or '?'}" if namespace else (pattern.name or "")
                yield name, prefix + str(pattern.pattern), pattern

    yield from walk(get_resolver().url_patterns, "", "")


def _fingerprint() -> dict[str, tuple]:
    """Row counts and latest changes of every table of the product's apps."""
    seen: dict[str, tuple] = {}
    for label in ("accounts", "marketplace", "contracts", "payments", "messaging", "support", "gigs",
                  "discovery"):
        for model in apps.get_app_config(label).get_models():
            query = model.objects.all()
            names = {f.name for f in model._meta.concrete_fields}
            stamp = query.aggregate(last=Max("updated_at"))["last"] if "updated_at" in names else None
            seen[model._meta.label] = (query.count(), stamp)
    return seen


def _admin_row(name: str, route: str) -> Row | None:
    """The admin: staff only. Members and visitors are sent to the admin's sign-in page."""
    if not name.startswith("admin:"):
        return None
    if name in ("admin:login", "admin:logout", "admin:jsi18n"):
        return Row("any any any any any any")
    if name == "admin:view_on_site":
        return Row("302 302 302 302 302 any", lambda w: {"content_type_id": "1", "object_id": "1"})
    # Staff open the admin's lists (the other admin pages are the admin's own tests' business).
    staff = "ok" if name.endswith("_changelist") or name in ("admin:index", "admin:app_list") else "-"
    return Row(f"302 302 302 302 302 {staff}")


def _admin_kwargs(pattern: URLPattern, name: str, w: World) -> dict[str, str]:
    kwargs: dict[str, str] = {}
    for key in pattern.pattern.regex.groupindex:
        if key == "object_id" or key == "pk":
            kwargs[key] = str(w.users["client"].pk if "user" in name else 1)
        elif key == "app_label":
            kwargs[key] = "marketplace"
        elif key == "action_name":
            kwargs[key] = "_sync_all_instances"
        elif key == "model_name":
            kwargs[key] = "all"
        else:
            kwargs[key] = "1"
    return kwargs


def _path(route: str, kwargs: dict[str, Any]) -> str:
    """The address of a route (the whole route, prefixes included) with these path parameters."""
    return "/" + re.sub(r"<(?:\w+:)?(\w+)>", lambda match: str(kwargs[match.group(1)]), route)


def _status_ok(expect: Expect, status: int, api: bool, location: str) -> bool:
    if status >= 500:
        return False
    if "|" in expect:
        return any(_status_ok(one, status, api, location) for one in expect.split("|"))
    if expect == "any":
        return True
    if expect == "ok":
        return 200 <= status < 300
    if expect == "L":
        return status == 401 if api else (status == 302 and location.startswith("/login/"))
    if expect == "no":
        return status in (403, 404)
    if expect == "302" and not api:
        return status == 302
    return status == int(expect)


def test_every_route_answers_each_caller_as_its_row_says(stripe_emulator: Any, settings: Any, capsys: Any) -> None:
    world = build_world(stripe_emulator.url, settings)
    tokens = {role: login_issue(user=user)["access_token"] for role, user in world.users.items()}
    api_clients: dict[str, APIClient] = {}
    page_clients: dict[str, Client] = {}
    for role in (*ROLES, "suspended"):
        api = APIClient()
        page = Client()
        if role != "anonymous":
            user = world.users[role]
            api.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens[role]}")
            page.force_login(user)
        api_clients[role] = api
        page_clients[role] = page
    # Suspended after signing in: the tokens and the session they hold must stop working at once.
    account_services.user_set_active(user=world.users["suspended"], active=False)

    missing: list[str] = []
    wrong: list[str] = []
    tried_routes = 0
    tried_gets = 0
    tried_posts = 0
    for name, route, pattern in routes():
        row: Row | None
        api = route.startswith("api/")
        if route.startswith("^admin/") and not name.startswith("admin:"):
            row = Row("301 301 301 301 301 301", lambda w: {"rest": "supportticket/"})
            address = "/admin/messaging/supportticket/"
        elif route.startswith("^media/"):
            continue  # files on the local disk of development; private attachments are never served there
        else:
            row = (API if api else PAGES).get(name) or _admin_row(name, route)
            address = ""
        if row is None:
            if name.startswith("devtools") or route.startswith("dev/"):
                continue  # development only, not installed in production
            missing.append(f"{name or '(unnamed)'} {route}")
            continue
        if not address:
            kwargs = _admin_kwargs(pattern, name, world) if name.startswith("admin:") else row.kwargs(world)
            address = _path(route, kwargs) if name != "admin:app_list" else "/admin/marketplace/"
        tried_routes += 1
        expectations = dict(zip(ROLES, row.get.split(), strict=True))
        roles = list(ROLES) + ["suspended"]
        if name.startswith("admin:"):
            roles = ["anonymous", "client", "staff"]
        for role in roles:
            expect = expectations.get(role) or expectations["anonymous"]
            if role == "suspended" and api and expect != "L":
                expect = f"401|{expect}"  # public endpoints may ignore the revoked token or refuse it
            if expect == "-":
                continue
            caller = api_clients[role] if api else page_clients[role]
            response = caller.get(address)
            tried_gets += 1
            location = response.get("Location", "")
            if not _status_ok(expect, response.status_code, api, location):
                wrong.append(f"GET {address} as {role}: {response.status_code} (expected {expect})")
        for role, expect in row.post.items():
            before = _fingerprint()
            callers = [role] + (["suspended"] if role == "anonymous" else [])
            for who in callers:
                caller = api_clients[who] if api else page_clients[who]
                response = caller.post(address, row.body, format="json") if api else caller.post(address, row.body)
                tried_posts += 1
                expected = "401" if who == "suspended" and api else expect
                location = response.get("Location", "")
                if not _status_ok(expected, response.status_code, api, location):
                    wrong.append(f"POST {address} as {who}: {response.status_code} (expected {expected})")
            after = _fingerprint()
            changed = [label for label in after if after[label] != before[label]]
            if changed:
                wrong.append(f"POST {address} as {role} changed {', '.join(changed)}")

    with capsys.disabled():
        print(f"\nauthorisation matrix: {tried_routes} routes, {tried_gets} GETs and {tried_posts} refused writes "
              f"({tried_gets + tried_posts} requests) as {len(ROLES) + 1} kinds of caller")
    assert not missing and not wrong, "routes without a row in the authorisation matrix:\n" + "\n".join(missing) + \
        f"\n{len(wrong)} answers differ from the matrix:\n" + "\n".join(wrong)
    assert not wrong, f"{len(wrong)} answers differ from the matrix:\n" + "\n".join(wrong)
