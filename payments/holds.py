"""Whether a freelancer's payouts may leave now, answered by the apps above payments.

Payments transfers held payouts once the freelancer's Connect account can receive; an app above it may hold
them longer (the fraud checks of `risk/` do, while a case about the freelancer waits for staff). Such an app
registers a check when it loads: `check(user_id)` returns why the payouts must wait, or None. Until one
registers, nothing holds them.
"""

from collections.abc import Callable

PayoutCheck = Callable[[int], str | None]

_checks: list[PayoutCheck] = []


def register_payout_check(check: PayoutCheck) -> None:
    """Called once by the app that decides; registering the same function again changes nothing."""
    if check not in _checks:
        _checks.append(check)


def payout_hold_reason(user_id: int) -> str | None:
    """Why the user's payouts must stay held now, or None when they may be transferred."""
    for check in _checks:
        reason = check(user_id)
        if reason:
            return reason
    return None
