"""What each mutation type does to the database. The caller owns the transaction.

The domain decides conflicts: a proof for an item that left the postman's round, or
whose status no longer allows it, is stored and flagged for a supervisor, never dropped.
"""

from __future__ import annotations

from typing import NamedTuple

from flask import current_app
from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from backend.audit import audit
from backend.domain.handover_rules import Recorder
from backend.domain.rules import DomainError
from backend.domain.status import Event, allowed
from backend.models import (
    Attachment,
    AttachmentUpload,
    CommitLog,
    DeliveryAttempt,
    FeeEntry,
    HandoverAttachment,
    Item,
    ProofAttachment,
    ScopeRemoval,
    User,
)
from backend.personal_data import hash_id_number, mask_id_number
from backend.services import cash, handovers
from backend.services.item_events import apply_event
from backend.services.items import carries
from backend.services.locks import lock_items_and_rounds
from sync.attachments import SIGNATURE_KINDS, is_digest, lock_digests

OUTCOME_EVENT = {
    "deliver": (Event.DELIVER, "delivered"),
    "fail": (Event.FAIL, "failed"),
    "collect": (Event.COLLECT, "collected"),
}
DIRECTION_OF = {"deliver": "return", "collect": "collect"}


def not_yours(item_id) -> DomainError:
    """The one answer for an item the postman may not touch, whether it exists or not: it never
    names or describes the item (docs/security.md, "Who may see what")."""
    return DomainError(
        "not-your-item",
        f"Item {item_id} is not on your rounds. / Bưu gửi {item_id} không thuộc chuyến của bạn.",
        status=403,
    )


# session.info key: the items a push batch locked (with their rounds) before its first mutation,
# held until its COMMIT (sync.push). A mutation of the batch finds its item there instead of
# locking it again, as long as the item is still on a round the batch locked.
BATCH_LOCKED = "sync.push.locked"


# session.info key: what a push batch read of its files before its first mutation (`BatchFiles`), under
# their locks, which it holds until its COMMIT: no upload of them can be recorded meanwhile, so a
# mutation of the batch finds its files' facts there instead of locking and reading them again.
BATCH_FILES = "sync.push.files"


class BatchFiles(NamedTuple):
    locked: frozenset[str]  # every file the batch names, locked
    blank: frozenset[str]  # of those, the verified ones with too little ink for a signature
    sent: frozenset[str]  # of those, the ones this postman has sent whole


def batch_files(session: Session, user_id: int, mutations: list) -> BatchFiles | None:
    """Lock the files a push batch names (in digest order, one statement) and read, once for the
    batch, which are blank signatures and which this postman has sent (None: it names none)."""
    digests: set[str] = {
        d
        for m in mutations
        if isinstance(m, dict) and isinstance(m.get("attachments"), list)
        for ref in m["attachments"]
        if isinstance(ref, dict) and is_digest(d := ref.get("sha256"))
    }
    if not digests:
        return None
    lock_digests(session, digests)
    blank = session.execute(
        select(Attachment.sha256).where(
            Attachment.sha256.in_(digests),
            Attachment.verified.is_(True),
            Attachment.ink_share < current_app.config["SIGNATURE_MIN_INK"],
        )
    ).scalars()
    return BatchFiles(frozenset(digests), frozenset(blank), frozenset(_sent(session, user_id, digests)))


def _load_item(session: Session, item_id: int | None, lock: bool = False) -> Item:
    """The item; `lock`: with its round, locked in the one order (round, then item), because the
    mutation will write both (the round's status follows its stops)."""
    held = session.info.get(BATCH_LOCKED) if lock else None
    if held is not None and item_id in held[0] and held[0][item_id].round_id in (None, *held[1]):
        item = held[0][item_id]  # its row and its round's are locked until this batch commits
    elif item_id is not None and lock:
        item = lock_items_and_rounds(session, [item_id]).get(item_id)
    else:
        item = session.get(Item, item_id) if item_id is not None else None
    if item is None:
        raise not_yours(item_id)
    return item


def ownership(session: Session, user_id: int, item: Item) -> str | None:
    """None when the item is on the postman's round now; a flag reason when it was and left;
    the not-yours DomainError when it was never theirs."""
    if carries(session, user_id, item):
        return None
    removal = session.execute(
        select(ScopeRemoval.reason)
        .join(CommitLog, CommitLog.id == ScopeRemoval.ticket)
        .where(ScopeRemoval.postman_id == user_id, ScopeRemoval.item_id == item.id)
        .order_by(CommitLog.seq.desc())
        .limit(1)
    ).scalar_one_or_none()
    if removal is None:
        raise not_yours(item.id)
    return f"item-{removal}"


def _attach(session: Session, user_id: int, attempt: DeliveryAttempt, refs: list[dict]) -> list[str]:
    """Link attachments to a proof; returns the digests this postman has not uploaded yet (a file
    counts for a proof once its own postman has sent it whole, docs/security.md "Files")."""
    for ref in refs:
        session.add(ProofAttachment(attempt=attempt, sha256=ref["sha256"], kind=ref["kind"]))
    missing = _not_yet_sent(session, user_id, refs)
    attempt.complete = not missing
    return missing


def _not_yet_sent(session: Session, user_id: int, refs: list[dict]) -> list[str]:
    """The files a mutation names, checked as a proof's are: locked against a concurrent upload, a
    blank signature refused; returns the digests this postman has not sent whole yet."""
    wanted = {ref["sha256"] for ref in refs}
    signed = {ref["sha256"] for ref in refs if ref["kind"] in SIGNATURE_KINDS}
    known = session.info.get(BATCH_FILES)
    if known is not None and wanted <= known.locked:  # read under their locks for the whole batch
        if signed & known.blank:
            raise _blank_signature()
        return sorted(wanted - known.sent)
    lock_digests(session, wanted)
    _refuse_blank_signatures(session, signed)
    return sorted(wanted - _sent(session, user_id, wanted))


def _sent(session: Session, user_id: int, digests: set[str]) -> set[str]:
    """Of these files, the ones this postman has sent whole."""
    if not digests:
        return set()
    return set(
        session.execute(
            select(AttachmentUpload.sha256).where(
                AttachmentUpload.sha256.in_(digests), AttachmentUpload.user_id == user_id
            )
        ).scalars()
    )


def _refuse_blank_signatures(session: Session, signed: set[str]) -> None:
    if not signed:
        return
    minimum = current_app.config["SIGNATURE_MIN_INK"]
    blank = session.execute(
        select(Attachment.sha256).where(
            Attachment.sha256.in_(signed), Attachment.verified.is_(True), Attachment.ink_share < minimum
        )
    ).first()
    if blank is not None:
        raise _blank_signature()


def _blank_signature() -> DomainError:
    return DomainError(
        "blank-signature",
        "A signature is blank (too little ink); have it signed again. / "
        "Chữ ký để trống (quá ít nét); hãy ký lại.",
        status=422,
        errors={"attachments": ["A signature needs ink."]},
    )


def record_attempt(session: Session, user_id: int, device_id: str, mutation: dict, data: dict) -> dict:
    """deliver / fail / collect: store the proof, then move the item if the domain allows."""
    kind = mutation["type"]
    item = _load_item(session, mutation.get("item_id"), lock=True)
    flag = ownership(session, user_id, item)
    expected_direction = DIRECTION_OF.get(kind)
    if expected_direction and item.direction != expected_direction:
        raise DomainError(
            "wrong-direction",
            f"Item {item.code} is a {item.direction} item; '{kind}' does not apply to it.",
            status=422,
        )
    event, outcome = OUTCOME_EVENT[kind]
    if flag is None and not allowed(item.direction, item.status, event):
        flag = f"status-{item.status}"

    id_number = data.pop("id_number", None)
    checklist = data.pop("checklist", None)
    payments = {k: data.pop(k, "cash") for k in ("service_fee_payment", "government_fee_payment")}
    id_hash, id_key = hash_id_number(id_number) if id_number else (None, None)
    if id_number:  # typed into a note as well? never in clear
        data = {
            k: v.replace(id_number, mask_id_number(id_number)) if isinstance(v, str) else v
            for k, v in data.items()
        }
    attempt = DeliveryAttempt(
        client_mutation_id=mutation["id"],
        item_id=item.id,
        postman_id=user_id,
        device_id=device_id,
        round_id=item.round_id,
        outcome=outcome,
        device_time=mutation["at"],
        id_number_masked=mask_id_number(id_number) if id_number else None,
        id_number_hash=id_hash,
        id_number_hash_key=id_key,
        checklist=checklist,
        flagged=flag is not None,
        flag_reason=flag,
        **data,
    )
    session.add(attempt)
    missing = _attach(session, user_id, attempt, mutation["attachments"])
    session.flush()
    if data.get("fee_collected") or data.get("government_fee_collected"):
        session.add(
            FeeEntry(
                client_mutation_id=mutation["id"],
                item_id=item.id,
                attempt_id=attempt.id,
                postman_id=user_id,
                service_fee=data.get("fee_collected", 0),
                government_fee=data.get("government_fee_collected", 0),
                receipt_number=data.get("receipt_number"),
                **payments,
                device_time=mutation["at"],
            )
        )
    if flag is None:
        invitations_before = item.invitation_count
        apply_event(item, event, {"attempt_id": attempt.id}, actor_id=user_id, at=mutation["at"])
        if event == Event.FAIL:
            attempt.counts_as_invitation = item.invitation_count > invitations_before
    else:
        audit(
            "proof.flagged", "item", item.code, {"attempt_id": attempt.id, "reason": flag}, actor_id=user_id
        )
    result = {
        "proof_id": attempt.id,
        "item": {
            "id": item.id,
            "status": item.status,
            "attempt_count": item.attempt_count,
            "invitation_count": item.invitation_count,
        },
    }
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
    entry = FeeEntry(
        client_mutation_id=mutation["id"],
        item_id=item.id,
        postman_id=user_id,
        device_time=mutation["at"],
        **data,
    )
    session.add(entry)
    session.flush()
    audit("fee.collected", "item", item.code, {"fee_entry_id": entry.id, "flag": flag}, actor_id=user_id)
    return {"fee_entry_id": entry.id, **({"flag": flag} if flag else {})}


def record_handover(session: Session, user_id: int, device_id: str, mutation: dict, data: dict) -> dict:
    """A signed handover record (backend.services.handovers): every listed item moves, or the
    mutation is rejected whole."""
    refs = mutation["attachments"]
    missing = _not_yet_sent(session, user_id, refs)  # a blank signature refuses the record first
    handover = handovers.record(
        Recorder.POSTMAN, user_id, data, client_mutation_id=mutation["id"], device_time=mutation["at"]
    )
    unique = {(ref["sha256"], ref["kind"]): ref for ref in refs}
    handover.attachments.extend(HandoverAttachment(sha256=sha, kind=kind) for sha, kind in unique)
    session.flush()
    result: dict = {"handover_id": handover.id}
    if missing:
        result["missing_attachments"] = missing
    return result


def record_cash_handover(session: Session, user_id: int, device_id: str, mutation: dict, data: dict) -> dict:
    """The day's cash handed to the office (backend.services.cash): declared until a supervisor
    confirms it; more than the postman holds is kept and flagged, never dropped (the money moved)."""
    postman = session.get_one(User, user_id)
    handover = cash.record(
        Recorder.POSTMAN,
        user_id,
        user_id,
        cash.postman_office(postman, data["day"]),
        data,
        client_mutation_id=mutation["id"],
        device_time=mutation["at"],
    )
    result: dict = {"cash_handover_id": handover.id, "status": handover.status}
    if handover.flag_reason:
        result["flag"] = f"cash-{handover.flag_reason}"
    return result


HANDLERS = {
    "deliver": record_attempt,
    "fail": record_attempt,
    "collect": record_attempt,
    "fee": record_fee,
    "handover": record_handover,
    "cash_handover": record_cash_handover,
}


def attempts_waiting_for(session: Session, sha256: str) -> list[int]:
    """Proofs that reference `sha256` and are not complete yet."""
    return list(
        session.execute(
            select(ProofAttachment.attempt_id)
            .where(ProofAttachment.sha256 == sha256)
            .where(
                exists().where(
                    DeliveryAttempt.id == ProofAttachment.attempt_id, DeliveryAttempt.complete.is_(False)
                )
            )
        ).scalars()
    )
