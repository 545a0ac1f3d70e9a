"""One blueprint per resource, all under /api."""

from __future__ import annotations

from flask import Flask

from backend.extensions import api

SECURITY_SCHEMES = {"bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}}


def register_api(app: Flask) -> None:
    from backend.api import (
        agencies,
        auth,
        dashboard,
        handovers,
        imports,
        items,
        meta,
        procedures,
        proofs,
        reports,
        rounds,
        sync,
        users,
    )
    from backend.api.openapi import ProblemResponsesPlugin

    api.init_app(app, spec_kwargs={"security": [{"bearerAuth": []}],
                                   "extra_plugins": [ProblemResponsesPlugin(app)]})
    api.spec.components.security_scheme("bearerAuth", SECURITY_SCHEMES["bearerAuth"])
    for module in (meta, auth, agencies, procedures, users, items, rounds, sync, proofs, dashboard, imports,
                   handovers, reports):
        api.register_blueprint(module.blp)
    meta.register_docs_page(app)
