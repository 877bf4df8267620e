"""The footer's language switcher in a real browser (Debian's Chromium, headless): a visitor reads the home page
in Spanish, then a signed-in freelancer switches to German, sees the page in German, and keeps German on the next
visit because it was saved on their profile."""

import os

import pytest

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]

pytestmark = [pytest.mark.browser]


def test_switching_the_language_from_the_footer(live_server, transactional_db) -> None:
    from playwright.sync_api import expect, sync_playwright

    from accounts.models import User
    from accounts.tests.factories import PASSWORD, make_user

    freelancer = make_user("freelancer", first_name="Mei", last_name="Tan")
    base_url = live_server.url

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
            page = context.new_page()
            page.set_default_timeout(15_000)

            page.goto(f"{base_url}/")
            expect(page.get_by_role("heading", level=1)).to_have_text("Hire great freelancers. Find work you love.")

            # A visitor picks Spanish in the footer.
            page.get_by_label("Language").select_option("es")
            page.get_by_role("button", name="Change language").click()
            expect(page.get_by_role("heading", level=1)).to_have_text(
                "Contrata a grandes profesionales. Encuentra un trabajo que te encante.")
            expect(page.locator("html")).to_have_attribute("lang", "es")

            # Signed in, they switch to German; the choice is saved on their profile.
            page.get_by_role("link", name="Iniciar sesión", exact=True).click()
            page.get_by_label("Correo electrónico").fill(freelancer.email)
            page.get_by_label("Contraseña", exact=True).fill(PASSWORD)
            page.get_by_role("button", name="Iniciar sesión", exact=True).click()
            expect(page.get_by_role("heading", level=1)).to_contain_text(f"Hola de nuevo, {freelancer.first_name}")

            page.get_by_label("Idioma").select_option("de")
            page.get_by_role("button", name="Cambiar idioma").click()
            expect(page.get_by_role("heading", level=1)).to_have_text(f"Willkommen zurück, {freelancer.first_name}")
            expect(page.get_by_role("navigation", name="Hauptmenü").get_by_role("link", name="Meine Angebote")
                   ).to_be_visible()
            assert User.objects.get(pk=freelancer.pk).language == "de"

            # A new browser whose language is Spanish: once signed in, the profile's German wins.
            other = browser.new_context(viewport={"width": 390, "height": 844}, locale="es-ES")
            phone = other.new_page()
            phone.set_default_timeout(15_000)
            phone.goto(f"{base_url}/login/")
            expect(phone.get_by_role("heading", level=1)).to_have_text("Iniciar sesión")
            phone.get_by_label("Correo electrónico").fill(freelancer.email)
            phone.get_by_label("Contraseña", exact=True).fill(PASSWORD)
            phone.get_by_role("button", name="Iniciar sesión", exact=True).click()
            expect(phone.get_by_role("heading", level=1)).to_have_text(f"Willkommen zurück, {freelancer.first_name}")
            # On a phone the header folds behind its (here German) menu button; tests/helpers/browser.py's open_menu
            # looks for the English "Menu", so the button is opened by its German name.
            phone.get_by_role("button", name="Menü").click()
            expect(phone.get_by_role("navigation", name="Konto").get_by_role("link", name="Einstellungen")
                   ).to_be_visible()
        finally:
            browser.close()
