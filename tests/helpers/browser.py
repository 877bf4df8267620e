"""What browser tests share about the site's chrome."""


def open_menu(page: object) -> None:
    """On a phone the header's links fold behind "Menu": open it (nothing to do on wider screens)."""
    menu = page.get_by_role("button", name="Menu")  # type: ignore[attr-defined]
    if menu.is_visible() and menu.get_attribute("aria-expanded") != "true":
        menu.click()
