"""One blueprint per resource, all under /api."""

from __future__ import annotations

from flask import Flask, Response, request

from backend.extensions import api

# The one caching rule for the API (docs/security.md, "Personal data"): every answer under /api
# carries names, addresses, phones, proofs or tokens and is never stored by a browser, a proxy or
# the phone's HTTP cache, except these blueprints, which hold none (health, the API description).
CACHEABLE_BLUEPRINTS = frozenset({"meta", "api-docs"})
NO_STORE = "private, no-cache, no-store"

SECURITY_SCHEMES = {
    "bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
    # An agency system's key (docs/agency-api.md), also accepted as 'Authorization: Bearer prk_…'.
    "apiKey": {"type": "apiKey", "in": "header", "name": "X-Api-Key"},
}


def register_api(app: Flask) -> None:
    from backend.api import (
        agencies,
        agency,
        api_keys,
        auth,
        bookings,
        cash,
        complaints,
        dashboard,
        handovers,
        imports,
        items,
        jobs,
        meta,
        notifications,
        offices,
        procedures,
        proofs,
        reports,
        rounds,
        search,
        sync,
        users,
    )
    from backend.api.openapi import ProblemResponsesPlugin

    api.init_app(
        app,
        spec_kwargs={
            "security": [{"bearerAuth": []}, {"apiKey": []}],
            "extra_plugins": [ProblemResponsesPlugin(app)],
        },
    )
    for name, scheme in SECURITY_SCHEMES.items():
        api.spec.components.security_scheme(name, scheme)
    modules = (
        meta,
        auth,
        offices,
        agencies,
        agency,
        api_keys,
        procedures,
        users,
        items,
        rounds,
        sync,
        proofs,
        dashboard,
        imports,
        jobs,
        handovers,
        cash,
        reports,
        search,
        complaints,
        notifications,
        bookings,
    )
    api.register_blueprints([module.blp for module in modules])
    meta.register_docs_page(app)
    app.after_request(no_store)


def no_store(response: Response) -> Response:
    if request.path.startswith("/api/") and request.blueprint not in CACHEABLE_BLUEPRINTS:
        current = response.headers.get("Cache-Control", "")
        if "no-store" not in current:
            response.headers["Cache-Control"] = NO_STORE
    return response
