"""What browser tests share about the site's chrome."""

# The stylesheet folds the header's links behind "Menu" below 40rem (640 px).
PHONE_WIDTH = 640


def open_menu(page: object) -> None:
    """On a phone the header's links fold behind the menu button: open it (nothing to do on wider screens).

    The button appears once the menu script has run, which may be just after the page's load: on a phone,
    wait for it rather than look once, or the links would still be folded away when the test reaches them."""
    viewport = page.viewport_size  # type: ignore[attr-defined]
    if viewport is None or viewport["width"] >= PHONE_WIDTH:
        return
    # Found by what it controls, not by its label: the label is in the page's language.
    menu = page.locator('button[aria-controls="site-menu"]')  # type: ignore[attr-defined]
    menu.wait_for(state="visible", timeout=10_000)
    if menu.get_attribute("aria-expanded") != "true":
        menu.click()
    page.locator("nav.site-nav--main").wait_for(state="visible", timeout=10_000)  # type: ignore[attr-defined]
