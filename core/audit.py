"""The audit log: `audit(...)` records a sensitive action with the actor and IP of the current request.

The request's user and address are kept in context variables by `AuditContextMiddleware`, so services
need not pass them around; tasks and commands record the actor they are given (or none: the system).
"""

import contextvars
from typing import Any

from django.db import models

from .logging import get_request_id
from .models import AuditEvent

_ip: contextvars.ContextVar[str | None] = contextvars.ContextVar("audit_ip", default=None)
_actor: contextvars.ContextVar[Any] = contextvars.ContextVar("audit_actor", default=None)


def set_context(*, ip: str | None, actor: Any) -> tuple[contextvars.Token, contextvars.Token]:
    return _ip.set(ip), _actor.set(actor)


def reset_context(tokens: tuple[contextvars.Token, contextvars.Token]) -> None:
    _ip.reset(tokens[0])
    _actor.reset(tokens[1])


def set_actor(actor: Any) -> None:
    """Once a request authenticates (JWT happens inside the view), the audit knows who it is."""
    _actor.set(actor)


def audit(action: str, *, target: models.Model | None = None, actor: Any = None, old: Any = None,
          new: Any = None, ip: str | None = None) -> AuditEvent:
    actor = actor if actor is not None else _actor.get()
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None
    return AuditEvent.objects.create(
        action=action,
        actor=actor,
        actor_email=getattr(actor, "email", "") or "",
        target_type=target._meta.label if target is not None else "",
        target_id=str(target.pk) if target is not None else "",
        ip_address=ip or _ip.get(),
        request_id=get_request_id() if get_request_id() != "-" else "",
        old_value=old,
        new_value=new,
    )
