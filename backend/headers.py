"""Security headers on every answer (docs/security.md, "Headers").

- Every response: `X-Content-Type-Options: nosniff`, `X-Frame-Options: DENY`,
  `Referrer-Policy: no-referrer`, and a Content-Security-Policy with `frame-ancestors 'none'`.
- The web apps (/app/, /dashboard/, every file under them, the service worker included, since a
  worker takes its policy from its own script's response): scripts, styles, fonts and requests
  from this origin only, no inline script; images also from data:/blob: (photos taken on the
  phone, proofs shown on the dashboard) and from the map tile server of MAP_TILE_URL.
- The API docs page: the same, its one inline <style> allowed by its hash.
- Everything else (JSON, problems, files): `default-src 'none'`: nothing in it may load or run.
- HSTS when BEHIND_TLS says the deployment is only reached over HTTPS.
"""

from __future__ import annotations

import base64
import hashlib
import re
from urllib.parse import urlsplit

from flask import Flask, Response, current_app, request

APP_MOUNTS = ("/app/", "/dashboard/", "/track/", "/book/")  # the citizen's pages: no script at all
NOTHING = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"


def style_hash(css: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(css.encode("utf-8")).digest()).decode() + "'"


def tile_source(url: str) -> str | None:
    """The CSP source of a Leaflet tile URL template such as https://{s}.tile.example.org/{z}/{x}/{y}.png."""
    if not url:
        return None
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    host = parts.netloc
    if host.startswith("{"):
        host = re.sub(r"^\{[^}]*\}", "*", host)  # {s}.tile.example.org -> *.tile.example.org
    if "{" in host or "}" in host:
        return f"{parts.scheme}:"  # a placeholder CSP cannot express: that scheme, any host
    return f"{parts.scheme}://{host}"


def app_policy(
    tile_url: str, extra_style: str = "", object_src: str = "'none'", extra_script: str = ""
) -> str:
    images = " ".join(filter(None, ["'self'", "data:", "blob:", tile_source(tile_url)]))
    return "; ".join(
        [
            "default-src 'self'",
            f"script-src 'self'{extra_script}",
            f"style-src 'self'{extra_style}",
            f"img-src {images}",
            "font-src 'self'",
            "connect-src 'self'",
            "worker-src 'self'",
            "manifest-src 'self'",
            f"object-src {object_src}",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


def _policy(path: str, config) -> str:
    tiles = config.get("MAP_TILE_URL", "")
    if path.startswith("/dashboard/"):
        return app_policy(tiles, object_src="blob:")  # handover PDFs are opened as blob: documents
    if path.startswith("/app/"):
        # The postman's app compiles its barcode decoder (ZXing, WebAssembly): Wasm only, never eval.
        return app_policy(tiles, extra_script=" 'wasm-unsafe-eval'")
    if path.startswith(APP_MOUNTS):
        return app_policy(tiles)
    if path == "/api/docs":
        from backend.api.meta import DOCS_STYLE

        return app_policy("", extra_style=" " + style_hash(DOCS_STYLE))
    if path.startswith(("/api/swagger", "/api/redoc")):
        # Optional pages (off unless SWAGGER_UI_URL / REDOC_URL are set) that load their code from
        # that CDN and start it with an inline script.
        cdn = " ".join(
            filter(
                None,
                (
                    tile_source(config.get("OPENAPI_SWAGGER_UI_URL") or ""),
                    tile_source(config.get("OPENAPI_REDOC_URL") or ""),
                ),
            )
        )
        return (
            f"default-src 'self' {cdn}; script-src 'self' 'unsafe-inline' {cdn}; "
            f"style-src 'self' 'unsafe-inline' {cdn}; img-src 'self' data: {cdn}; frame-ancestors 'none'"
        )
    return NOTHING


def secure_headers(response: Response) -> Response:
    config = current_app.config
    headers = response.headers
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "no-referrer")
    headers.setdefault("Content-Security-Policy", _policy(request.path, config))
    if config.get("BEHIND_TLS"):
        headers.setdefault(
            "Strict-Transport-Security", f"max-age={config['HSTS_MAX_AGE']}; includeSubDomains"
        )
    return response


def register_security_headers(app: Flask) -> None:
    app.after_request(secure_headers)
