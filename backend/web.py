"""Serves the built web apps: the postman's PWA at /app/ and the supervisors' dashboard at /dashboard/.

Hashed build assets are cached for a year; the HTML shell, the manifest and the service
worker are revalidated every time, so a new release reaches phones on their next visit.
"""

from __future__ import annotations

from pathlib import Path

from flask import Flask, Response, redirect, send_from_directory

from backend.domain.rules import DomainError

ROOT = Path(__file__).resolve().parent.parent
WEB_APPS = {"app": ROOT / "mobile_pwa" / "dist", "dashboard": ROOT / "dashboard" / "dist"}
REVALIDATE = {"index.html", "sw.js", "manifest.webmanifest", "registerSW.js"}


def _serve(mount: str, dist: Path, path: str) -> Response:
    if not (dist / "index.html").is_file():
        raise DomainError(
            "not-built", "This web app has not been built; run `make run` (or scripts/setup.sh).", status=503
        )
    if path and (dist / path).is_file():
        target = path
    elif path.startswith("assets/") or "." in Path(path).name:
        # A missing file (e.g. an asset of an older release) is a 404, not the HTML shell.
        raise DomainError("not-found", f"No file {path} in this release.", status=404)
    else:
        target = "index.html"  # client-side routes
    response = send_from_directory(dist, target)
    name = Path(target).name
    if name in REVALIDATE or target.endswith(".html"):
        response.headers["Cache-Control"] = "no-cache"
    elif target.startswith("assets/"):
        response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
    if name == "sw.js":
        response.headers["Service-Worker-Allowed"] = f"/{mount}/"
    return response


def register_web_apps(app: Flask) -> None:
    for mount, dist in WEB_APPS.items():

        def view(path: str = "", mount: str = mount, dist: Path = dist) -> Response:
            return _serve(mount, dist, path)

        app.add_url_rule(f"/{mount}/", f"web_{mount}_index", view)
        app.add_url_rule(f"/{mount}/<path:path>", f"web_{mount}", view)

    @app.get("/")
    def home():
        return redirect("/app/")
