from django.conf import settings
from django.http import HttpRequest


def site(request: HttpRequest) -> dict:
    return {"SITE_NAME": "MegiLance", "DEV_INBOX": bool(settings.DEV_INBOX_DIR)}
