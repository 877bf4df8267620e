"""Masks contact details and outside links in chat before a contract exists.

Taking work off the platform before it is contracted is what marketplaces forbid; the masked text is
what the other side sees, and the original is kept for staff in a Violation.
"""

import re

EMAIL = re.compile(r"[A-Za-z0-9._%+-]+\s*(?:@|\(at\)|\[at\])\s*[A-Za-z0-9.-]+\s*(?:\.|\(dot\)|\[dot\])\s*[A-Za-z]{2,}")
PHONE = re.compile(r"(?<![\w])(?:\+|00)?\d(?:[\s().-]*\d){7,14}(?![\w])")
LINK = re.compile(
    r"(?:https?://|www\.)\S+|\b[a-z0-9-]+\.(?:com|net|org|io|co|me|ly|gg|app|dev|info|biz)(?:/\S*)?\b",
    re.IGNORECASE,
)
MASK = "[hidden until a contract starts]"


def mask_contact_details(text: str) -> tuple[str, list[str]]:
    """Returns the text with e-mail addresses, phone numbers and links masked, and which kinds were found."""
    kinds: list[str] = []
    for kind, pattern in (("email", EMAIL), ("link", LINK), ("phone", PHONE)):
        text, count = pattern.subn(MASK, text)
        if count:
            kinds.append(kind)
    return text, kinds
