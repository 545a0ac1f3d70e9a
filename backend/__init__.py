"""PostRound: the API and web apps for postmen carrying administrative paperwork."""

from __future__ import annotations

import os
from pathlib import Path

from flask import Flask
from werkzeug.routing import IntegerConverter

from backend.config import engine_options, load_config


class BoundedIntConverter(IntegerConverter):
    def __init__(self, url_map, *args, **kwargs):
        kwargs.setdefault("max", 2**31 - 1)
        super().__init__(url_map, *args, **kwargs)


def create_app(test_config: dict | None = None) -> Flask:
    app = Flask(
        __name__, instance_path=str(Path(__file__).resolve().parent.parent / "instance"), static_folder=None
    )
    env = dict(os.environ)
    if test_config and "POSTROUND_ENV" in test_config:
        env["POSTROUND_ENV"] = test_config["POSTROUND_ENV"]
    app.config.update(load_config(app.instance_path, env))
    if test_config:
        app.config.update(test_config)
    if not (test_config and "SQLALCHEMY_ENGINE_OPTIONS" in test_config):
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = engine_options(app.config)
    if app.config["TRUSTED_PROXY_COUNT"]:
        # X-Forwarded-For/-Proto are believed only from that many proxies in front of us.
        from werkzeug.middleware.proxy_fix import ProxyFix

        count = app.config["TRUSTED_PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count)
    os.makedirs(app.instance_path, exist_ok=True)
    # Ids are 32-bit in the database: a larger one in a URL is simply not found.
    app.url_map.converters["int"] = BoundedIntConverter
    app.json.ensure_ascii = False
    app.json.sort_keys = False

    import backend.services.agency_events  # noqa: F401  (the agency events' flush hook: the outbox)
    import sync.changes  # noqa: F401  (the change feed's flush hook)
    from backend import models  # noqa: F401  (register every table with the metadata)
    from backend.api import register_api
    from backend.citizen_pages import register_citizen_pages
    from backend.cli import register_cli
    from backend.errors import register_error_handlers
    from backend.extensions import db, limiter, migrate
    from backend.headers import register_security_headers
    from backend.web import register_web_apps
    from sync.storage import make_store

    db.init_app(app)
    with app.app_context():
        from backend.dbguard import guard_engine

        # The client side of statement_timeout: a link that never answers is cut a little later.
        guard_engine(
            db.engine, app.config["DB_STATEMENT_TIMEOUT_MS"] / 1000 + app.config["DB_CONNECT_TIMEOUT"]
        )
    migrate.init_app(
        app, db, directory=str(Path(__file__).resolve().parent.parent / "migrations"), render_as_batch=True
    )
    # One Limiter serves every app of the process (the routes' decorators name it); a store found
    # dead by an earlier app must not leave this one counting nothing (flask-limiter keeps that flag
    # on the Limiter and init_app does not reset it).
    limiter._storage_dead = False
    limiter._fallback_limiter = None
    limiter.init_app(app)
    app.extensions["postround.store"] = make_store(app.config)
    register_error_handlers(app)
    register_api(app)
    register_web_apps(app)
    register_citizen_pages(app)
    register_security_headers(app)
    from backend import tasks

    tasks.init_app(app)
    register_cli(app)
    return app
