"""Sign-ins and failed sign-ins on the audit log, however they happen (API, pages, admin)."""

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.dispatch import receiver

from core.audit import audit
from core.clientip import client_ip


@receiver(user_logged_in, dispatch_uid="accounts.audit_login")
def _logged_in(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    audit("login", target=user, actor=user, new={"via": "page"},
          ip=client_ip(request) if request is not None else None)


@receiver(user_login_failed, dispatch_uid="accounts.audit_login_failed")
def _login_failed(sender: Any, credentials: dict, request: Any = None, **kwargs: Any) -> None:
    audit("login.failed", new={"email": str(credentials.get("username", ""))[:254]},
          ip=client_ip(request) if request is not None else None)
