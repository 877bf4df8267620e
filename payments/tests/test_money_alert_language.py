"""Money alerts reach each staff member in their own language: a chargeback Stripe reports is told to a German-,
a Spanish- and an English-speaking staff member, in the app and by e-mail, each in theirs, whatever language
was active when the event came in."""

import pytest
from django.utils import translation
from django.utils.translation import gettext

from contracts.tests.test_stripe_facts import deliver, events, funded, priced, wait_events  # noqa: F401
from core.money import money_text
from messaging.models import Notification

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("stripe_clean")]


def expected_title(language: str) -> str:
    with translation.override(language):
        return gettext("Chargeback of %(amount)s opened") % {"amount": money_text(64_000, "usd")}


def test_a_chargeback_is_told_to_each_staff_member_in_their_language(
        funded, client, events, priced, staff_user, make_user,  # noqa: F811
        django_capture_on_commit_callbacks, mailoutbox) -> None:
    german = make_user("", is_staff=True, language="de")
    spanish = make_user("", is_staff=True, language="es")
    staff_user.language = "en"
    staff_user.save(update_fields=["language"])

    dispute = priced.request("POST", f"/_config/charges/{funded['charge']}/dispute", [("reason", "fraudulent")])
    mailoutbox.clear()
    with translation.override("es"), django_capture_on_commit_callbacks(execute=True):
        deliver(client, wait_events(events, "charge.dispute.created", dispute["id"]))

    alerts = {alert.user_id: alert for alert in Notification.objects.filter(kind="money_alert")}
    assert set(alerts) == {german.pk, spanish.pk, staff_user.pk}

    to_german = alerts[german.pk]
    assert to_german.title == expected_title("de") != expected_title("en")
    assert to_german.title.startswith("Rückbuchung über 640,00")
    assert to_german.message == (f"Der Karteninhaber hat die Zahlung {funded['intent']} bei seiner Bank angefochten "
                                 f"(Rückbuchung {dispute['id']}, Grund: fraudulent).")
    assert alerts[spanish.pk].title == expected_title("es")
    assert alerts[spanish.pk].title.startswith("Contracargo de 640,00")
    assert alerts[spanish.pk].message.startswith("El titular de la tarjeta reclamó el pago")
    assert alerts[staff_user.pk].title == "Chargeback of 640.00 USD opened"
    assert alerts[staff_user.pk].message.startswith("The card holder disputed payment")

    emails = {message.to[0]: message for message in mailoutbox}
    # Subjects are one plain line: the no-break space between the amount and the currency becomes a space.
    assert emails[german.email].subject.startswith("Braucht Aufmerksamkeit: ")
    assert to_german.title.replace("\u00a0", " ") in emails[german.email].subject
    assert "Needs attention" not in emails[german.email].subject
    assert to_german.message in emails[german.email].body
    assert emails[staff_user.email].subject == f"Needs attention: {alerts[staff_user.pk].title}"
