"""A local HTTP gateway that speaks the providers' documented APIs: the SMS gateway's
(POST {to, from, text, reference, template, params}, bearer key -> {"id"}) and Zalo ZNS's
(POST {phone, template_id, template_data, tracking_id}, `access_token` header ->
{"error": 0, "data": {"msg_id"}}). The only stand-in the notification tests use: the real
providers are paid services outside this machine. It can be told to fail the next requests.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Gateway:
    def __init__(self, key: str = "gateway-key", token: str = "zalo-oa-token"):
        self.key, self.token = key, token
        self.received: list[dict] = []  # every request: {"path", "headers", "body"}
        self.accepted: list[dict] = []  # the messages it took (answered with an id)
        self.failures: list[str] = []  # what the next requests get: "500", "hang", "zns-error"
        self.hang_seconds = 3.0
        self.lock = threading.Lock()
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
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
                    if failure == "zns-error":
                        return self._answer(200, {"error": -108, "message": "Phone number is invalid"})
                    msg = {"msg_id": f"zns-{len(gateway.accepted) + 1}", "sent_time": str(int(time.time()))}
                    return self._accept(body, {"error": 0, "message": "Success", "data": msg})
                return self._answer(404, {})

            def _accept(self, body, answer):
                with gateway.lock:
                    gateway.accepted.append(body)
                self._answer(200, answer)

            def _answer(self, status, body):
                data = json.dumps(body).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):  # the client gave up (a timeout)
                    pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


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
