"""Status machines: each model has a table of allowed moves and a history table of every move made.

A table is data, written once per machine: `(status, action) -> Move(to, actors)`, where the actors are the
roles that may take that action from that status (`client`, `freelancer`, `staff`, `system` for timed jobs and
what Stripe tells us). `apply` checks a move against its table and makes it through `move`, the one place
that changes a status and writes its history row.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.db import models
from django.utils.translation import gettext, gettext_lazy, pgettext_lazy

from .exceptions import ApplicationError, Conflict

CLIENT, FREELANCER, STAFF, SYSTEM = "client", "freelancer", "staff", "system"
ACTORS = (CLIENT, FREELANCER, STAFF, SYSTEM)
# A target meaning "the status the object had before": the caller names it (e.g. a withdrawn dispute's).
PREVIOUS = "previous"


@dataclass(frozen=True)
class Move:
    to: str
    actors: frozenset[str]


def moves(*rows: tuple[str | tuple[str, ...], str, str, tuple[str, ...]]) -> dict[tuple[str, str], Move]:
    """Builds a table from rows `(from status or statuses, action, to, actors)`, refusing a row given twice."""
    table: dict[tuple[str, str], Move] = {}
    for sources, action, to, actors in rows:
        for source in (sources,) if isinstance(sources, str) else sources:
            if (source, action) in table:
                raise ValueError(f"({source}, {action}) is in the table twice")
            unknown = set(actors) - set(ACTORS)
            if unknown:
                raise ValueError(f"unknown actors {unknown}")
            table[(str(source), action)] = Move(to=str(to), actors=frozenset(actors))
    return table


def actors_of(table: Mapping[tuple[str, str], Move], action: str) -> frozenset[str]:
    """Every role that may take `action` from some status."""
    return frozenset().union(*(rule.actors for (_, name), rule in table.items() if name == action))


def targets(table: Mapping[tuple[str, str], Move]) -> dict[str, set[str]]:
    """The table as `status -> statuses it may become` (PREVIOUS stands for any earlier status)."""
    allowed: dict[str, set[str]] = {}
    for (source, _), rule in table.items():
        allowed.setdefault(source, set()).add(rule.to)
    return allowed


def may(table: Mapping[tuple[str, str], Move], status: str, action: str, actor: str) -> bool:
    rule = table.get((status, action))
    return rule is not None and actor in rule.actors


def authorize(table: Mapping[tuple[str, str], Move], action: str, actor: str, *, party: bool) -> None:
    """Who may ask at all, before the status is looked at: someone outside the object (staff included, unless
    the action is theirs) gets 404 as if it did not exist; the other party gets 403."""
    allowed = actors_of(table, action)
    if actor in allowed:
        return
    if not party:
        raise ApplicationError(gettext("Not found."), code="not_found", status_code=404)
    raise only(allowed)


ONLY = {
    frozenset({CLIENT}): gettext_lazy("Only the client can do this."),
    frozenset({FREELANCER}): gettext_lazy("Only the freelancer can do this."),
    frozenset({STAFF}): gettext_lazy("Only the staff can do this."),
    frozenset({SYSTEM}): gettext_lazy("Only the system can do this."),
    frozenset({CLIENT, FREELANCER}): gettext_lazy("Only the client or the freelancer can do this."),
    frozenset({CLIENT, STAFF}): gettext_lazy("Only the client or the staff can do this."),
    frozenset({FREELANCER, STAFF}): gettext_lazy("Only the freelancer or the staff can do this."),
}


def only(roles: "frozenset[str] | set[str] | tuple[str, ...]") -> ApplicationError:
    """The 403 for someone whose role may not take the action, naming who may (in the caller's language)."""
    wanted = frozenset(role for role in roles if role != SYSTEM) or frozenset(roles)
    message = ONLY.get(wanted) or gettext_lazy("You cannot do this.")
    return ApplicationError(str(message), code="permission_denied", status_code=403)


# The things with a status machine, as the refusals name them (their models' names are not translated).
NOUNS = {
    "contract": pgettext_lazy("thing with a status", "contract"),
    "dispute": pgettext_lazy("thing with a status", "dispute"),
    "milestone": pgettext_lazy("thing with a status", "milestone"),
    "order": pgettext_lazy("thing with a status", "order"),
    "orderdispute": pgettext_lazy("thing with a status", "order dispute"),
    "project": pgettext_lazy("thing with a status", "project"),
    "proposal": pgettext_lazy("thing with a status", "proposal"),
    "service": pgettext_lazy("thing with a status", "service"),
    "weeklyinvoice": pgettext_lazy("thing with a status", "weekly invoice"),
}


def noun_of(obj: Any) -> str:
    return str(NOUNS.get(obj._meta.model_name, obj._meta.verbose_name))


def refused(obj: Any) -> Conflict:
    """The 409 for an action the object's status does not allow."""
    return Conflict(gettext("A %(noun)s that is %(status)s does not allow this.")
                    % {"noun": noun_of(obj), "status": str(obj.get_status_display()).lower()},
                    code="invalid_transition")


def apply(obj: Any, action: str, *, table: Mapping[tuple[str, str], Move], actor: str, history: type[models.Model],
          by: Any, back_to: str = "", **history_fields: Any) -> str:
    """Takes `action` on a locked object if the table allows it from its status for `actor`; raises Conflict
    (409) otherwise. Returns the status it had before. The caller saves the object.

    A move whose target is PREVIOUS goes to `back_to`, which must be a status the object may return to."""
    before = obj.status
    rule = table.get((before, action))
    if rule is None or actor not in rule.actors:
        raise refused(obj)
    to = back_to if rule.to == PREVIOUS else rule.to
    if not to:
        raise ValueError(f"{action} returns to the previous status: name it")
    return move(obj, to, allowed={before: {to}}, history=history, by=by, **history_fields)


def move(obj: Any, to: str, *, allowed: dict[str, set[str]], history: type[models.Model], by: Any,
         **history_fields: Any) -> str:
    """Moves a locked object's status to `to` if the table allows it, recording the move in `history`.

    The caller saves the object. Returns the status it had before; raises Conflict (409) on a bad move.
    """
    before = obj.status
    if to not in allowed.get(before, ()):
        label = dict(obj._meta.get_field("status").choices).get(to, to)
        raise Conflict(gettext("A %(noun)s that is %(status)s cannot become %(to)s.")
                       % {"noun": noun_of(obj), "status": str(obj.get_status_display()).lower(),
                          "to": str(label).lower()},
                       code="invalid_transition")
    parent = obj._meta.model_name
    history._default_manager.create(**{parent: obj}, from_status=before, to_status=to, changed_by=by, **history_fields)
    obj.status = to
    return before
