"""Writing to the append-only audit log."""

from __future__ import annotations

from flask import g, has_request_context, request

from backend.extensions import db
from backend.models import AuditEntry


def audit(
    action: str,
    entity_type: str,
    entity_id: object = None,
    detail: dict | None = None,
    actor_id: int | None = None,
) -> None:
    """Add an audit entry to the current transaction (committed with the change it describes)."""
    if actor_id is None and has_request_context() and g.get("user") is not None:
        actor_id = g.user.id
    db.session.add(
        AuditEntry(
            actor_id=actor_id,
            action=action,
            entity_type=entity_type,
            entity_id=None if entity_id is None else str(entity_id),
            detail=detail,
            ip=request.remote_addr if has_request_context() else None,
        )
    )


def audit_read(action: str, entity_type: str, ids, detail: dict | None = None) -> None:
    """Record that the signed-in user was shown personal data (proofs, their files, handover
    records), lists included, and commit it at once: a read changes nothing else."""
    shown = sorted({str(i) for i in ids if i is not None})
    audit(
        action,
        entity_type,
        shown[0] if len(shown) == 1 else None,
        {"ids": shown, "count": len(shown), **(detail or {})},
    )
    db.session.commit()


def query_detail(args: dict) -> dict:
    """The filters of a list request, JSON-safe, for its audit entry."""
    return {"query": {k: v if isinstance(v, int | bool | None) else str(v) for k, v in args.items()}}
