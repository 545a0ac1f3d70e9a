"""An item's whole story, oldest first, from what is already recorded: its audit entries (created or
imported, received, assigned and reassigned, cancelled, corrected), its proofs (every visit with its
reason, flags and the supervisor's decision), the fees collected and the handover records it is on.
Nothing is stored twice for it: the page reads the facts the other services wrote."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import or_

from backend.domain.status import FINAL, events_from
from backend.extensions import db
from backend.models import AuditEntry, DeliveryAttempt, FeeEntry, Handover, HandoverLine, Item, Round, User
from backend.services.handover_pdf import number as handover_number

# Audit actions that are not part of the item's story: reads, and what another row already tells.
# (proof.flagged: the proof row says it, with its flag reason.)
_NOT_STORY = {"fee.collected", "proof.viewed", "proof.flagged", "notifications.read"}
REVIEW_ACTIONS = {"proof.accepted": "accepted", "proof.rejected": "rejected", "proof.resolved": "rejected"}


def _audit_entries(item: Item, proof_ids: list[int]) -> list[AuditEntry]:
    about = [(AuditEntry.entity_type == "item") & (AuditEntry.entity_id == item.code)]
    if proof_ids:
        about.append(
            (AuditEntry.entity_type == "proof")
            & AuditEntry.entity_id.in_([str(i) for i in proof_ids])
            & AuditEntry.action.in_(list(REVIEW_ACTIONS))
        )
    query = db.select(AuditEntry).where(or_(*about)).order_by(AuditEntry.at, AuditEntry.id)
    return [e for e in db.session.execute(query).scalars() if e.action not in _NOT_STORY]


def _event_entry(entry: AuditEntry) -> dict:
    detail = dict(entry.detail or {})
    if entry.action == "item.created":
        return {
            "kind": "imported" if detail.get("source") == "import" else "created",
            "line": detail.get("line"),
        }
    if entry.action == "item.updated":
        return {"kind": "updated", "fields": detail.get("fields", [])}
    if not entry.action.startswith("item."):
        return {"kind": "other", "action": entry.action}
    event = entry.action.removeprefix("item.")
    result = {
        "kind": "event",
        "event": event,
        "from_status": detail.get("from"),
        "to_status": detail.get("to"),
        "reason": detail.get("reason"),
        "round_id": detail.get("round_id"),
        "from_round_id": detail.get("from_round_id"),
        "proof_id": detail.get("attempt_id"),
        "handover_id": detail.get("handover_id"),
        "source": detail.get("source"),
    }
    if event == "assign" and detail.get("from_round_id") not in (None, detail.get("round_id")):
        result["kind"] = "reassigned"
    return result


def _proof_entry(proof: DeliveryAttempt) -> dict:
    return {
        "kind": "proof",
        "proof_id": proof.id,
        "actor_id": proof.postman_id,
        "outcome": proof.outcome,
        "reason": proof.reason_code,
        "note": proof.note,
        "device_time": proof.device_time,
        "round_id": proof.round_id,
        "flagged": proof.flagged,
        "flag_reason": proof.flag_reason,
        "review": proof.review,
        "counts_as_invitation": proof.counts_as_invitation,
        "complete": proof.complete,
        "files": len(proof.attachments),
    }


def timeline(item: Item) -> dict:
    """The item's story (`entries`, oldest first, each with who and when) and what may be done with
    it now, from the one state machine (`allowed_events`; `editable` while it is not final)."""
    proofs = list(
        db.session.execute(
            db.select(DeliveryAttempt).where(DeliveryAttempt.item_id == item.id).order_by(DeliveryAttempt.id)
        ).scalars()
    )
    entries: list[tuple[datetime, int, dict]] = []
    for order, entry in enumerate(_audit_entries(item, [p.id for p in proofs])):
        if entry.entity_type == "proof":
            detail = entry.detail or {}
            story = {
                "kind": "review",
                "proof_id": int(entry.entity_id or 0),
                "review": REVIEW_ACTIONS[entry.action],
                "note": detail.get("note") or detail.get("reason"),
            }
        else:
            story = _event_entry(entry)
        entries.append((entry.at, order, {**story, "actor_id": entry.actor_id}))
    for proof in proofs:
        entries.append((proof.server_time, 0, _proof_entry(proof)))
    fees = db.session.execute(db.select(FeeEntry).where(FeeEntry.item_id == item.id)).scalars()
    for fee in fees:
        entries.append(
            (
                fee.server_time,
                1,
                {
                    "kind": "fee",
                    "actor_id": fee.postman_id,
                    "proof_id": fee.attempt_id,
                    "service_fee": fee.service_fee,
                    "government_fee": fee.government_fee,
                    "service_fee_payment": fee.service_fee_payment,
                    "government_fee_payment": fee.government_fee_payment,
                    "receipt_number": fee.receipt_number,
                    "handover_id": fee.handed_over_id,
                },
            )
        )
    lines = db.session.execute(
        db.select(HandoverLine, Handover)
        .join(Handover, Handover.id == HandoverLine.handover_id)
        .where(HandoverLine.item_id == item.id)
    ).all()
    for line, handover in lines:
        entries.append(
            (
                handover.created_at,
                2,
                {
                    "kind": "handover",
                    "actor_id": handover.created_by_id,
                    "handover_id": handover.id,
                    "number": handover_number(handover),
                    "direction": handover.direction,
                    "agency": handover.agency.name,
                    "officer_name": handover.officer_name,
                    "postman_id": handover.postman_id,
                    "originals": line.originals,
                    "copies": line.copies,
                    "fee_passed_on": line.fee_passed_on,
                },
            )
        )
    entries.sort(key=lambda row: (row[0], row[1]))
    told = [{"at": at, **entry} for at, _, entry in entries]
    _name_people_and_rounds(told)
    return {
        "item_id": item.id,
        "code": item.code,
        "status": item.status,
        "version": item.version,
        "editable": item.status not in FINAL,
        "allowed_events": events_from(item.direction, item.status),
        "entries": told,
    }


def _name_people_and_rounds(story: list[dict]) -> None:
    """Each entry's actor (and postman) by name and role, each round by its postman and date."""
    user_ids = {e[key] for e in story for key in ("actor_id", "postman_id") if e.get(key)}
    round_ids = {e[key] for e in story for key in ("round_id", "from_round_id") if e.get(key)}
    rounds = {r.id: r for r in db.session.execute(db.select(Round).where(Round.id.in_(round_ids))).scalars()}
    user_ids |= {r.postman_id for r in rounds.values()}
    users = {u.id: u for u in db.session.execute(db.select(User).where(User.id.in_(user_ids))).scalars()}

    def person(user_id):
        user = users.get(user_id)
        return None if user is None else {"id": user.id, "full_name": user.full_name, "role": user.role}

    def round_ref(round_id):
        rnd = rounds.get(round_id)
        if rnd is None:
            return None
        return {"id": rnd.id, "round_date": rnd.round_date, "postman": person(rnd.postman_id)}

    for entry in story:
        entry["actor"] = person(entry.pop("actor_id", None))
        if "postman_id" in entry:
            entry["postman"] = person(entry.pop("postman_id"))
        for key in ("round_id", "from_round_id"):
            if key in entry:
                entry[key.removesuffix("_id")] = round_ref(entry.pop(key))
