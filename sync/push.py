"""Push: apply a batch of client mutations, each exactly once, each with its own outcome.

Per mutation, one transaction holds the effect, the ledger row and the device's new
sequence number, so a retry after a lost response finds the ledger row and gets the
stored outcome back instead of a second effect. A rejected mutation is recorded too,
so it never blocks the ones behind it.
"""

from __future__ import annotations

import logging

import marshmallow as ma
from sqlalchemy import select, update
from sqlalchemy.exc import DataError, IntegrityError, OperationalError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from backend.domain.rules import DomainError
from backend.models import Device, SyncMutation, User
from backend.models.base import now_utc
from backend.personal_data import redact_for_ledger
from sync.effects import HANDLERS
from sync.protocol import APPLIED, DUPLICATE, REJECTED, SUPPORTED_MUTATION_VERSIONS
from sync.schemas import DATA_SCHEMAS, REQUIRED_ATTACHMENTS, EnvelopeSchema, MutationSchema

log = logging.getLogger(__name__)


class Rejection(Exception):
    """A mutation the server records as rejected (its sequence number is spent)."""

    def __init__(self, reason: str, detail: str, errors: dict | None = None):
        super().__init__(detail)
        self.reason, self.detail, self.errors = reason, detail, errors


def _outcome(mutation_id, seq, outcome, **extra) -> dict:
    return {"id": mutation_id, "seq": seq, "outcome": outcome, **extra}


def _validate(raw: dict) -> tuple[dict, dict]:
    try:
        mutation = MutationSchema().load(raw)
    except ma.ValidationError as error:
        raise Rejection("invalid-mutation", "The mutation is malformed.", error.messages) from None
    if mutation["v"] not in SUPPORTED_MUTATION_VERSIONS:
        raise Rejection("unsupported-mutation-version",
                        f"Mutation version {mutation['v']} is not supported.")
    try:
        data = DATA_SCHEMAS[mutation["type"]]().load(mutation["data"])
    except ma.ValidationError as error:
        raise Rejection("invalid-mutation", "The mutation's data is malformed.", {"data": error.messages}) from None
    kinds = {a["kind"] for a in mutation["attachments"]}
    needed = set(REQUIRED_ATTACHMENTS.get(mutation["type"], ()))
    if data.get("receiver_relation") == "authorised":
        needed.add("authorisation_letter")
    if needed - kinds:
        raise Rejection("missing-attachment", f"This proof needs: {', '.join(sorted(needed - kinds))}.",
                        {"attachments": [f"Missing {k}." for k in sorted(needed - kinds)]})
    if mutation["type"] != "handover" and "item_id" not in mutation:
        raise Rejection("invalid-mutation", "item_id is required.", {"item_id": ["Missing."]})
    return mutation, data


def _stored_outcome(session: Session, mutation_id: str, device_id: str, seq: int) -> dict | None:
    row = session.get(SyncMutation, mutation_id)
    if row is None:
        return None
    if row.device_id != device_id or row.device_seq != seq:
        return _outcome(mutation_id, seq, REJECTED, reason="id-reused",
                        detail="This mutation id was already used for another mutation.")
    return {**row.result, "outcome": DUPLICATE, "original_outcome": row.outcome}


def apply_one(session: Session, user_id: int, device_id: str, raw: dict, app_version: str | None,
              _attempt: int = 0) -> dict:
    """Apply one mutation in its own transaction and return its outcome. Commits or rolls back."""
    try:
        envelope = EnvelopeSchema().load(raw)
    except ma.ValidationError as error:
        return _outcome(raw.get("id") if isinstance(raw.get("id"), str) else None,
                        raw.get("seq") if isinstance(raw.get("seq"), int) else None, REJECTED,
                        reason="invalid-envelope", detail="A mutation needs a valid id and seq.",
                        errors=error.messages, retryable=False)
    mutation_id, seq = envelope["id"], envelope["seq"]
    try:
        # Lock the device row: one device's mutations are applied one at a time, in order.
        device = session.execute(select(Device).where(Device.id == device_id).with_for_update()
                                 .execution_options(populate_existing=True)).scalar_one()
        stored = _stored_outcome(session, mutation_id, device_id, seq)
        if stored is not None:
            session.rollback()
            return stored
        expected = device.last_seq + 1
        if seq != expected:
            session.rollback()
            reason = "sequence-gap" if seq > expected else "sequence-reused"
            return _outcome(mutation_id, seq, REJECTED, reason=reason, expected_seq=expected, retryable=True,
                            detail=f"Expected mutation number {expected} from this device, got {seq}.")
        device_time = None
        try:
            mutation, data = _validate(raw)
            device_time = mutation["at"]
            with session.begin_nested():
                result = HANDLERS[mutation["type"]](session, user_id, device_id, mutation, data)
            outcome, reason, body = APPLIED, None, _outcome(mutation_id, seq, APPLIED, **result)
        except (DataError, OverflowError):
            # A value the database cannot hold (an id beyond its integer range...): the savepoint
            # is rolled back and the mutation recorded as rejected, so it blocks nothing.
            outcome, reason = REJECTED, "invalid-value"
            body = _outcome(mutation_id, seq, REJECTED, reason=reason, retryable=False,
                            detail="A value is out of range for the server; this mutation cannot be applied.")
        except (Rejection, DomainError) as error:
            reason = getattr(error, "reason", None) or error.kind
            errors = error.errors
            outcome = REJECTED
            body = _outcome(mutation_id, seq, REJECTED, reason=reason, detail=error.detail, retryable=False,
                            **({"errors": errors} if errors else {}))
        payload, body = redact_for_ledger(raw, body)  # no ID number in clear, stored or sent back
        session.add(SyncMutation(
            id=mutation_id, device_id=device_id, device_seq=seq, user_id=user_id,
            type=str(raw.get("type"))[:32], item_id=_int_or_none(raw.get("item_id")) if outcome == APPLIED else None,
            outcome=outcome, reason=reason, result=body, payload=payload, app_version=app_version,
            device_time=device_time,
        ))
        session.execute(update(Device).where(Device.id == device_id)
                        .values(last_seq=seq, last_sync_at=now_utc(), app_version=app_version))
        session.commit()
        return body
    except StaleDataError:
        # A supervisor changed the item (reassigned, reordered) while this was applied:
        # read it again and decide on the fresh state.
        session.rollback()
        if _attempt < 2:
            return apply_one(session, user_id, device_id, raw, app_version, _attempt + 1)
        return _outcome(mutation_id, seq, REJECTED, reason="conflict-retry", retryable=True,
                        detail="The item kept changing while this was applied; send it again.")
    except IntegrityError:
        # Another connection applied the same mutation first: report its outcome.
        session.rollback()
        stored = _stored_outcome(session, mutation_id, device_id, seq)
        session.rollback()
        if stored is not None:
            return stored
        return _outcome(mutation_id, seq, REJECTED, reason="conflict-retry", retryable=True,
                        detail="Another request changed the same data; send it again.")
    except OperationalError:
        session.rollback()
        log.exception("Database error while applying mutation %s", mutation_id)
        return _outcome(mutation_id, seq, REJECTED, reason="server-busy", retryable=True,
                        detail="The server could not apply this now; it will be retried.")


def _int_or_none(value) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def push(session: Session, user: User, device_id: str, mutations: list[dict], app_version: str | None) -> dict:
    """Apply a batch in per-device order; every mutation gets its own outcome."""
    ordered = sorted(mutations, key=lambda m: m.get("seq") if isinstance(m.get("seq"), int) else 0)
    user_id = user.id  # read once: every per-mutation commit expires the User object
    results = [apply_one(session, user_id, device_id, raw, app_version) for raw in ordered]
    device_seq = session.execute(select(Device.last_seq).where(Device.id == device_id)).scalar_one()
    session.rollback()
    return {"results": results, "device_seq": device_seq}
