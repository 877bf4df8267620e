"""What core tells the apps above it (it imports none of them)."""

from django.dispatch import Signal

# A push could not be delivered because its SNS endpoint is disabled or gone. kwargs: endpoint_arn.
# Sent inside the transaction that drops the push; whoever keeps devices forgets that one.
push_endpoint_gone = Signal()
