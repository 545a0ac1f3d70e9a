"""Writing to the append-only audit log."""

from __future__ import annotations

from flask import g, has_request_context, request

from backend.extensions import db
from backend.models import AuditEntry


def audit(action: str, entity_type: str, entity_id: object = None, detail: dict | None = None,
          actor_id: int | None = None) -> None:
    """Add an audit entry to the current transaction (committed with the change it describes)."""
    if actor_id is None and has_request_context() and g.get("user") is not None:
        actor_id = g.user.id
    db.session.add(AuditEntry(
        actor_id=actor_id, action=action, entity_type=entity_type,
        entity_id=None if entity_id is None else str(entity_id), detail=detail,
        ip=request.remote_addr if has_request_context() else None,
    ))
