"""What each mutation type does to the database. The caller owns the transaction.

The domain decides conflicts: a proof for an item that left the postman's round, or
whose status no longer allows it, is stored and flagged for a supervisor, never dropped.
"""

from __future__ import annotations

import hashlib
import hmac

from flask import current_app
from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from backend.audit import audit
from backend.domain.rules import DomainError
from backend.domain.status import Event, allowed
from backend.models import (
    Attachment,
    DeliveryAttempt,
    FeeEntry,
    Handover,
    HandoverLine,
    Item,
    ProofAttachment,
    Round,
    ScopeRemoval,
)
from backend.services.item_events import apply_event
from sync.attachments import lock_digests

OUTCOME_EVENT = {"deliver": (Event.DELIVER, "delivered"), "fail": (Event.FAIL, "failed"),
                 "collect": (Event.COLLECT, "collected")}
DIRECTION_OF = {"deliver": "return", "collect": "collect"}


def mask_id_number(number: str) -> str:
    return "*" * max(len(number) - 3, 0) + number[-3:]


def hash_id_number(number: str) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, number.upper().encode(), hashlib.sha256).hexdigest()


def _load_item(session: Session, item_id: int | None) -> Item:
    item = session.get(Item, item_id) if item_id is not None else None
    if item is None:
        raise DomainError("unknown-item", f"No item with id {item_id}.", status=422)
    return item


def ownership(session: Session, user_id: int, item: Item) -> str | None:
    """None when the item is on the postman's round now; a flag reason when it was and left;
    DomainError when it was never theirs."""
    # session.get keeps the round in the identity map for settle_round.
    if item.round_id is not None and session.get(Round, item.round_id).postman_id == user_id:
        return None
    removal = session.execute(select(ScopeRemoval.reason).where(
        ScopeRemoval.postman_id == user_id, ScopeRemoval.item_id == item.id)
        .order_by(ScopeRemoval.seq.desc()).limit(1)).scalar_one_or_none()
    if removal is None:
        raise DomainError("not-your-item", f"Item {item.code} was never on your round.", status=403)
    return f"item-{removal}"


def _attach(session: Session, attempt: DeliveryAttempt, refs: list[dict]) -> list[str]:
    """Link attachments to a proof; returns the digests the server does not have yet."""
    wanted = {ref["sha256"] for ref in refs}
    lock_digests(session, wanted)
    for ref in refs:
        session.add(ProofAttachment(attempt=attempt, sha256=ref["sha256"], kind=ref["kind"]))
    have = set(session.execute(select(Attachment.sha256).where(
        Attachment.sha256.in_(wanted), Attachment.verified.is_(True))).scalars()) if wanted else set()
    missing = sorted(wanted - have)
    attempt.complete = not missing
    return missing


def record_attempt(session: Session, user_id: int, device_id: str, mutation: dict, data: dict) -> dict:
    """deliver / fail / collect: store the proof, then move the item if the domain allows."""
    kind = mutation["type"]
    item = _load_item(session, mutation.get("item_id"))
    flag = ownership(session, user_id, item)
    expected_direction = DIRECTION_OF.get(kind)
    if expected_direction and item.direction != expected_direction:
        raise DomainError("wrong-direction", f"Item {item.code} is a {item.direction} item; "
                          f"'{kind}' does not apply to it.", status=422)
    event, outcome = OUTCOME_EVENT[kind]
    if flag is None and not allowed(item.direction, item.status, event):
        flag = f"status-{item.status}"

    id_number = data.pop("id_number", None)
    checklist = data.pop("checklist", None)
    attempt = DeliveryAttempt(
        client_mutation_id=mutation["id"], item_id=item.id, postman_id=user_id, device_id=device_id,
        round_id=item.round_id, outcome=outcome, device_time=mutation["at"],
        id_number_masked=mask_id_number(id_number) if id_number else None,
        id_number_hash=hash_id_number(id_number) if id_number else None,
        checklist=checklist, flagged=flag is not None, flag_reason=flag,
        **data,
    )
    session.add(attempt)
    missing = _attach(session, attempt, mutation["attachments"])
    session.flush()
    if data.get("fee_collected") or data.get("government_fee_collected"):
        session.add(FeeEntry(client_mutation_id=mutation["id"], item_id=item.id, attempt_id=attempt.id,
                             postman_id=user_id, service_fee=data.get("fee_collected", 0),
                             government_fee=data.get("government_fee_collected", 0),
                             receipt_number=data.get("receipt_number"), device_time=mutation["at"]))
    if flag is None:
        invitations_before = item.invitation_count
        apply_event(item, event, {"attempt_id": attempt.id}, actor_id=user_id, at=mutation["at"])
        if event == Event.FAIL:
            attempt.counts_as_invitation = item.invitation_count > invitations_before
    else:
        audit("proof.flagged", "item", item.code, {"attempt_id": attempt.id, "reason": flag}, actor_id=user_id)
    result = {"proof_id": attempt.id, "item": {"id": item.id, "status": item.status,
                                               "attempt_count": item.attempt_count,
                                               "invitation_count": item.invitation_count}}
    if attempt.counts_as_invitation is not None:
        result["counts_as_invitation"] = attempt.counts_as_invitation
    if flag:
        result["flag"] = flag
    if missing:
        result["missing_attachments"] = missing
    return result


def record_fee(session: Session, user_id: int, device_id: str, mutation: dict, data: dict) -> dict:
    item = _load_item(session, mutation.get("item_id"))
    flag = ownership(session, user_id, item)
    entry = FeeEntry(client_mutation_id=mutation["id"], item_id=item.id, postman_id=user_id,
                     device_time=mutation["at"], **data)
    session.add(entry)
    session.flush()
    audit("fee.collected", "item", item.code, {"fee_entry_id": entry.id, "flag": flag}, actor_id=user_id)
    return {"fee_entry_id": entry.id, **({"flag": flag} if flag else {})}


HANDOVER_EVENTS = {
    ("agency_to_post", "return"): (Event.RECEIVE_FROM_AGENCY,),
    ("post_to_agency", "collect"): (Event.HAND_TO_AGENCY, Event.RETURN_TO_AGENCY),
    ("post_to_agency", "return"): (Event.RETURN_TO_AGENCY,),
}


def record_handover(session: Session, user_id: int, device_id: str, mutation: dict, data: dict) -> dict:
    """A signed handover record; every listed item moves, or the mutation is rejected whole."""
    lines = data.pop("lines")
    ids = [line["item_id"] for line in lines]
    if len(set(ids)) != len(ids):
        raise DomainError("duplicate-line", "An item is listed twice in the handover.", status=422)
    items = {i.id: i for i in session.execute(select(Item).where(Item.id.in_(ids))).scalars()}
    problems = {}
    moves = []
    for index, line in enumerate(lines):
        item = items.get(line["item_id"])
        if item is None:
            problems[str(index)] = f"No item with id {line['item_id']}."
            continue
        if item.agency_id != data["agency_id"]:
            problems[str(index)] = f"Item {item.code} belongs to another agency."
            continue
        events = HANDOVER_EVENTS.get((data["direction"], item.direction), ())
        event = next((e for e in events if allowed(item.direction, item.status, e)), None)
        if event is None:
            problems[str(index)] = f"Item {item.code} is '{item.status}' and cannot be handed over this way."
            continue
        moves.append((item, event))
    if problems:
        raise DomainError("handover-not-possible", "Some listed items cannot be handed over; nothing was "
                          "recorded.", status=409, errors={"lines": problems})
    handover = Handover(client_mutation_id=mutation["id"], postman_id=user_id, created_by_id=user_id,
                        device_time=mutation["at"], **data)
    session.add(handover)
    for line in lines:
        handover.lines.append(HandoverLine(**line))
    session.flush()
    for item, event in moves:
        apply_event(item, event, {"handover_id": handover.id}, actor_id=user_id)
    audit("handover.recorded", "handover", handover.id, {"direction": data["direction"], "items": len(lines)},
          actor_id=user_id)
    return {"handover_id": handover.id}


HANDLERS = {"deliver": record_attempt, "fail": record_attempt, "collect": record_attempt,
            "fee": record_fee, "handover": record_handover}


def attempts_waiting_for(session: Session, sha256: str) -> list[int]:
    """Proofs that reference `sha256` and are not complete yet."""
    return list(session.execute(select(ProofAttachment.attempt_id).where(ProofAttachment.sha256 == sha256)
                                .where(exists().where(DeliveryAttempt.id == ProofAttachment.attempt_id,
                                                      DeliveryAttempt.complete.is_(False)))).scalars())
