"""The Monday job closes last week's hours outside any request: the Spanish client reads that the week's
invoice is ready in Spanish, the German freelancer that the week is closed in German."""

import pytest
import time_machine
from django.utils import translation

from contracts import hourly
from core.models import OutboundEmail
from messaging.models import Notification

from .hourly_helpers import at, make_hourly_contract

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("stripe_clean")]

NBSP = "\u00a0"


def test_the_monday_job_tells_each_party_in_their_own_language(make_user, client_for) -> None:
    client_user = make_user("client", language="es", first_name="Lucía")
    freelancer_user = make_user("freelancer", language="de")
    with time_machine.travel(at(2), tick=False):
        contract = make_hourly_contract(client_user, freelancer_user, "47.35")
        saved = client_for(client_user).post("/api/payments/methods", {"payment_method": "pm_card_visa"},
                                             format="json")
        assert saved.status_code == 201
        logged = client_for(freelancer_user).post(f"/api/contracts/{contract.pk}/time-entries",
                                                  {"date": "2026-11-02", "minutes": 90}, format="json")
        assert logged.status_code == 201
    with time_machine.travel(at(9, 6), tick=False), translation.override(None):
        assert hourly.weeks_close_due() == {"closed": 1}

    to_client = Notification.objects.get(user=client_user, kind="payment_received")
    assert to_client.title == f"Horas de la semana del 02 noviembre: 71,03{NBSP}US$"
    assert to_client.message.startswith("1,50 horas facturables.")
    email = OutboundEmail.objects.get(to_email=client_user.email, template="hourly_invoice")
    assert email.body_text.startswith("Hola, Lucía:")
    assert "02 noviembre 2026" in email.body_text

    to_freelancer = Notification.objects.get(user=freelancer_user, kind="payment_received")
    assert to_freelancer.title == "Ihre Woche vom 02 November ist abgeschlossen: 1,50 abrechenbare Stunden"
