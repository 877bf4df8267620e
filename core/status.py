"""Status machines: each model has a table of allowed moves and a history table of every move made."""

from typing import Any

from django.db import models

from .exceptions import Conflict


def move(obj: Any, to: str, *, allowed: dict[str, set[str]], history: type[models.Model], by: Any,
         **history_fields: Any) -> str:
    """Moves a locked object's status to `to` if the table allows it, recording the move in `history`.

    The caller saves the object. Returns the status it had before; raises Conflict (409) on a bad move.
    """
    before = obj.status
    if to not in allowed[before]:
        noun = obj._meta.verbose_name
        label = dict(obj._meta.get_field("status").choices).get(to, to)
        raise Conflict(f"A {noun} that is {obj.get_status_display().lower()} cannot become {str(label).lower()}.",
                       code="invalid_transition")
    parent = obj._meta.model_name
    history._default_manager.create(**{parent: obj}, from_status=before, to_status=to, changed_by=by, **history_fields)
    obj.status = to
    return before
