"""What browser tests share about the site's chrome."""

# The stylesheet folds the header's links behind "Menu" below 40rem (640 px).
PHONE_WIDTH = 640


def open_menu(page: object) -> None:
    """On a phone the header's links fold behind "Menu": open it (nothing to do on wider screens).

    The button appears once the menu script has run, which may be just after the page's load: on a phone,
    wait for it rather than look once, or the links would still be folded away when the test reaches them."""
    viewport = page.viewport_size  # type: ignore[attr-defined]
    if viewport is None or viewport["width"] >= PHONE_WIDTH:
        return
    menu = page.get_by_role("button", name="Menu")  # type: ignore[attr-defined]
    menu.wait_for(state="visible", timeout=10_000)
    if menu.get_attribute("aria-expanded") != "true":
        menu.click()
    page.get_by_role("navigation", name="Main").wait_for(state="visible", timeout=10_000)  # type: ignore[attr-defined]
