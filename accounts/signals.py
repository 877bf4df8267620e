"""What accounts tells the apps above it (it imports none of them)."""

from django.dispatch import Signal

# Something about an account's security changed. kwargs: user, action ("password_changed",
# "password_reset", "2fa_enabled", "2fa_disabled", "email_changed"), description
security_changed = Signal()

# A new account was made by sign-up (after its transaction committed). kwargs: user
user_registered = Signal()
