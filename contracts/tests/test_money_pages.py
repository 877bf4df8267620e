"""The contract page's milestones and the payments pages, through Django's test client against the Stripe
emulator: add, fund (good, declined and 3-D Secure cards), submit with files, ask for changes, approve and pay,
refund, dispute; the payments list, receipts (page and PDF) and the freelancer's payout account."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from contracts.models import Contract, Dispute, Milestone, SubmissionFile
from contracts.tests.factories import make_contract
from payments.models import ConnectedAccount, Payment
from payments.stripe_client import sdk as stripe_sdk
from tests.helpers.money import DECLINED_CARD, THREE_D_SECURE_CARD
from tests.helpers.pages import assert_accessible_page

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("stripe_clean")]

GOOD_CARD = "4242 4242 4242 4242"


@pytest.fixture
def contract(client_user, freelancer_user) -> Contract:
    return make_contract(client_user, freelancer_user)


def browser_for(user) -> Client:
    browser = Client()
    browser.force_login(user)
    return browser


@pytest.fixture
def client_browser(client_user) -> Client:
    return browser_for(client_user)


@pytest.fixture
def freelancer_browser(freelancer_user) -> Client:
    return browser_for(freelancer_user)


@pytest.fixture
def stranger_browser(make_user) -> Client:
    return browser_for(make_user("client"))


def page_of(contract: Contract) -> str:
    return f"/contracts/{contract.pk}/"


def milestone_url(milestone: Milestone, action: str) -> str:
    return f"/contracts/{milestone.contract_id}/milestones/{milestone.pk}/{action}/"


def text_of(response) -> str:
    """The page's text with tags and runs of white space collapsed, as a person reads it."""
    html = response.content.decode()
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).replace("&#x27;", "'").replace("&amp;", "&")


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def add(browser: Client, contract: Contract, amount: str = "1000.00", title: str = "Designs for the home page"
        ) -> Milestone:
    response = browser.post(f"/contracts/{contract.pk}/milestones/", {
        "milestone-title": title, "milestone-description": "Three options in Figma.",
        "milestone-amount": amount, "milestone-due_date": "2099-01-31"})
    assert response.status_code == 302, response.content.decode()[:2000]
    return Milestone.objects.filter(contract=contract).latest("id")


def fund(browser: Client, milestone: Milestone, number: str = GOOD_CARD, follow: bool = True):
    prefix = f"m{milestone.pk}-fund-"
    return browser.post(milestone_url(milestone, "fund"), {
        f"{prefix}card_number": number, f"{prefix}exp_month": "12", f"{prefix}exp_year": "2034",
        f"{prefix}cvc": "123"}, follow=follow)


def submit(browser: Client, milestone: Milestone, note: str = "All three designs are attached.", files=()):
    data = {f"m{milestone.pk}-submit-note": note}
    if files:
        data[f"m{milestone.pk}-submit-files"] = list(files)
    return browser.post(milestone_url(milestone, "submit"), data, follow=True)


def funded_milestone(client_browser: Client, contract: Contract) -> Milestone:
    milestone = add(client_browser, contract)
    fund(client_browser, milestone)
    milestone.refresh_from_db()
    assert milestone.status == "funded"
    return milestone


def submitted_milestone(client_browser: Client, freelancer_browser: Client, contract: Contract) -> Milestone:
    milestone = funded_milestone(client_browser, contract)
    submit(freelancer_browser, milestone)
    milestone.refresh_from_db()
    assert milestone.status == "submitted"
    return milestone


# --- adding milestones --------------------------------------------------------------------------


def test_the_client_adds_a_milestone_and_sees_its_fee_and_what_the_freelancer_receives(
        contract, client_browser, freelancer_browser):
    page = client_browser.get(page_of(contract))
    assert page.status_code == 200
    assert_accessible_page(page)
    assert "Add a milestone" in text_of(page)

    response = client_browser.post(f"/contracts/{contract.pk}/milestones/", {
        "milestone-title": "Designs for the home page", "milestone-description": "Three options in Figma.",
        "milestone-amount": "1000.00", "milestone-due_date": "2099-01-31"}, follow=True)
    milestone = Milestone.objects.get(contract=contract)
    assert (milestone.title, str(milestone.amount), milestone.currency, str(milestone.due_date)) == (
        "Designs for the home page", "1000.00", "usd", "2099-01-31")
    assert response.redirect_chain[-1][0].endswith(f"/contracts/{contract.pk}/#milestone-{milestone.pk}")
    assert any("is added for 1,000.00 USD" in message for message in messages_of(response))
    text = text_of(response)
    for expected in ("Designs for the home page", "Amount 1,000.00 USD", "Platform fee (10%) 100.00 USD",
                     "Freelancer receives 900.00 USD", "Due date 31 January 2099", "Status Waiting for funding",
                     "Auto-approval 14 days after the work is submitted", "Fund this milestone"):
        assert expected in text, expected
    assert_accessible_page(response)

    # The freelancer sees it, and the fee, but no form to fund or add.
    page = freelancer_browser.get(page_of(contract))
    text = text_of(page)
    assert "Freelancer receives 900.00 USD" in text and "Waiting for" in text
    assert "Add a milestone" not in text and "Fund milestone" not in text
    assert_accessible_page(page)


def test_a_milestone_needs_a_title_and_a_positive_amount(contract, client_browser):
    response = client_browser.post(f"/contracts/{contract.pk}/milestones/", {
        "milestone-title": "", "milestone-amount": "-5", "milestone-due_date": "2001-01-01"})
    assert response.status_code == 400
    text = text_of(response)
    assert "This field is required." in text
    assert "Ensure this value is greater than or equal to 0.50." in text
    assert "Choose today or a later date." in text
    assert not Milestone.objects.exists()
    assert_accessible_page(response)


def test_the_freelancer_cannot_add_milestones(contract, freelancer_browser):
    response = freelancer_browser.post(f"/contracts/{contract.pk}/milestones/", {
        "milestone-title": "Pay me", "milestone-amount": "10.00"}, follow=True)
    assert "Only the client can do this." in messages_of(response)
    assert not Milestone.objects.exists()


# --- funding ------------------------------------------------------------------------------------


def test_funding_with_the_test_card_puts_the_milestone_in_escrow(contract, client_browser, freelancer_browser):
    milestone = add(client_browser, contract)
    page = client_browser.get(page_of(contract))
    html = page.content.decode()
    for label in ("Card number", "Expiry month (MM)", "Expiry year (YYYY)", "Security code (CVC)"):
        assert re.search(rf'<label for="id_m{milestone.pk}-fund-[a-z_]+">{re.escape(label)}</label>', html), label
    assert f'name="m{milestone.pk}-fund-card_number"' in html
    assert 'value="4242' not in html  # nothing prefilled

    response = fund(client_browser, milestone)
    milestone.refresh_from_db()
    assert milestone.status == "funded" and milestone.funded_at is not None
    assert any("is funded: 1,000.00 USD is held in escrow" in message for message in messages_of(response))
    text = text_of(response)
    assert "Status Funded (in escrow)" in text and "In escrow now 1,000.00 USD" in text
    assert "Fund milestone" not in text
    assert "4242" not in response.content.decode().replace("4242 4242 4242 4242 with", "")
    funding = Payment.objects.get(kind="funding")
    assert (funding.user_id, funding.amount, funding.milestone_id) == (contract.client_id, 100000, milestone.pk)

    # The freelancer now sees the work can start, with a form to submit it.
    page = freelancer_browser.get(page_of(contract))
    text = text_of(page)
    assert "Funded (in escrow)" in text and "Submit your work" in text and "Refund to the client" in text
    assert "Open a dispute" in text
    assert_accessible_page(page)


def test_a_declined_card_says_so_and_leaves_the_milestone_pending(contract, client_browser):
    milestone = add(client_browser, contract)
    response = fund(client_browser, milestone, DECLINED_CARD)
    # Said inside the funding form (not in the banner), and the page opens at that form.
    assert response.status_code == 402
    html = response.content.decode()
    errors = html[html.index(f'id="fund-{milestone.pk}-errors"'):]
    assert "Your card was declined. The milestone is not funded." in errors[:400]
    assert f'aria-describedby="fund-{milestone.pk}-errors"' in html
    assert f'action="/contracts/{contract.pk}/milestones/{milestone.pk}/fund/#fund-{milestone.pk}"' in html
    milestone.refresh_from_db()
    assert milestone.status == "pending"
    assert not Payment.objects.exists()
    text = text_of(response)
    assert "Status Waiting for funding" in text and "Fund milestone" in text
    assert "Confirm with my bank" not in text

    # Another card then works.
    fund(client_browser, milestone)
    milestone.refresh_from_db()
    assert milestone.status == "funded"


def test_a_card_number_the_emulator_refuses_is_shown_next_to_the_field(contract, client_browser):
    milestone = add(client_browser, contract)
    response = fund(client_browser, milestone, "1234", follow=False)
    assert response.status_code == 400
    assert "Enter the card number: 13 to 19 digits." in text_of(response)
    assert_accessible_page(response)


def test_three_d_secure_asks_the_bank_then_the_confirmation_funds_it(contract, client_browser):
    milestone = add(client_browser, contract)
    response = fund(client_browser, milestone, THREE_D_SECURE_CARD)
    assert any(message.startswith("Your bank asks you to confirm") for message in messages_of(response))
    milestone.refresh_from_db()
    assert milestone.status == "pending" and milestone.payment_intent_id
    text = text_of(response)
    assert "Your bank asks you to confirm this payment" in text
    assert "Confirm with my bank (test)" in text

    response = client_browser.post(milestone_url(milestone, "fund/confirm"), follow=True)
    milestone.refresh_from_db()
    assert milestone.status == "funded"
    assert any("is funded" in message for message in messages_of(response))
    assert Payment.objects.filter(kind="funding", milestone_id=milestone.pk).count() == 1
    assert "Confirm with my bank" not in text_of(response)

    # Pressing it again changes nothing.
    response = client_browser.post(milestone_url(milestone, "fund/confirm"), follow=True)
    assert any("already funded" in message for message in messages_of(response))
    assert Payment.objects.filter(kind="funding").count() == 1


def test_with_real_keys_the_page_uses_stripe_elements_and_confirms_the_client_secret(
        contract, client_browser, settings):
    milestone = add(client_browser, contract)
    settings.STRIPE_API_BASE = ""  # as with real keys (the SDK still reaches the emulator in this test)
    page = client_browser.get(page_of(contract))
    html = page.content.decode()
    assert "https://js.stripe.com/v3/" in html and f'id="card-element-{milestone.pk}"' in html
    assert "card_number" not in html
    assert_accessible_page(page)

    # What the page's script does: ask for the client secret, confirm it (Stripe.js), then have it recorded.
    answer = client_browser.post(milestone_url(milestone, "fund"), HTTP_ACCEPT="application/json").json()
    assert answer["status"] == "requires_payment_method" and answer["client_secret"]
    intent_id = answer["client_secret"].split("_secret_")[0]
    stripe_sdk().PaymentIntent.modify(intent_id, payment_method="pm_card_visa")
    stripe_sdk().PaymentIntent.confirm(intent_id)
    response = client_browser.post(answer["confirm_url"], follow=True)
    milestone.refresh_from_db()
    assert milestone.status == "funded"
    assert any("is funded" in message for message in messages_of(response))


def test_with_real_keys_and_no_javascript_the_page_says_what_is_needed(contract, client_browser, settings):
    milestone = add(client_browser, contract)
    settings.STRIPE_API_BASE = ""
    response = client_browser.post(milestone_url(milestone, "fund"), {}, follow=True)
    assert "Stripe's card form needs JavaScript: turn it on in your browser to pay by card." in messages_of(response)
    milestone.refresh_from_db()
    assert milestone.status == "pending" and not milestone.payment_intent_id


def test_only_the_client_funds(contract, client_browser, freelancer_browser):
    milestone = add(client_browser, contract)
    response = fund(freelancer_browser, milestone)
    assert "Only the client can do this." in messages_of(response)
    milestone.refresh_from_db()
    assert milestone.status == "pending"


# --- the work -----------------------------------------------------------------------------------


def test_the_freelancer_submits_work_with_a_file_and_both_parties_can_download_it(
        contract, client_browser, freelancer_browser, stranger_browser):
    milestone = funded_milestone(client_browser, contract)
    report = SimpleUploadedFile("designs.pdf", b"%PDF-1.4\n% the designs\n", content_type="application/pdf")
    response = submit(freelancer_browser, milestone, "Three designs, see the PDF.", [report])
    assert any("is submitted" in message for message in messages_of(response))
    milestone.refresh_from_db()
    assert milestone.status == "submitted" and milestone.auto_release_at is not None
    stored = SubmissionFile.objects.get(submission__milestone=milestone)
    assert stored.original_name == "designs.pdf"

    page = client_browser.get(page_of(contract))
    text = text_of(page)
    assert "Three designs, see the PDF." in text and "designs.pdf" in text
    assert f"Auto-approval {milestone.auto_release_at:%-d %B %Y}" in text
    assert "Approve and pay" in text and "Request changes" in text
    assert_accessible_page(page)
    link = f"/contracts/{contract.pk}/files/{stored.pk}/"
    assert link in page.content.decode()
    download = client_browser.get(link)
    assert download.status_code == 200 and b"".join(download.streaming_content).startswith(b"%PDF")
    assert 'filename="designs.pdf"' in download["Content-Disposition"]
    assert freelancer_browser.get(link).status_code == 200
    assert stranger_browser.get(link).status_code == 404
    # A file of another contract is not reachable through this one.
    other = make_contract(contract.client, contract.freelancer)
    assert client_browser.get(f"/contracts/{other.pk}/files/{stored.pk}/").status_code == 404


def test_submitting_needs_a_note_or_a_file(contract, client_browser, freelancer_browser):
    milestone = funded_milestone(client_browser, contract)
    response = freelancer_browser.post(milestone_url(milestone, "submit"), {f"m{milestone.pk}-submit-note": " "})
    assert response.status_code == 400
    assert "Add a note or a file describing what you delivered." in text_of(response)
    milestone.refresh_from_db()
    assert milestone.status == "funded"


def test_the_client_asks_for_changes_and_the_freelancer_sees_them(contract, client_browser, freelancer_browser):
    milestone = submitted_milestone(client_browser, freelancer_browser, contract)
    empty = client_browser.post(milestone_url(milestone, "request-changes"), {f"m{milestone.pk}-changes-note": ""})
    assert empty.status_code == 400 and "This field is required." in text_of(empty)

    response = client_browser.post(milestone_url(milestone, "request-changes"),
                                   {f"m{milestone.pk}-changes-note": "Make the logo larger."}, follow=True)
    assert any("You asked for changes" in message for message in messages_of(response))
    milestone.refresh_from_db()
    assert milestone.status == "funded" and milestone.auto_release_at is None
    text = text_of(freelancer_browser.get(page_of(contract)))
    assert "Changes requested" in text and "Make the logo larger." in text and "Submit your work" in text


def test_approving_releases_the_money_less_the_fee(contract, client_browser, freelancer_browser):
    milestone = submitted_milestone(client_browser, freelancer_browser, contract)
    response = client_browser.post(milestone_url(milestone, "approve"), follow=True)
    assert (f"You approved “{milestone.title}”: 1,000.00 USD is released to {contract.freelancer.get_full_name()}, "
            "who receives 900.00 USD after the 10% platform fee of 100.00 USD.") in messages_of(response)
    milestone.refresh_from_db()
    assert milestone.status == "released"
    text = text_of(response)
    assert "Status Approved and paid" in text and "In escrow now 0.00 USD" in text
    assert "Approve and pay" not in text
    release = Payment.objects.get(kind="release")
    assert (release.user_id, release.amount, release.payout_status) == (contract.freelancer_id, 90000, "held")

    # Twice is refused with a message, and pays nothing more.
    again = client_browser.post(milestone_url(milestone, "approve"), follow=True)
    assert "This milestone is already approved and paid." in messages_of(again)
    assert Payment.objects.filter(kind="release").count() == 1
    # The freelancer cannot approve their own work.
    assert freelancer_browser.post(milestone_url(milestone, "approve")).status_code == 302


def test_either_party_opens_a_dispute_with_evidence(contract, client_browser, freelancer_browser,
                                                      stranger_browser):
    milestone = submitted_milestone(client_browser, freelancer_browser, contract)
    evidence = SimpleUploadedFile("chat.txt", b"He promised five designs.", content_type="text/plain")
    response = client_browser.post(milestone_url(milestone, "dispute"), {
        f"m{milestone.pk}-dispute-reason": "Only three of five designs were delivered.",
        f"m{milestone.pk}-dispute-evidence": evidence}, follow=True)
    assert any(message.startswith("A dispute is open on") for message in messages_of(response))
    milestone.refresh_from_db()
    contract.refresh_from_db()
    assert milestone.status == "disputed" and contract.status == "disputed"
    dispute = Dispute.objects.get(milestone=milestone)
    assert dispute.opened_by_id == contract.client_id and dispute.evidence

    text = text_of(freelancer_browser.get(page_of(contract)))
    assert "In dispute" in text and "Only three of five designs were delivered." in text
    assert "Submit your work" not in text and "Refund to the client" not in text
    evidence_url = f"/contracts/{contract.pk}/disputes/{dispute.pk}/evidence/"
    assert freelancer_browser.get(evidence_url).status_code == 200
    assert stranger_browser.get(evidence_url).status_code == 404


def test_a_dispute_needs_a_reason(contract, client_browser):
    milestone = funded_milestone(client_browser, contract)
    response = client_browser.post(milestone_url(milestone, "dispute"), {f"m{milestone.pk}-dispute-reason": ""})
    assert response.status_code == 400 and "This field is required." in text_of(response)
    assert not Dispute.objects.exists()


def test_the_freelancer_refunds_a_funded_milestone(contract, client_browser, freelancer_browser):
    milestone = funded_milestone(client_browser, contract)
    refused = client_browser.post(milestone_url(milestone, "refund"), {}, follow=True)
    assert any("asked" in m and "stays in escrow" in m for m in messages_of(refused))
    assert "Refund to the client" not in text_of(refused)

    response = freelancer_browser.post(milestone_url(milestone, "refund"),
                                      {f"m{milestone.pk}-refund-note": "I cannot do this after all."}, follow=True)
    assert any("You refunded 1,000.00 USD" in message for message in messages_of(response))
    milestone.refresh_from_db()
    assert milestone.status == "refunded"
    refund = Payment.objects.get(kind="refund")
    assert (refund.user_id, refund.amount) == (contract.client_id, 100000)
    assert "Status Refunded" in text_of(response)


def test_people_outside_the_contract_get_404_everywhere(contract, client_browser, stranger_browser, staff_user):
    milestone = funded_milestone(client_browser, contract)
    assert stranger_browser.get(page_of(contract)).status_code == 404
    assert browser_for(staff_user).get(page_of(contract)).status_code == 404
    for action in ("fund", "fund/confirm", "submit", "request-changes", "approve", "refund", "dispute"):
        assert stranger_browser.post(milestone_url(milestone, action), {}).status_code == 404, action
    assert stranger_browser.post(f"/contracts/{contract.pk}/milestones/", {}).status_code == 404
    # A milestone of another contract is not reachable through this one.
    other = make_contract(contract.client, contract.freelancer)
    assert client_browser.post(f"/contracts/{other.pk}/milestones/{milestone.pk}/approve/").status_code == 404
    milestone.refresh_from_db()
    assert milestone.status == "funded"
    assert Client().get(page_of(contract)).status_code == 302


# --- payments, receipts, payouts ----------------------------------------------------------------


def test_the_payments_pages_show_each_person_their_own(contract, client_browser, freelancer_browser,
                                                      stranger_browser):
    milestone = submitted_milestone(client_browser, freelancer_browser, contract)
    client_browser.post(milestone_url(milestone, "approve"))
    add_more = add(client_browser, contract, "200.00", "Second part")
    fund(client_browser, add_more)

    page = client_browser.get("/payments/")
    assert page.status_code == 200
    assert_accessible_page(page)
    text = text_of(page)
    assert "Spent 1,200.00 USD" in text and "In escrow 200.00 USD" in text
    assert "Milestone funded" in text and "Escrow for “Designs for the home page”" in text
    assert contract.title in text and f'href="/contracts/{contract.pk}/"' in page.content.decode()
    assert "Earned" not in text

    page = freelancer_browser.get("/payments/")
    assert_accessible_page(page)
    text = text_of(page)
    assert "Earned 900.00 USD" in text and "Pending payout 900.00 USD" in text and "Paid out 0.00 USD" in text
    assert "Payment for a milestone" in text and "900.00 USD" in text
    assert "Held until payout details are complete" in text
    assert "Platform fee (10%) on 1,000.00 USD" in text
    assert "Spent" not in text

    # A release's receipt has its fee lines and a number; it is its owner's only.
    release = Payment.objects.get(kind="release")
    receipt = freelancer_browser.get(f"/payments/{release.pk}/receipt/")
    assert receipt.status_code == 200
    assert_accessible_page(receipt)
    text = text_of(receipt)
    number = f"ML-{release.created_at:%Y%m%d}-{release.pk:06d}"
    assert f"Receipt {number}" in text
    assert "Released from escrow 1,000.00 USD" in text and "Platform fee (10%) \u2212100.00 USD" in text
    assert "You receive 900.00 USD" in text and contract.freelancer.email in text
    assert "Stripe reference" in text and "Download PDF" in text
    assert f"Contract {contract.title}" in text and "Milestone Designs for the home page" in text
    assert f'href="/contracts/{contract.pk}/"' in receipt.content.decode()
    pdf = freelancer_browser.get(f"/payments/{release.pk}/receipt.pdf")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF") and f'filename="{number}.pdf"' in pdf["Content-Disposition"]

    funding = Payment.objects.filter(kind="funding").first()
    receipt = client_browser.get(f"/payments/{funding.pk}/receipt/")
    assert funding.stripe_payment_intent in text_of(receipt) and "Amount paid into escrow" in text_of(receipt)
    assert client_browser.get(f"/payments/{funding.pk}/receipt.pdf").content.startswith(b"%PDF")

    for other, payment in ((client_browser, release), (freelancer_browser, funding), (stranger_browser, release)):
        assert other.get(f"/payments/{payment.pk}/receipt/").status_code == 404
        assert other.get(f"/payments/{payment.pk}/receipt.pdf").status_code == 404
    assert "No payments yet." in text_of(stranger_browser.get("/payments/"))
    for path in ("/payments/", f"/payments/{release.pk}/receipt/", f"/payments/{release.pk}/receipt.pdf",
                 "/payments/payouts/"):
        response = Client().get(path)
        assert response.status_code == 302 and response["Location"].startswith("/login/"), path


def test_setting_up_payouts_goes_to_stripe_and_back_then_held_earnings_are_paid(
        contract, client_browser, freelancer_browser, stripe_emulator, django_capture_on_commit_callbacks):
    milestone = submitted_milestone(client_browser, freelancer_browser, contract)
    with django_capture_on_commit_callbacks(execute=True):
        client_browser.post(milestone_url(milestone, "approve"))

    page = freelancer_browser.get("/payments/payouts/")
    assert page.status_code == 200
    assert_accessible_page(page)
    text = text_of(page)
    assert "Status Not started" in text and "900.00 USD is held for you" in text and "Set up payouts" in text

    response = freelancer_browser.post("/payments/payouts/")
    assert response.status_code == 302
    assert response["Location"].startswith(f"{stripe_emulator.url}/connect/onboarding/")
    account = ConnectedAccount.objects.get(user=contract.freelancer)
    assert "Status Incomplete" in text_of(freelancer_browser.get("/payments/payouts/"))

    # Back from Stripe without finishing: still incomplete, and told so.
    response = freelancer_browser.get("/payments/payouts/?onboarding=done", follow=True)
    assert any("still needs some details" in message for message in messages_of(response))

    stripe_emulator.complete_onboarding(account.stripe_account_id)
    with django_capture_on_commit_callbacks(execute=True):
        response = freelancer_browser.get("/payments/payouts/?onboarding=done", follow=True)
    assert response.redirect_chain[-1][0] == "/payments/payouts/"
    assert any("Your payout account is ready" in message for message in messages_of(response))
    assert "Status Ready" in text_of(response) and "Set up payouts" not in text_of(response)
    release = Payment.objects.get(kind="release")
    assert release.payout_status == "paid" and release.stripe_transfer
    text = text_of(freelancer_browser.get("/payments/"))
    assert "Paid out 900.00 USD" in text and "Pending payout 0.00 USD" in text

    # Clients have no payout account.
    assert client_browser.get("/payments/payouts/").status_code == 403
    assert client_browser.post("/payments/payouts/").status_code == 403


def test_the_contract_list_shows_the_fee_too(contract, client_browser):
    text = text_of(client_browser.get("/contracts/"))
    assert re.search(r"\(freelancer receives [\d,]+\.\d\d USD after the 10% platform fee\)", text)
