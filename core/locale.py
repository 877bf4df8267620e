"""A person's language and time zone: the ones pages are shown in and e-mails are written in."""

import zoneinfo
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.conf import settings
from django.utils import timezone, translation

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
