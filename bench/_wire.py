"""An HTTP/1.1 client that counts the bytes it really puts on and takes off the wire.

`http.client` writes everything through `sock.sendall` and reads the response through
`sock.makefile("rb")`; both are wrapped here, so the count is the request line + headers +
body exactly as sent and the status line + headers + body exactly as received (before any
gzip is undone). TCP/IP framing (about 40-60 bytes a packet) is not counted.
"""

from __future__ import annotations

import gzip
import http.client
import io
import json
from dataclasses import dataclass, field

# What a phone's browser sends with every call, give or take (Chrome on Android, the PWA).
USER_AGENT = (
    "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Mobile Safari/537.36"
)
BASE_HEADERS = {
    "User-Agent": USER_AGENT,
    "Accept": "application/json",
    "X-PostRound-Protocol": "1",
    "X-PostRound-App": "bench-1.0",
}


class Meter:
    """Bytes sent and received, and requests made, by one or more connections."""

    __slots__ = ("sent", "received", "requests")

    def __init__(self) -> None:
        self.sent = self.received = self.requests = 0

    @property
    def total(self) -> int:
        return self.sent + self.received

    def snapshot(self) -> tuple[int, int, int]:
        return self.sent, self.received, self.requests


class _CountingRaw(io.RawIOBase):
    """The socket's own raw reader (so its close bookkeeping stays right), counting what it returns."""

    def __init__(self, raw: io.RawIOBase, meter: Meter) -> None:
        super().__init__()
        self._raw, self._meter = raw, meter

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int | None:
        n = self._raw.readinto(buffer)
        if n:
            self._meter.received += n
        return n

    def close(self) -> None:
        try:
            self._raw.close()
        finally:
            super().close()


class _CountingSocket:
    def __init__(self, sock, meter: Meter) -> None:
        self._sock, self._meter = sock, meter

    def sendall(self, data, *args):
        self._meter.sent += memoryview(data).nbytes
        return self._sock.sendall(data, *args)

    def makefile(self, mode: str = "rb", *args, **kwargs):
        return io.BufferedReader(_CountingRaw(self._sock.makefile("rb", buffering=0), self._meter))

    def __getattr__(self, name):
        return getattr(self._sock, name)


class CountingConnection(http.client.HTTPConnection):
    def __init__(self, host: str, port: int, meter: Meter, timeout: float = 120) -> None:
        super().__init__(host, port, timeout=timeout)
        self.meter = meter

    def connect(self) -> None:
        super().connect()
        self.sock = _CountingSocket(self.sock, self.meter)


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    raw_body: bytes  # as received (possibly gzipped)
    body: bytes  # decoded
    wire_bytes: int  # this exchange, both directions
    sent_bytes: int = 0
    received_bytes: int = 0
    extra: dict = field(default_factory=dict)

    def json(self):
        return json.loads(self.body)


class Client:
    """One phone's HTTP client: every call is counted in `meter` (and in the reply)."""

    def __init__(self, host: str, port: int, meter: Meter | None = None) -> None:
        self.meter = meter or Meter()
        self.conn = CountingConnection(host, port, self.meter)
        self.token: str | None = None

    def close(self) -> None:
        self.conn.close()

    def call(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: dict | None = None,
        gzip_ok: bool = True,
    ) -> Reply:
        all_headers = dict(BASE_HEADERS)
        if gzip_ok:
            all_headers["Accept-Encoding"] = "gzip"
        if self.token:
            all_headers["Authorization"] = f"Bearer {self.token}"
        all_headers.update(headers or {})
        sent0, received0 = self.meter.sent, self.meter.received
        try:
            self.conn.request(method, path, body=body, headers=all_headers)
            response = self.conn.getresponse()
            raw = response.read()
        except (http.client.HTTPException, OSError):
            self.conn.close()
            raise
        self.meter.requests += 1
        response_headers = {k.lower(): v for k, v in response.getheaders()}
        decoded = gzip.decompress(raw) if response_headers.get("content-encoding") == "gzip" else raw
        sent, received = self.meter.sent - sent0, self.meter.received - received0
        return Reply(response.status, response_headers, raw, decoded, sent + received, sent, received)

    def call_json(self, method: str, path: str, payload=None, headers: dict | None = None) -> Reply:
        body = None
        extra = dict(headers or {})
        if payload is not None:
            body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
            extra.setdefault("Content-Type", "application/json")
        return self.call(method, path, body, extra)
