"""Accounts as sign-up makes them: verified e-mail, the password every test signs in with."""

from itertools import count

from accounts.models import User

PASSWORD = "correct-horse-battery-staple"
_serial = count(1)


def make_user(user_type: str = "client", **fields: object) -> User:
    """A member of the given kind (`""` with `is_staff=True` for staff); fields override the defaults."""
    n = next(_serial)
    fields.setdefault("email", f"{user_type or 'staff'}{n}@example.com")
    fields.setdefault("first_name", f"First{n}")
    fields.setdefault("last_name", f"Last{n}")
    fields.setdefault("email_verified", True)
    password = str(fields.pop("password", PASSWORD))
    return User.objects.create_user(password=password, user_type=user_type, **fields)
