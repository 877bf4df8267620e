"""Where Stripe sends its webhooks: dj-stripe's endpoint (its `WebhookEndpoint` row holds the signing secret).

Against real Stripe the endpoint is created in Stripe and synced by dj-stripe. Against the local emulator,
which has no WebhookEndpoint API, the row is made here and the emulator is told where to send events.
"""

import secrets
import urllib.parse
import urllib.request
import uuid

from django.db import transaction
from django.urls import reverse
from djstripe.models import WebhookEndpoint

LOCAL_ID = "we_megilance_local"


def local_endpoint() -> WebhookEndpoint:
    """The emulator's endpoint row, made once with a fresh signing secret."""
    with transaction.atomic():
        endpoint = WebhookEndpoint.objects.select_for_update().filter(id=LOCAL_ID).first()
        if endpoint is None:
            endpoint = WebhookEndpoint.objects.create(
                id=LOCAL_ID, livemode=False, secret=f"whsec_{secrets.token_hex(24)}", url="http://127.0.0.1/",
                enabled_events=["*"], status="enabled", djstripe_uuid=uuid.uuid4(), api_version="",
            )
    return endpoint


def endpoint_path(endpoint: WebhookEndpoint) -> str:
    return reverse("djstripe:djstripe_webhook_by_uuid", kwargs={"uuid": endpoint.djstripe_uuid})


def register_with_emulator(*, emulator_url: str, site_url: str, name: str = "megilance") -> WebhookEndpoint:
    """Points the emulator's webhooks at this site; returns the endpoint row."""
    endpoint = local_endpoint()
    url = f"{site_url.rstrip('/')}{endpoint_path(endpoint)}"
    if endpoint.url != url:
        endpoint.url = url
        endpoint.save(update_fields=["url"])
    body = urllib.parse.urlencode({"url": url, "secret": endpoint.secret}).encode()
    if not emulator_url.startswith(("http://", "https://")):
        raise ValueError("the emulator is reached over http")
    target = f"{emulator_url.rstrip('/')}/_config/webhooks/{name}"
    request = urllib.request.Request(target, data=body, method="POST")  # noqa: S310
    with urllib.request.urlopen(request, timeout=10):  # noqa: S310
        pass
    return endpoint
