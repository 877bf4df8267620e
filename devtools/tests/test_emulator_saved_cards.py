"""The Stripe emulator's saved cards, through the real `stripe` SDK as Stripe documents them: a SetupIntent that
succeeds attaches its card to the customer (after 3-D Secure when the bank asks), and an off-session
PaymentIntent is refused with `authentication_required` when the bank wants the card holder."""

import pytest
import stripe

from tests.helpers.stripe_emulator import StripeEmulator


def customer() -> stripe.Customer:
    return stripe.Customer.create(email="client@example.com")


def saved(customer_id: str, payment_method: str) -> stripe.SetupIntent:
    intent = stripe.SetupIntent.create(customer=customer_id, usage="off_session", payment_method_types=["card"])
    return stripe.SetupIntent.confirm(intent.id, payment_method=payment_method)


def test_a_succeeded_setup_intent_attaches_the_card_to_its_customer(stripe_clean: StripeEmulator) -> None:
    person = customer()
    intent = saved(person.id, "pm_card_visa")
    assert intent.status == "succeeded"
    method = stripe.PaymentMethod.retrieve(intent.payment_method)
    assert method.customer == person.id and method.card.last4 == "4242"
    listed = stripe.PaymentMethod.list(customer=person.id, type="card")
    assert [m.id for m in listed.data] == [method.id]


def test_a_card_whose_bank_asks_is_attached_only_after_the_check(stripe_clean: StripeEmulator) -> None:
    person = customer()
    intent = saved(person.id, "pm_card_authenticationRequired")
    assert intent.status == "requires_action" and intent.next_action is not None
    assert stripe.PaymentMethod.retrieve(intent.payment_method).customer is None
    with pytest.raises(stripe.AuthenticationError):
        stripe.SetupIntent._static_request("post", f"/v1/setup_intents/{intent.id}/_authenticate",
                                           params={"client_secret": "seti_wrong", "success": "true"})
    done = stripe.SetupIntent._static_request("post", f"/v1/setup_intents/{intent.id}/_authenticate",
                                              params={"client_secret": intent.client_secret, "success": "true"})
    assert done.status == "succeeded"
    assert stripe.PaymentMethod.retrieve(intent.payment_method).customer == person.id


def test_a_failed_check_leaves_the_setup_intent_without_a_card(stripe_clean: StripeEmulator) -> None:
    intent = saved(customer().id, "pm_card_authenticationRequired")
    failed = stripe.SetupIntent._static_request("post", f"/v1/setup_intents/{intent.id}/_authenticate",
                                                params={"client_secret": intent.client_secret, "success": "false"})
    assert failed.status == "requires_payment_method" and failed.payment_method is None
    assert failed.last_setup_error["code"] == "setup_intent_authentication_failure"


def test_off_session_charges_of_a_card_that_needs_the_holder_are_refused(stripe_clean: StripeEmulator) -> None:
    person = customer()
    card = saved(person.id, "pm_card_authenticationRequired")
    stripe.SetupIntent._static_request("post", f"/v1/setup_intents/{card.id}/_authenticate",
                                       params={"client_secret": card.client_secret, "success": "true"})
    with pytest.raises(stripe.CardError) as refused:
        stripe.PaymentIntent.create(amount=5000, currency="usd", customer=person.id,
                                    payment_method=card.payment_method, confirm=True, off_session=True,
                                    metadata={"invoice_id": "7"})
    assert refused.value.code == "authentication_required"
    intent = refused.value.error.payment_intent
    assert intent["status"] == "requires_payment_method"
    assert intent["last_payment_error"]["code"] == "authentication_required"
    # On-session, the same card asks the holder (3-D Secure) instead.
    on_session = stripe.PaymentIntent.create(amount=5000, currency="usd", customer=person.id,
                                             payment_method=card.payment_method, confirm=True)
    assert on_session.status == "requires_action"


def test_a_card_set_up_for_off_session_use_is_charged_without_the_holder(stripe_clean: StripeEmulator) -> None:
    person = customer()
    card = saved(person.id, "pm_card_authenticationRequiredSetupForOffSession")
    stripe.SetupIntent._static_request("post", f"/v1/setup_intents/{card.id}/_authenticate",
                                       params={"client_secret": card.client_secret, "success": "true"})
    charged = stripe.PaymentIntent.create(amount=5000, currency="usd", customer=person.id,
                                          payment_method=card.payment_method, confirm=True, off_session=True)
    assert charged.status == "succeeded"


def test_saved_cards_that_decline_are_declined_off_session(stripe_clean: StripeEmulator) -> None:
    person = customer()
    with pytest.raises(stripe.CardError):
        saved(person.id, "pm_card_chargeDeclined")  # refused when saved
    card = saved(person.id, "pm_card_chargeCustomerFail")  # saved, then declined when charged
    assert card.status == "succeeded"
    with pytest.raises(stripe.CardError) as declined:
        stripe.PaymentIntent.create(amount=5000, currency="usd", customer=person.id,
                                    payment_method=card.payment_method, confirm=True, off_session=True)
    assert declined.value.code == "card_declined"
