"""What messaging tells the apps above it (it imports none of them)."""

from django.dispatch import Signal

# The content filter masked contact details or an outside link in a message and kept a Violation for staff
# (sent inside the message's transaction). kwargs: violation
violation_recorded = Signal()
