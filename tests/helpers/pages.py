"""What every page must offer a person using a screen reader: one <h1>, and a label tied to each field."""

from html.parser import HTMLParser


class _FormAudit(HTMLParser):
    """Collects h1 count, label targets and the ids of the inputs a person fills in."""

    def __init__(self) -> None:
        super().__init__()
        self.h1 = 0
        self.label_for: set[str] = set()
        self.controls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "h1":
            self.h1 += 1
        elif tag == "label" and attributes.get("for"):
            self.label_for.add(attributes["for"] or "")
        elif tag in ("input", "select", "textarea"):
            if tag == "input" and attributes.get("type") in ("hidden", "submit", "button"):
                return
            self.controls.append(attributes.get("id") or f"<{tag} name={attributes.get('name')} without id>")


def audit(html: str) -> _FormAudit:
    parser = _FormAudit()
    parser.feed(html)
    return parser


def assert_accessible_page(response) -> None:
    html = response.content.decode()
    result = audit(html)
    assert result.h1 == 1, f"expected one <h1>, found {result.h1}"
    unlabelled = [control for control in result.controls if control not in result.label_for]
    assert not unlabelled, f"inputs without a <label for>: {unlabelled}"
