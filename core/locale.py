"""A person's language and time zone: the ones pages are shown in and e-mails are written in."""

import zoneinfo
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from django.conf import settings
from django.utils import formats, timezone, translation
from django.utils.functional import Promise, lazy

LANGUAGE_CODES = {code for code, _ in settings.LANGUAGES}


def language_of(user: Any) -> str | None:
    """The user's chosen language, or None when they follow their browser."""
    code = getattr(user, "language", "") or ""
    return code if code in LANGUAGE_CODES else None


def zone_of(user: Any) -> zoneinfo.ZoneInfo | None:
    name = getattr(user, "timezone", "") or ""
    try:
        return zoneinfo.ZoneInfo(name) if name else None
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return None


def valid_timezone(name: str) -> bool:
    return name in zoneinfo.available_timezones()


@contextmanager
def recipient_locale(user: Any) -> Iterator[None]:
    """Renders for `user`: their language (the site's default when they chose none) and their time zone."""
    zone = zone_of(user) or zoneinfo.ZoneInfo(settings.TIME_ZONE)
    with translation.override(language_of(user) or settings.LANGUAGE_CODE), timezone.override(zone):
        yield


def activate_for(request: Any, user: Any) -> None:
    """The signed-in person's language (over the cookie and the browser's) and time zone, for this request."""
    language = language_of(user)
    if language:
        translation.activate(language)
        request.LANGUAGE_CODE = language
    zone = zone_of(user)
    if zone is not None:
        timezone.activate(zone)


def _format(template: Any, params: dict[str, Any]) -> str:
    return str(template) % {key: str(value) for key, value in params.items()}


def _date(value: Any, format_string: str) -> str:
    # A moment (an aware datetime) is written in the time zone active when shown: the reader's own, as
    # `recipient_locale` sets it for notifications, e-mails and texts, and as the request sets it for pages.
    if isinstance(value, datetime) and timezone.is_aware(value):
        value = timezone.localtime(value)
    return formats.date_format(value, format_string)


def _uncapitalised(value: Any) -> str:
    text = str(value)
    return text[:1].lower() + text[1:]


_format_lazy = lazy(_format, str)
uncapitalised_lazy = lazy(_uncapitalised, str)
"""A label to follow a colon ("Released to the freelancer" -> "released to the freelancer") when shown; only the
first letter changes, so German nouns keep their capitals."""
_date_lazy = lazy(_date, str)


def text_lazy(template: Any, **params: Any) -> Promise:
    """`template % params` done when the text is shown, in the language active then: a gettext_lazy template with
    "%(name)s" placeholders, and values that may themselves be lazy (translations, `core.money.Money`, `date_lazy`).
    Notifications built for one person and read by another come out in the reader's language."""
    return _format_lazy(template, params)  # type: ignore[return-value]  # the stubs give lazy() the function's type


def date_lazy(value: Any, format_string: str) -> Promise:
    """A date written with Django's date format characters ("d F" -> "07 December", "07 Dezember") when shown,
    with the month and day names of the language active then; a moment is first turned into the time zone
    active then ("l d F, H:i T" -> "Friday 11 December, 18:00 EST" for a reader in New York)."""
    return _date_lazy(value, format_string)  # type: ignore[return-value]  # the stubs give lazy() the function's type
