"""Celery tasks of messaging: forgetting the devices whose push endpoints SNS disabled."""

from celery import shared_task

from .devices import devices_prune


@shared_task(name="messaging.prune_devices")
def prune_devices() -> int:
    """Beat: checks each device's SNS endpoint and removes those disabled or gone."""
    return devices_prune()
