"""The site's own stylesheets: every block closes, so a rule added at the end applies at every screen width."""

import re
from pathlib import Path

import pytest
from django.conf import settings

STYLESHEETS = sorted((Path(settings.BASE_DIR) / "static" / "css").glob("*.css"))


def _top_level_selectors(css: str) -> list[str]:
    """The selectors of the rules that sit outside any @media block (comments removed)."""
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.S)
    depth, start, found = 0, 0, []
    for index, char in enumerate(css):
        if char == "{":
            if depth == 0:
                found.append(css[start:index].strip())
            depth += 1
        elif char == "}":
            depth -= 1
            assert depth >= 0, f"a closing brace without its opening one near: {css[max(0, index - 80):index]!r}"
            if depth == 0:
                start = index + 1
    assert depth == 0, f"{depth} block(s) left open at the end"
    return found


@pytest.mark.parametrize("path", STYLESHEETS, ids=[path.name for path in STYLESHEETS])
def test_every_block_in_the_stylesheet_closes(path: Path) -> None:
    _top_level_selectors(path.read_text(encoding="utf-8"))


def test_avatars_dashboards_and_proposal_cards_are_styled_on_a_phone_too() -> None:
    selectors = _top_level_selectors((Path(settings.BASE_DIR) / "static" / "css" / "site.css").read_text("utf-8"))
    for rule in (".avatar-initials", ".dash-item", ".proposal-card__head", ".with-avatar", ".thumbs img"):
        assert any(rule in selector.split(", ") or selector == rule for selector in selectors), rule
