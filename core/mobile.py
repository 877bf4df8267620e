"""Where text messages and mobile pushes go: Amazon SNS in production, the console or a list elsewhere.

`settings.MOBILE_BACKEND` names the backend, as `EMAIL_BACKEND` does for e-mail. The outbox
(`core/outbox.py`) is the only caller that sends; the apps call `platform_endpoint_create` and
`platform_endpoint_delete` when a device is registered or forgotten. No backend writes a message's text
to a log: codes travel in some of them.
"""

import hashlib
import json
import logging
import re
import sys
import threading
from typing import Any, ClassVar

from django.conf import settings
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)

PLATFORMS = ("fcm", "apns")


class MobileUnavailable(Exception):
    """This server has no way to send text messages or pushes."""


class EndpointGone(Exception):
    """The device's endpoint is disabled or no longer exists: the device should be forgotten."""


class MobileBackend:
    """The four things the platform asks of a text and push service."""

    available: ClassVar[bool] = True

    def send_sms(self, *, phone_number: str, text: str, sensitive: bool = False) -> str:
        raise NotImplementedError

    def platform_endpoint_create(self, *, platform: str, token: str) -> str:
        raise NotImplementedError

    def push_publish(self, *, endpoint_arn: str, message: str) -> str:
        """Publishes a push (SNS's per-platform JSON). Raises `EndpointGone` for a disabled or missing endpoint."""
        raise NotImplementedError

    def endpoint_enabled(self, *, endpoint_arn: str) -> bool:
        raise NotImplementedError

    def platform_endpoint_delete(self, *, endpoint_arn: str) -> None:
        raise NotImplementedError


def backend() -> MobileBackend:
    return import_string(settings.MOBILE_BACKEND)()


def mobile_available() -> bool:
    return bool(getattr(import_string(settings.MOBILE_BACKEND), "available", False))


# --- Amazon SNS --------------------------------------------------------------------------------------

# SNS's names for the platforms: FCM is still "GCM" there; APNs has a sandbox for development builds.
_SNS_PLATFORM = {"fcm": "GCM", "apns": "APNS"}
_application_arns: dict[str, str] = {}
_application_lock = threading.Lock()
_EXISTING_ENDPOINT = re.compile(r"Endpoint (arn:\S+) already exists")


def _sns_client() -> Any:
    import boto3  # type: ignore[import-untyped]

    return boto3.client("sns", region_name=settings.AWS_SNS_REGION_NAME,
                        endpoint_url=settings.AWS_SNS_ENDPOINT_URL or None)


def _error_code(exc: Exception) -> str:
    return str(getattr(exc, "response", {}).get("Error", {}).get("Code", ""))


def sns_platform(platform: str) -> str:
    if platform == "apns" and settings.AWS_SNS_APNS_SANDBOX:
        return "APNS_SANDBOX"
    return _SNS_PLATFORM[platform]


def platform_application_arn(platform: str) -> str:
    """The SNS platform application of FCM or APNs: named in the settings, or found by its name, or created
    from the credentials in the settings. Looked up once per process."""
    with _application_lock:
        if platform in _application_arns:
            return _application_arns[platform]
        configured = {"fcm": settings.AWS_SNS_FCM_APPLICATION_ARN,
                      "apns": settings.AWS_SNS_APNS_APPLICATION_ARN}[platform]
        arn = configured or _platform_application_find_or_create(platform)
        _application_arns[platform] = arn
        return arn


def platform_applications_forget() -> None:
    """Forgets the looked-up applications (the SNS account changed, e.g. between tests)."""
    with _application_lock:
        _application_arns.clear()


def _platform_application_find_or_create(platform: str) -> str:
    client = _sns_client()
    name = f"{settings.AWS_SNS_APPLICATION_NAME}-{platform}"
    sns_name = sns_platform(platform)
    for page in client.get_paginator("list_platform_applications").paginate():
        for application in page.get("PlatformApplications", []):
            if application["PlatformApplicationArn"].endswith(f":app/{sns_name}/{name}"):
                return application["PlatformApplicationArn"]
    if platform == "fcm":
        attributes = {"PlatformCredential": settings.AWS_SNS_FCM_CREDENTIAL}
    else:
        attributes = {"PlatformCredential": settings.AWS_SNS_APNS_PRIVATE_KEY,
                      "PlatformPrincipal": settings.AWS_SNS_APNS_CERTIFICATE}
    if not attributes["PlatformCredential"]:
        raise MobileUnavailable(f"No SNS platform application for {platform}: set its ARN or credentials.")
    created = client.create_platform_application(Name=name, Platform=sns_name, Attributes=attributes)
    logger.info("Created the SNS platform application %s", created["PlatformApplicationArn"])
    return created["PlatformApplicationArn"]


class SnsBackend(MobileBackend):
    """Text messages with `publish(PhoneNumber=...)`, pushes to one platform endpoint per device."""

    def send_sms(self, *, phone_number: str, text: str, sensitive: bool = False) -> str:
        attributes = {"AWS.SNS.SMS.SMSType": {"DataType": "String", "StringValue": "Transactional"}}
        if settings.AWS_SNS_SMS_SENDER_ID:
            attributes["AWS.SNS.SMS.SenderID"] = {"DataType": "String", "StringValue": settings.AWS_SNS_SMS_SENDER_ID}
        answer = _sns_client().publish(PhoneNumber=phone_number, Message=text, MessageAttributes=attributes)
        return str(answer["MessageId"])

    def platform_endpoint_create(self, *, platform: str, token: str) -> str:
        client = _sns_client()
        application = platform_application_arn(platform)
        try:
            arn = client.create_platform_endpoint(PlatformApplicationArn=application, Token=token)["EndpointArn"]
        except Exception as exc:
            # The token has an endpoint already, with other attributes (it was disabled): SNS names it in the
            # error. That endpoint is taken over and switched back on below.
            found = _EXISTING_ENDPOINT.search(str(exc)) if _error_code(exc) == "InvalidParameter" else None
            if found is None:
                raise
            arn = found.group(1)
        # An endpoint that SNS disabled (the app was reinstalled) comes back with its new registration.
        client.set_endpoint_attributes(EndpointArn=arn, Attributes={"Token": token, "Enabled": "true"})
        return str(arn)

    def push_publish(self, *, endpoint_arn: str, message: str) -> str:
        try:
            answer = _sns_client().publish(TargetArn=endpoint_arn, Message=message, MessageStructure="json")
        except Exception as exc:
            if _error_code(exc) in ("EndpointDisabled", "NotFound"):
                raise EndpointGone(_error_code(exc)) from exc
            raise
        return str(answer["MessageId"])

    def endpoint_enabled(self, *, endpoint_arn: str) -> bool:
        try:
            attributes = _sns_client().get_endpoint_attributes(EndpointArn=endpoint_arn)["Attributes"]
        except Exception as exc:
            if _error_code(exc) == "NotFound":
                return False
            raise
        return str(attributes.get("Enabled", "true")).lower() == "true"

    def platform_endpoint_delete(self, *, endpoint_arn: str) -> None:
        _sns_client().delete_endpoint(EndpointArn=endpoint_arn)  # SNS answers success for a missing one too


# --- no SNS -----------------------------------------------------------------------------------------


class DisabledBackend(MobileBackend):
    """Production without SNS: no phone numbers, no text messages, no pushes."""

    available = False

    def _refuse(self, **kwargs: Any) -> Any:
        raise MobileUnavailable("Text messages and pushes are not set up on this server (USE_SNS).")

    send_sms = platform_endpoint_create = push_publish = endpoint_enabled = platform_endpoint_delete = _refuse


class LocalBackend(MobileBackend):
    """Keeps what would be sent in memory: endpoints are made-up ARNs that every process can recognise."""

    sent: ClassVar[list[dict[str, Any]]] = []
    disabled: ClassVar[set[str]] = set()

    def send_sms(self, *, phone_number: str, text: str, sensitive: bool = False) -> str:
        self.sent.append({"channel": "sms", "to": phone_number, "text": text})
        return f"local-{len(self.sent)}"

    def platform_endpoint_create(self, *, platform: str, token: str) -> str:
        digest = hashlib.sha256(token.encode()).hexdigest()[:24]
        self.disabled.discard(f"local:endpoint/{platform}/{digest}")
        return f"local:endpoint/{platform}/{digest}"

    def push_publish(self, *, endpoint_arn: str, message: str) -> str:
        if endpoint_arn in self.disabled:
            raise EndpointGone("EndpointDisabled")
        self.sent.append({"channel": "push", "to": endpoint_arn, "message": json.loads(message)})
        return f"local-{len(self.sent)}"

    def endpoint_enabled(self, *, endpoint_arn: str) -> bool:
        return endpoint_arn not in self.disabled

    def platform_endpoint_delete(self, *, endpoint_arn: str) -> None:
        self.disabled.add(endpoint_arn)


class ConsoleBackend(LocalBackend):
    """Prints each text and push (a message carrying a code says only that one was sent)."""

    def send_sms(self, *, phone_number: str, text: str, sensitive: bool = False) -> str:
        shown = "(a one-time code; not printed)" if sensitive else text
        sys.stdout.write(f"SMS to {phone_number}: {shown}\n")
        return super().send_sms(phone_number=phone_number, text=text, sensitive=sensitive)

    def push_publish(self, *, endpoint_arn: str, message: str) -> str:
        answer = super().push_publish(endpoint_arn=endpoint_arn, message=message)
        sys.stdout.write(f"Push to {endpoint_arn}: {json.loads(message).get('default', '')}\n")
        return answer
