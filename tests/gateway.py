"""A local HTTP gateway that speaks the providers' documented APIs: the SMS gateway's
(POST {to, from, text, reference, template, params}, bearer key -> {"id"}) and Zalo ZNS's
(POST {phone, template_id, template_data, tracking_id}, `access_token` header ->
{"error": 0, "data": {"msg_id"}}), and Zalo's OAuth token refresh (POST form refresh_token, app_id,
grant_type=refresh_token, `secret_key` header -> {access_token, refresh_token, expires_in}; a refresh
token works once). The only stand-in the notification tests use: the real
providers are paid services outside this machine. It can be told to fail the next requests.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
import urllib.parse

from tests.kit.http import Quiet, Serving

ZNS_ERRORS = {
    "zns-error": {"error": -100, "message": "Unknown error"},
    "zns-no-zalo": {"error": -118, "message": "Zalo account not existed"},
    "zns-template": {"error": -112, "message": "Template data invalid"},
}


class Gateway(Serving):
    def __init__(self, key: str = "gateway-key", token: str = "zalo-oa-token"):
        self.key, self.token = key, token
        self.app_id, self.secret_key, self.refresh_token = "zalo-app", "zalo-secret", "zalo-refresh-0"
        self.refreshes: list[dict] = []  # every refresh asked for: {"form", "headers", "granted"}
        self.received: list[dict] = []  # every request: {"path", "headers", "body"}
        self.accepted: list[dict] = []  # the messages it took (answered with an id)
        # What the next requests get: "500", "hang", or a ZNS error code: "zns-error" (-100, unknown:
        # retried), "zns-no-zalo" (-118, no Zalo account), "zns-template" (-112, invalid template data).
        self.failures: list[str] = []
        self.hang_seconds = 3.0
        self.lock = threading.Lock()
        gateway = self

        class Handler(Quiet):
            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) or b"{}"
                if self.path == "/oauth":
                    return self._refresh(urllib.parse.parse_qs(raw.decode()))
                body = json.loads(raw)
                with gateway.lock:
                    gateway.received.append(
                        {
                            "path": self.path,
                            "headers": {k.lower(): v for k, v in self.headers.items()},
                            "body": body,
                        }
                    )
                    failure = gateway.failures.pop(0) if gateway.failures else None
                if failure == "hang":
                    time.sleep(gateway.hang_seconds)
                    return self._answer(200, {"id": "too-late"})
                if failure == "500":
                    return self._answer(500, {"error": "internal"})
                if self.path == "/sms":
                    if self.headers.get("Authorization") != f"Bearer {gateway.key}":
                        return self._answer(401, {"error": "bad key"})
                    return self._accept(body, {"id": f"sms-{len(gateway.accepted) + 1}"})
                if self.path == "/zns":
                    if self.headers.get("access_token") != gateway.token:
                        return self._answer(200, {"error": -124, "message": "Access token is invalid"})
                    if failure in ZNS_ERRORS:
                        return self._answer(200, ZNS_ERRORS[failure])
                    msg = {"msg_id": f"zns-{len(gateway.accepted) + 1}", "sent_time": str(int(time.time()))}
                    return self._accept(body, {"error": 0, "message": "Success", "data": msg})
                return self._answer(404, {})

            def _refresh(self, form):
                fields = {name: values[0] for name, values in form.items()}
                headers = {k.lower(): v for k, v in self.headers.items()}
                with gateway.lock:
                    granted = (
                        headers.get("secret_key") == gateway.secret_key
                        and fields.get("app_id") == gateway.app_id
                        and fields.get("grant_type") == "refresh_token"
                        and fields.get("refresh_token") == gateway.refresh_token
                    )
                    gateway.refreshes.append({"form": fields, "headers": headers, "granted": granted})
                    failure = gateway.failures.pop(0) if gateway.failures else None
                    if granted and failure is None:
                        number = len(gateway.refreshes)
                        gateway.token, gateway.refresh_token = (
                            f"zalo-oa-token-{number}",
                            f"zalo-refresh-{number}",
                        )
                        answer = {
                            "access_token": gateway.token,
                            "refresh_token": gateway.refresh_token,
                            "expires_in": "90000",
                        }
                if failure == "hang":
                    time.sleep(gateway.hang_seconds)
                if failure or not granted:
                    return self._answer(200, {"error": -14014, "error_description": "Invalid refresh token"})
                self._answer(200, answer)

            def _accept(self, body, answer):
                with gateway.lock:
                    gateway.accepted.append(body)
                self._answer(200, answer)

            def _answer(self, status, body):
                with contextlib.suppress(
                    BrokenPipeError, ConnectionResetError
                ):  # the client gave up (a timeout)
                    self.answer(status, json.dumps(body).encode(), "application/json")

        super().__init__(Handler)

    def expire(self) -> None:
        """Zalo lets the access token lapse: sends with it answer -124 until it is refreshed."""
        with self.lock:
            self.token = self.token + "-expired-by-zalo"


def sms_settings(gateway: Gateway, **extra) -> dict:
    """The app's settings to send by SMS through `gateway`, with no quiet hours (a test sets its own)."""
    return {
        "NOTIFY_PROVIDER": "sms",
        "SMS_GATEWAY_URL": gateway.url + "/sms",
        "SMS_GATEWAY_KEY": gateway.key,
        "NOTIFY_QUIET_START": "00:00",
        "NOTIFY_QUIET_END": "00:00",
        **extra,
    }


def zns_settings(gateway: Gateway, **extra) -> dict:
    """The app's settings to send by Zalo ZNS through `gateway`, refreshing its token there, with SMS
    through it as the fallback and no quiet hours."""
    return {
        **sms_settings(gateway),
        "NOTIFY_PROVIDER": "zns",
        "ZNS_API_URL": gateway.url + "/zns",
        "ZNS_ACCESS_TOKEN": gateway.token,
        "ZNS_OAUTH_URL": gateway.url + "/oauth",
        "ZNS_APP_ID": gateway.app_id,
        "ZNS_SECRET_KEY": gateway.secret_key,
        "ZNS_REFRESH_TOKEN": gateway.refresh_token,
        **{
            f"ZNS_TEMPLATE_{event.upper()}": f"tpl-{event}"
            for event in ("morning", "near", "delivered", "failed", "pickup")
        },
        **extra,
    }
