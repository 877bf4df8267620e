"""What moto's SNS server holds, read back as a person checking their phone would: the texts each number got
and the pushes each device endpoint got."""

import json
import re
import urllib.request
from dataclasses import dataclass
from typing import Any

CODE = re.compile(r"\b(\d{6})\b")


@dataclass
class SnsInbox:
    url: str

    def _data(self) -> dict[str, Any]:
        with urllib.request.urlopen(f"{self.url}/moto-api/data.json") as response:
            return json.load(response).get("sns", {})

    def texts(self, number: str | None = None) -> list[str]:
        """The texts moto received, oldest first; only those to `number` when given."""
        return [sms["message"] for sms in self._data().get("SMS", [])
                if number is None or sms["phone_number"] == number]

    def last_code(self, number: str) -> str:
        texts = self.texts(number)
        assert texts, f"no text message to {number}"
        found = CODE.search(texts[-1])
        assert found, texts[-1]
        return found.group(1)

    def endpoints(self) -> dict[str, dict[str, Any]]:
        """Each platform endpoint SNS has now, by ARN: its token, whether it is enabled, and the messages published
        to it. (moto's data keeps deleted endpoints too; SNS's own list says which still exist.)"""
        client = self.client()
        live = {endpoint["EndpointArn"]
                for application in client.list_platform_applications()["PlatformApplications"]
                for endpoint in client.list_endpoints_by_platform_application(
                    PlatformApplicationArn=application["PlatformApplicationArn"])["Endpoints"]}
        return {endpoint["arn"]: endpoint for endpoint in self._data().get("PlatformEndpoint", [])
                if endpoint["arn"] in live}

    def pushes(self, endpoint_arn: str) -> list[dict[str, Any]]:
        """The messages published to one endpoint, each as SNS's JSON (the `default` and per-platform keys)."""
        endpoint = {e["arn"]: e for e in self._data().get("PlatformEndpoint", [])}.get(endpoint_arn)
        return [json.loads(message) for message in (endpoint or {}).get("messages", {}).values()]

    def applications(self) -> list[dict[str, Any]]:
        return list(self._data().get("PlatformApplication", []))

    def client(self) -> Any:
        import boto3

        return boto3.client("sns", endpoint_url=self.url, region_name="us-east-1")
