"""Health check and the human-readable API docs page."""

from __future__ import annotations

from flask import Flask, current_app, render_template_string
from flask.views import MethodView
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as SATimeoutError

from backend.api.common import Blueprint
from backend.api.openapi import json_answer
from backend.errors import database_unavailable
from backend.extensions import api, db

blp = Blueprint("meta", __name__, url_prefix="/api", description="Service health")


@blp.route("/health")
class Health(MethodView):
    @blp.doc(security=[])
    @blp.response(200)
    @blp.doc(
        **json_answer(
            {
                "type": "object",
                "required": ["status"],
                "properties": {
                    "status": {"type": "string"},
                    "database": {"type": "string"},
                    "env": {"type": "string"},
                },
            }
        )
    )
    def get(self):
        """Liveness and database reachability: 200 `ok`, or 503 problem+json with `database: "down"`."""
        try:
            db.session.execute(text("SELECT 1"))
        except (DBAPIError, SATimeoutError):
            db.session.rollback()
            return database_unavailable(database="down", engine=db.engine.dialect.name)
        return {
            "status": "ok",
            "database": db.engine.dialect.name,
            "env": current_app.config["POSTROUND_ENV"],
        }


DOCS_STYLE = """
body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#1a1a1a}
h2{border-bottom:1px solid #ccc;margin-top:2rem} code{background:#f3f3f3;padding:0 .2rem}
.op{margin:.6rem 0;padding:.5rem .8rem;border-left:4px solid #0a6}
.m{font-weight:700;text-transform:uppercase;display:inline-block;min-width:4.5rem}
.sec{color:#666;font-size:.85em}
"""

# Self-contained (no CDN): the docs must work on a closed network too.
_DOCS_TEMPLATE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{ spec.info.title }} — API docs</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>{{ style|safe }}</style></head><body>
<h1>{{ spec.info.title }} <small>v{{ spec.info.version }}</small></h1>
<p>Machine-readable spec: <a href="{{ url }}"><code>{{ url }}</code></a> (OpenAPI {{ spec.openapi }}).
Authenticate with <code>POST /api/auth/login</code> and send <code>Authorization: Bearer &lt;access_token&gt;</code>.
Every error is <code>application/problem+json</code> (RFC 9457) with <code>type</code>, <code>title</code>,
<code>status</code>, <code>detail</code> and, for validation errors, <code>errors</code> by field.</p>
{% for tag in tags %}<h2>{{ tag }}</h2>
{% for op in by_tag[tag] %}<div class="op"><span class="m">{{ op.method }}</span> <code>{{ op.path }}</code>
— {{ op.summary }}{% if op.public %} <span class="sec">(no token needed)</span>{% endif %}</div>{% endfor %}
{% endfor %}</body></html>"""


def register_docs_page(app: Flask) -> None:
    @app.get("/api/docs")
    def api_docs():
        spec = api.spec.to_dict()
        by_tag: dict[str, list[dict]] = {}
        for path, operations in spec.get("paths", {}).items():
            for method, op in operations.items():
                if method == "parameters":
                    continue
                tag = (op.get("tags") or ["other"])[0]
                by_tag.setdefault(tag, []).append(
                    {
                        "method": method,
                        "path": path,
                        "summary": op.get("summary", ""),
                        "public": op.get("security") == [],
                    }
                )
        return render_template_string(
            _DOCS_TEMPLATE,
            spec=spec,
            tags=sorted(by_tag),
            by_tag=by_tag,
            url="/api/openapi.json",
            style=DOCS_STYLE,
        )
