"""A local HTTP server in a thread, standing in for a service outside PostRound (an agency's webhook
receiver, a map tile server): `Serving(Handler)` listens on 127.0.0.1 at a free port until `stop()`
or the end of its `with` block; `Quiet` handlers log nothing and answer in one call."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Quiet(BaseHTTPRequestHandler):
    """A request handler that keeps the test output clean."""

    def log_message(self, *args):
        pass

    def answer(self, status: int, body: bytes = b"", content_type: str | None = None, **headers: str):
        self.send_response(status)
        for name, value in (({"Content-Type": content_type} if content_type else {}) | headers).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if body:
            self.wfile.write(body)


class Serving:
    """`handler` served on 127.0.0.1:<port>, each request in a thread of its own."""

    def __init__(self, handler: type[BaseHTTPRequestHandler]):
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.stop()
