"""Every notification e-mail renders: a one-line subject, a text and an HTML part, and the way out of it."""

import pytest
from django.conf import settings

from core.mail import email_render

UNSUBSCRIBE = "https://megilance.test/notifications/unsubscribe/eyJ1Ijo0Mn0:1tAbCd:sig-123/"
CONTRACT = {"contract_title": "Shop redesign", "contract_url": "https://megilance.test/contracts/7/"}
MILESTONE = {**CONTRACT, "milestone_title": "Wireframes", "amount": "1,500.00 USD"}

SAMPLES = {
    "project_created": {"project_title": "Shop redesign", "project_url": "https://megilance.test/projects/3/"},
    "proposal_received": {"freelancer_name": "Bea Worker", "project_title": "Shop redesign", "bid": "1,200.00 USD",
                          "proposal_url": "https://megilance.test/projects/3/#proposal-9"},
    "proposal_accepted": {"project_title": "Shop redesign", "contract_url": CONTRACT["contract_url"]},
    "proposal_rejected": {"project_title": "Shop redesign"},
    "invite_received": {"client_name": "Carla Client", "project_title": "Shop redesign",
                        "project_url": "https://megilance.test/projects/3/"},
    "contract_created": {**CONTRACT, "other_party_name": "Bea Worker", "amount": "3,000.00 USD"},
    "milestone_funded": MILESTONE,
    "milestone_submitted": MILESTONE,
    "milestone_approved": MILESTONE,
    "milestone_changes_requested": MILESTONE,
    "milestone_completed": {key: MILESTONE[key] for key in ("milestone_title", "contract_title", "contract_url")},
    "payment_received": {"amount": "1,350.00 USD", "contract_title": "Shop redesign",
                         "receipt_url": "https://megilance.test/payments/5/receipt/"},
    "payment_sent": {"amount": "1,500.00 USD", "contract_title": "Shop redesign",
                     "receipt_url": "https://megilance.test/payments/4/receipt/"},
    "payout_sent": {"amount": "1,350.00 USD", "payouts_url": "https://megilance.test/payments/"},
    "dispute_opened": {**CONTRACT, "resolution": ""},
    "dispute_resolved": {**CONTRACT, "resolution": "Split: 60% to the freelancer, 40% refunded."},
    "review_received": {"reviewer_name": "Carla Client", "contract_title": "Shop redesign",
                        "profile_url": "https://megilance.test/freelancers/2/"},
    "account_deactivated": {},
}


def context(extra: dict, *, with_unsubscribe: bool = True) -> dict:
    base = {
        "user": {"first_name": "Bea", "email": "bea@example.com", "user_type": "freelancer"},
        "title": "Something happened",
        "message": "",
        "notifications_url": "https://megilance.test/notifications/",
    }
    if with_unsubscribe:
        base["unsubscribe_url"] = UNSUBSCRIBE
    return {**base, **extra}


@pytest.mark.parametrize("template", sorted(SAMPLES))
def test_each_template_renders_with_its_context(template: str) -> None:
    subject, text, html = email_render(template=template, context=context(SAMPLES[template]))

    assert subject.strip() and "\n" not in subject and len(subject) < 120
    assert "{{" not in subject + text + html and "{%" not in subject + text + html
    assert "<html" in html and "</html>" in html
    assert "Hi Bea," in text and "Hi Bea," in html
    if template == "account_deactivated":
        assert "unsubscribe" not in text + html
        assert "support@megilance.test" in text and "mailto:support@megilance.test" in html
        assert "suspended" in subject
    else:
        assert UNSUBSCRIBE in text
        assert f'href="{UNSUBSCRIBE}"' in html
    for value in SAMPLES[template].values():
        if value and not value.startswith("https://"):
            assert value in text, f"{value!r} missing from the text of {template}"


@pytest.mark.parametrize("template", sorted(SAMPLES))
def test_missing_optional_values_still_read_well(template: str) -> None:
    """Only the user and the site: no "None", no empty quotes, no dangling punctuation, links still work."""
    subject, text, html = email_render(template=template, context=context({}, with_unsubscribe=False))

    assert subject.strip() and "\n" not in subject
    for part in (subject, text, html):
        assert "None" not in part
        assert "“”" not in part and '""' not in part
        assert " ." not in part.replace("...", "") and " ," not in part
        assert 'href=""' not in part
    assert f"{settings.FRONTEND_URL}/" in text
    assert "Stop e-mails" not in text  # no unsubscribe link to offer


def test_user_supplied_values_are_escaped_in_html_but_not_in_text() -> None:
    subject, text, html = email_render(template="proposal_received", context=context(
        {"freelancer_name": "Bea <b>Bold</b> & Co", "project_title": "Fix <script>alert(1)</script>"}))

    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "Bea &lt;b&gt;Bold&lt;/b&gt; &amp; Co" in html
    assert "Bea <b>Bold</b> & Co" in text and "Fix <script>alert(1)</script>" in subject
