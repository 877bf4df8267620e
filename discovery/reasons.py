"""A match's facts as the sentences each side reads (written when read, so in the reader's language)."""

from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

SIMILAR_TEXT = 0.1  # a cosine from which the profile and the brief are said to talk about the same work


def _skills(facts: dict[str, Any]) -> str:
    needed = facts.get("skills_needed", 0)
    return ngettext("%(matched)d of %(needed)d skill", "%(matched)d of %(needed)d skills", needed) % {
        "matched": facts.get("skills_matched", 0), "needed": needed}


def for_freelancer(facts: dict[str, Any]) -> list[str]:
    """Why a project suits the freelancer reading: "3 of 4 skills", "within your rate", ..."""
    reasons = [_skills(facts)]
    if facts.get("rate_fits"):
        reasons.append(_("within your rate"))
    if facts.get("text", 0) >= SIMILAR_TEXT:
        reasons.append(_("close to your profile"))
    if hires := facts.get("client_hires", 0):
        reasons.append(ngettext("client has hired %(n)d time", "client has hired %(n)d times", hires) % {"n": hires})
    return reasons


def for_client(facts: dict[str, Any]) -> list[str]:
    """Why a freelancer suits the project its client is reading about."""
    reasons = [_skills(facts)]
    if facts.get("rate_fits"):
        reasons.append(_("rate within your budget"))
    if facts.get("text", 0) >= SIMILAR_TEXT:
        reasons.append(_("has done similar work"))
    return reasons
