"""The admin as staff meet it: the marketplace's records first, readable names, a favicon."""

import re
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders


def _sections(html: str) -> list[str]:
    return re.findall(r'<div class="app-([a-z_]+) module', html)


def test_admin_index_lists_our_apps_first_and_the_stripe_library_last(client, staff_user) -> None:
    client.force_login(staff_user)
    response = client.get("/admin/")
    assert response.status_code == 200
    html = response.content.decode()
    sections = _sections(html)
    assert sections[:4] == ["accounts", "marketplace", "contracts", "payments"], sections
    assert sections[-1] == "djstripe"
    assert "Stripe library (copies of Stripe" in html


def test_admin_names_read_as_english(client, staff_user) -> None:
    client.force_login(staff_user)
    html = client.get("/admin/").content.decode()
    assert "Ledger entries" in html
    assert "Reconciliation mismatches" in html
    assert "entrys" not in html.lower() and "mismatchs" not in html.lower()


def test_dispute_list_keeps_its_status_on_one_line(client, staff_user) -> None:
    client.force_login(staff_user)
    html = client.get("/admin/contracts/dispute/").content.decode()
    assert re.search(r'<link rel="stylesheet" href="[^"]*css/admin\.css"', html)
    css = Path(finders.find("css/admin.css")).read_text(encoding="utf-8")
    assert re.search(r"th\.column-status[^{]*td\.field-status\s*\{[^}]*white-space:\s*nowrap", css)


@pytest.mark.django_db
def test_dispute_list_renders_each_status_in_the_one_line_column(client, staff_user, client_user,
                                                                   freelancer_user) -> None:
    from contracts import escrow
    from contracts.demo import fund_as_paid
    from contracts.tests.factories import make_contract

    contract = make_contract(client_user, freelancer_user)
    milestone = escrow.milestone_create(contract=contract, by=client_user, data={"title": "Design", "amount": "400.00"})
    fund_as_paid(milestone)
    dispute = escrow.dispute_open(contract=contract, milestone=milestone, by=client_user,
                                  reason="The work never arrived.")
    client.force_login(staff_user)
    html = client.get("/admin/contracts/dispute/").content.decode()
    # The header and every row's cell carry the classes the stylesheet keeps on one line.
    assert re.search(r'<th scope="col" class="[^"]*\bcolumn-status\b', html)
    cells = re.findall(r'<td class="field-status">([^<]*)</td>', html)
    assert cells == [dispute.get_status_display()], cells
    css = Path(finders.find("css/admin.css")).read_text(encoding="utf-8")
    rule = re.search(r"(#changelist table thead th\.column-status,\s*#changelist table td\.field-status)\s*\{([^}]*)\}",
                     css)
    assert rule and re.search(r"white-space:\s*nowrap", rule[2]) and re.search(r"min-width:\s*\d", rule[2])


def test_favicon_on_the_site_the_admin_and_the_error_page(client, staff_user) -> None:
    assert finders.find("favicon.svg")
    icon = re.compile(r'<link rel="icon" href="[^"]*favicon\.svg"')
    assert icon.search(client.get("/").content.decode())
    assert icon.search(client.get("/no-such-page/").content.decode())
    from django.template.loader import render_to_string
    assert icon.search(render_to_string("500.html"))
    client.force_login(staff_user)
    assert icon.search(client.get("/admin/").content.decode())
    assert icon.search(client.get("/admin/contracts/dispute/").content.decode())
