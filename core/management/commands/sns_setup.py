"""Finds or creates the SNS platform applications for FCM and APNs from the settings, once, at deployment.

`docker compose` runs it after the migrations; without `USE_SNS`, or for a platform with neither an ARN nor
credentials, it says so and does nothing. The processes look the applications up by the same names.
"""

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from core.mobile import PLATFORMS, MobileUnavailable, platform_application_arn


class Command(BaseCommand):
    help = "Find or create the SNS platform applications (FCM, APNs) that device endpoints belong to."

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.MOBILE_BACKEND != "core.mobile.SnsBackend":
            self.stdout.write("SNS is not in use (USE_SNS is off): nothing to set up.")
            return
        for platform in PLATFORMS:
            try:
                arn = platform_application_arn(platform)
            except MobileUnavailable as exc:
                self.stdout.write(f"{platform}: {exc}")
            else:
                self.stdout.write(f"{platform}: {arn}")
