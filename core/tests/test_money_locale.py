"""Money as each language writes it, and approximate amounts in a person's display currency.

The expected strings are written out by hand from the Unicode CLDR patterns: German "1.234,56 €" (dot for
thousands, comma for decimals, a no-break space, the symbol after), Spanish the same but grouping only from five
digits ("1234,56 €", "12.345,67 €") with "US$" and "GB£", English the product's own "1,234.56 USD".
"""

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.test import Client
from django.utils import translation

from accounts.tests.factories import PASSWORD, make_user
from core.models import ExchangeRate
from core.money import Money, money_display, money_text
from core.rates import approximate

NBSP = "\u00a0"
DASH = "\u2013"  # the en dash between the two ends of a range


@pytest.mark.parametrize(("language", "minor", "currency", "expected"), [
    ("en", 150000, "usd", "1,500.00 USD"),
    ("en", 150000, "eur", "1,500.00 EUR"),
    ("en", 5, "gbp", "0.05 GBP"),
    ("en", 123456789, "usd", "1,234,567.89 USD"),
    ("de", 150000, "eur", f"1.500,00{NBSP}€"),
    ("de", 150000, "usd", f"1.500,00{NBSP}$"),
    ("de", 99, "gbp", f"0,99{NBSP}£"),
    ("de", 123456789, "eur", f"1.234.567,89{NBSP}€"),
    ("de", -150000, "eur", f"-1.500,00{NBSP}€"),
    ("es", 150000, "eur", f"1500,00{NBSP}€"),
    ("es", 1234567, "eur", f"12.345,67{NBSP}€"),
    ("es", 150000, "usd", f"1500,00{NBSP}US$"),
    ("es", 150000, "gbp", f"1500,00{NBSP}GB£"),
    ("es", 123456789, "usd", f"1.234.567,89{NBSP}US$"),
])
def test_money_is_written_as_each_language_writes_it(language: str, minor: int, currency: str, expected: str) -> None:
    assert money_text(minor, currency, language) == expected
    with translation.override(language):
        assert money_text(minor, currency) == expected
        assert str(Money(minor, currency)) == expected


def test_a_money_amount_is_written_in_the_language_active_when_it_is_shown() -> None:
    amount = Money.of(Decimal("2500.50"), "eur")
    with translation.override("de"):
        assert f"{amount}" == f"2.500,50{NBSP}€"
    with translation.override("en"):
        assert f"{amount}" == "2,500.50 EUR"


def test_decimal_amounts_are_rounded_half_up_to_the_cent() -> None:
    assert money_display(Decimal("0.005"), "usd", "en") == "0.01 USD"
    assert money_display(Decimal("1999.994"), "eur", "de") == f"1.999,99{NBSP}€"


@pytest.mark.django_db
def test_an_approximation_uses_the_newest_rate_rounded_half_up_to_the_cent() -> None:
    ExchangeRate.objects.create(base="usd", quote="eur", rate=Decimal("0.9000"), date=date(2026, 11, 1), source="ECB")
    ExchangeRate.objects.create(base="usd", quote="eur", rate=Decimal("0.92345"), date=date(2026, 12, 1), source="ECB")
    # 1,234.56 USD x 0.92345 = 1,140.0514... EUR; half-up to the cent: 1,140.05
    expected = (Decimal("1234.56") * Decimal("0.92345")).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    assert expected == Decimal("1140.05")
    assert approximate(Decimal("1234.56"), "usd", "eur") == expected
    # The other way the rate is inverted: 100 EUR / 0.92345 = 108.2894... USD -> 108.29
    assert approximate(Decimal("100.00"), "eur", "usd") == Decimal("108.29")


@pytest.mark.django_db
def test_no_approximation_without_a_rate_or_in_the_same_currency() -> None:
    assert approximate(Decimal("100.00"), "usd", "gbp") is None
    ExchangeRate.objects.create(base="usd", quote="gbp", rate=Decimal("0.79"), date=date(2026, 12, 1))
    assert approximate(Decimal("100.00"), "usd", "usd") is None
    assert approximate(Decimal("100.00"), "usd", "") is None
    assert approximate(Decimal("100.00"), "usd", "gbp") == Decimal("79.00")


@pytest.mark.django_db
def test_the_projects_page_shows_an_approximate_budget_only_with_a_rate() -> None:
    from marketplace.tests.factories import make_project

    owner = make_user("client")
    make_project(owner, title="Booking site for a dental clinic", budget_min=Decimal("1000.00"),
                 budget_max=Decimal("1500.00"), currency="usd")
    reader = make_user("freelancer", display_currency="eur", language="de")
    client = Client()
    assert client.login(email=reader.email, password=PASSWORD)

    page = client.get("/projects/").content.decode()
    assert "ca." not in page  # no rate recorded yet: no approximation

    ExchangeRate.objects.create(base="usd", quote="eur", rate=Decimal("0.9234"), date=date(2026, 12, 1), source="ECB")
    page = client.get("/projects/").content.decode()
    # 1,000.00 x 0.9234 = 923.40 EUR and 1,500.00 x 0.9234 = 1,385.10 EUR, written the German way
    assert f'<span class="approx">(ca. 923,40{NBSP}€{DASH}1.385,10{NBSP}€)</span>' in page
    assert f"1.000,00{DASH}1.500,00 USD" in page  # the real budget stays in its own currency

    english = make_user("freelancer", display_currency="gbp")
    other = Client()
    assert other.login(email=english.email, password=PASSWORD)
    assert "approx." not in other.get("/projects/").content.decode()  # no USD to GBP rate
    ExchangeRate.objects.create(base="gbp", quote="usd", rate=Decimal("1.25"), date=date(2026, 12, 1))
    # 1,000 USD / 1.25 = 800.00 GBP; 1,500 USD / 1.25 = 1,200.00 GBP
    assert f"(approx. 800.00 GBP{DASH}1,200.00 GBP)" in other.get("/projects/").content.decode()


@pytest.mark.django_db
def test_staff_keep_exchange_rates_in_the_admin() -> None:
    staff = make_user("", is_staff=True, is_superuser=True)
    client = Client()
    assert client.login(email=staff.email, password=PASSWORD)
    response = client.post("/admin/core/exchangerate/add/", {
        "base": "eur", "quote": "usd", "rate": "1.0850", "date": "2026-12-03", "source": "ECB reference rate",
    })
    assert response.status_code == 302
    rate = ExchangeRate.objects.get()
    assert (rate.base, rate.quote, rate.rate, rate.source) == ("eur", "usd", Decimal("1.0850"), "ECB reference rate")
    assert "1.0850" in client.get("/admin/core/exchangerate/").content.decode()
