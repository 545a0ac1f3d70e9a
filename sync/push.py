"""Push: apply a batch of client mutations, each exactly once, each with its own outcome.

One transaction per batch holds every mutation's effect and ledger row and the device's new
sequence number, each mutation under its own SAVEPOINT (docs/decisions/0008-batch-transaction.md):
a rejected mutation rolls back only its own writes and is recorded too, so it never blocks the
ones behind it. The answer leaves only after the COMMIT, so a retry after a lost response finds
the ledger rows and gets the stored outcomes back instead of a second effect, and a batch that
never committed (a crash, a lost connection) left nothing to find and is applied afresh.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from typing import TypeGuard

import marshmallow as ma
from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.exc import DataError, IntegrityError, OperationalError
from sqlalchemy.orm import Session, SessionTransaction
from sqlalchemy.orm.exc import StaleDataError

from backend.domain.rules import DomainError
from backend.models import Device, SyncMutation, User
from backend.models.base import now_utc
from backend.personal_data import redact_for_ledger
from backend.services.locks import lock_items_with_rounds
from sync.effects import BATCH_FILES, BATCH_LOCKED, HANDLERS, batch_files
from sync.protocol import APPLIED, DUPLICATE, RECEIPT_REQUIRED_FROM, REJECTED, SUPPORTED_MUTATION_VERSIONS
from sync.schemas import (
    ALLOWED_ATTACHMENTS,
    CLIENT_ID,
    DATA_SCHEMAS,
    MAX_SEQ,
    NO_ITEM_TYPES,
    REQUIRED_ATTACHMENTS,
    MutationSchema,
    cash_taken,
)

log = logging.getLogger(__name__)
MAX_ITEM_ID = 2**31 - 1  # an items.id (INTEGER) the database can hold


class Rejection(Exception):
    """A mutation the server records as rejected (its sequence number is spent)."""

    def __init__(self, reason: str, detail: str, errors: dict | None = None):
        super().__init__(detail)
        self.reason, self.detail, self.errors = reason, detail, errors


def _outcome(mutation_id, seq, outcome, **extra) -> dict:
    return {"id": mutation_id, "seq": seq, "outcome": outcome, **extra}


def _rejected(
    mutation_id, seq, reason: str, detail: str, retryable: bool, errors: dict | None = None, **extra
) -> dict:
    body = _outcome(mutation_id, seq, REJECTED, reason=reason, detail=detail, retryable=retryable, **extra)
    if errors:
        body["errors"] = error_shape(errors)
    return body


def error_shape(errors) -> dict:
    """The one documented shape of `errors`: field -> list of messages (strings), or field -> the same
    shape for nested objects and list positions (keys are strings)."""

    def messages(value):
        if isinstance(value, dict):
            return {str(k): messages(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            if value and all(isinstance(v, dict) for v in value):
                return {str(i): messages(v) for i, v in enumerate(value)}
            return [str(v) for v in value]
        return [str(value)]

    shaped = messages(errors)
    return shaped if isinstance(shaped, dict) else {"_schema": shaped}


def payload_hash(raw: dict) -> str:
    """HMAC-SHA256 of the mutation as received, as canonical JSON (sorted keys, no spaces, ASCII).

    Keyed with ID_HASH_KEY: the mutation may carry an ID number, and everything else in it is
    stored beside the hash, so a plain hash could be reversed by trying every number."""
    canonical = json.dumps(raw, sort_keys=True, separators=(",", ":"), ensure_ascii=True, default=str)
    return hmac.new(
        current_app.config["ID_HASH_KEY"].encode(), canonical.encode(), hashlib.sha256
    ).hexdigest()


def _ledger_id(device_id: str, seq: int) -> str:
    """The ledger key of a mutation whose own id cannot be used (malformed, or taken by another
    mutation). `~` is outside the client id alphabet, so it never collides with a client id."""
    return "~" + hashlib.sha256(f"{device_id}\n{seq}".encode()).hexdigest()[:48]


def _valid_seq(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= MAX_SEQ


def _validate(raw: dict) -> tuple[dict, dict]:
    try:
        mutation = MutationSchema().load(raw)
    except ma.ValidationError as error:
        raise Rejection(
            "invalid-mutation", "The mutation is malformed.", error.normalized_messages()
        ) from None
    if mutation["v"] not in SUPPORTED_MUTATION_VERSIONS:
        raise Rejection(
            "unsupported-mutation-version",
            f"Mutation version {mutation['v']} is not supported.",
            {"v": [f"Supported: {sorted(SUPPORTED_MUTATION_VERSIONS)}"]},
        )
    try:
        data = DATA_SCHEMAS[mutation["type"]]().load(mutation["data"])
    except ma.ValidationError as error:
        raise Rejection(
            "invalid-mutation", "The mutation's data is malformed.", {"data": error.messages}
        ) from None
    if (
        mutation["v"] >= RECEIPT_REQUIRED_FROM
        and cash_taken(mutation["type"], data)
        and not data.get("receipt_number")  # blank text is refused by the schema already
    ):
        raise Rejection(
            "receipt-required",
            "Cash was taken: the proof needs the receipt number given to the citizen.",
            {"data": {"receipt_number": ["Required when an amount is collected in cash."]}},
        )
    kinds = {a["kind"] for a in mutation["attachments"]}
    allowed_kinds = ALLOWED_ATTACHMENTS.get(mutation["type"])
    if allowed_kinds is not None and kinds - allowed_kinds:
        raise Rejection(
            "invalid-mutation",
            f"A {mutation['type']} carries only: {', '.join(sorted(allowed_kinds))}.",
            {"attachments": [f"Not allowed here: {k}." for k in sorted(kinds - allowed_kinds)]},
        )
    needed = set(REQUIRED_ATTACHMENTS.get(mutation["type"], ()))
    if data.get("receiver_relation") == "authorised":
        needed.add("authorisation_letter")
    if needed - kinds:
        raise Rejection(
            "missing-attachment",
            f"This proof needs: {', '.join(sorted(needed - kinds))}.",
            {"attachments": [f"Missing {k}." for k in sorted(needed - kinds)]},
        )
    if mutation["type"] not in NO_ITEM_TYPES and "item_id" not in mutation:
        raise Rejection(
            "invalid-mutation", "item_id is required.", {"item_id": ["Missing data for required field."]}
        )
    return mutation, data


def _replay(row: SyncMutation | None, claimed_id, digest: str, seq: int, expected: int) -> dict:
    """A mutation whose number this device has already spent: a retry, or a phone counting again."""
    if row is not None and row.result.get("id") == claimed_id:
        if row.payload_hash is None or row.payload_hash == digest:
            return {**row.result, "outcome": DUPLICATE, "original_outcome": row.outcome}
        return _rejected(
            claimed_id,
            seq,
            "id-reused",
            "This id and number were already used for a mutation with "
            "other content; nothing was applied. Give a new mutation a new id.",
            False,
            {"id": ["Already used with other content."]},
        )
    return _rejected(
        claimed_id,
        seq,
        "sequence-reused",
        f"Mutation number {seq} was already used by another "
        f"mutation of this device; renumber the unsent mutations from {expected}.",
        True,
        expected_seq=expected,
    )


class _Device:
    """The pushing device as the batch's transaction sees it: its row is locked once for the whole
    batch, and its next number is kept here and written once, at the end."""

    def __init__(self, device_id: str, last_seq: int) -> None:
        self.id, self.last_seq, self.spent = device_id, last_seq, False


def _undo(savepoint: SessionTransaction | None, reraise: bool = False) -> None:
    """Roll back what this mutation wrote. `reraise`: outside its savepoint (the rejected mutation's
    ledger row), nothing can be undone on its own, so the error fails the whole batch."""
    if savepoint is not None and savepoint.is_active:
        savepoint.rollback()
    elif reraise:
        raise


def apply_one(
    session: Session,
    user_id: int,
    device: _Device,
    raw: dict,
    app_version: str | None,
    hold: bool = False,
    _attempt: int = 0,
    taken: set[str] | None = None,
) -> dict:
    """Apply one mutation inside the batch's transaction, under its own SAVEPOINT, and return its
    outcome: a rejection rolls back only what this mutation wrote (docs/decisions/0008).

    Every mutation that carries a valid `seq` equal to the device's next number spends that number,
    whatever else is wrong with it, so the ones behind it go through. `hold`: an earlier mutation of
    this batch reused a number, so this one is not applied either (the phone renumbers them all).
    `taken`: the batch's mutation ids already in the ledger, read once for the whole batch (and
    grown by this batch's own rows); without it the id is looked up on its own.
    """
    claimed_id, seq = raw.get("id"), raw.get("seq")
    device_id = device.id
    # The id as sent (a JSON scalar), so the phone can match the answer; never an object echoed back.
    reply_id = (
        claimed_id if isinstance(claimed_id, (str, int, float)) and not isinstance(claimed_id, bool) else None
    )
    if not _valid_seq(seq):
        return _rejected(
            reply_id,
            seq if _valid_seq(seq) else None,
            "invalid-envelope",
            "A mutation needs a whole-number seq from 1; this one cannot be recorded.",
            False,
            {"seq": [f"A whole number from 1 to {MAX_SEQ}."]},
        )
    id_ok = isinstance(claimed_id, str) and CLIENT_ID.fullmatch(claimed_id) is not None
    digest = payload_hash(raw)
    expected = device.last_seq + 1
    if seq < expected:
        row = session.execute(
            select(SyncMutation).where(SyncMutation.device_id == device_id, SyncMutation.device_seq == seq)
        ).scalar_one_or_none()
        return _replay(row, reply_id, digest, seq, expected)
    if hold:
        return _rejected(
            reply_id,
            seq,
            "sequence-reused",
            f"An earlier mutation of this batch reused a number; renumber this one too, from {expected}.",
            True,
            expected_seq=expected,
        )
    if seq > expected:
        return _rejected(
            reply_id,
            seq,
            "sequence-gap",
            f"Expected mutation number {expected} from this "
            f"device, got {seq}; send the outbox from its oldest entry.",
            True,
            expected_seq=expected,
        )
    # seq == expected: from here on the number is spent, whatever is wrong with the mutation.
    savepoint = None
    try:
        ledger_id, device_time = claimed_id, None
        try:
            if not id_ok:
                ledger_id = _ledger_id(device_id, seq)
                raise Rejection(
                    "invalid-mutation",
                    "The mutation id is malformed.",
                    {"id": ["8 to 64 characters of A-Z, a-z, 0-9, _ and -."]},
                )
            if (
                claimed_id in taken
                if taken is not None
                else session.get(SyncMutation, claimed_id) is not None
            ):
                ledger_id = _ledger_id(device_id, seq)
                raise Rejection(
                    "id-reused",
                    "This mutation id was already used for another mutation; nothing "
                    "was applied. Give a new mutation a new id.",
                    {"id": ["Already used."]},
                )
            mutation, data = _validate(raw)
            device_time = mutation["at"]
            savepoint = session.begin_nested()
            result = HANDLERS[mutation["type"]](session, user_id, device_id, mutation, data)
            session.flush()
            outcome, reason, body = APPLIED, None, _outcome(claimed_id, seq, APPLIED, **result)
        except (DataError, OverflowError):
            # A value the database cannot hold (an id beyond its integer range...): the savepoint
            # is rolled back and the mutation recorded as rejected, so it blocks nothing.
            _undo(savepoint)
            outcome, reason = REJECTED, "invalid-value"
            body = _rejected(
                reply_id,
                seq,
                reason,
                "A value is out of range for the server; this mutation cannot be applied.",
                False,
            )
        except (Rejection, DomainError) as error:
            _undo(savepoint)
            reason = error.reason if isinstance(error, Rejection) else error.kind
            outcome = REJECTED
            body = _rejected(reply_id, seq, reason, error.detail, False, error.errors)
        payload, body = redact_for_ledger(raw, body)  # no ID number in clear, stored or sent back
        session.add(
            SyncMutation(
                id=ledger_id,
                device_id=device_id,
                device_seq=seq,
                user_id=user_id,
                type=str(raw.get("type"))[:32],
                item_id=_int_or_none(raw.get("item_id")) if outcome == APPLIED else None,
                outcome=outcome,
                reason=reason,
                result=body,
                payload=payload,
                payload_hash=digest,
                app_version=app_version,
                device_time=device_time,
            )
        )
        # The ledger row's conflicts belong to this mutation, not to the next one. A rejected
        # mutation's row is written outside a savepoint: its id was just found free and its number
        # is this device's (locked), so only a race on the id can fail it, and that fails the batch
        # (nothing is committed; the phone sends it again and meets the id-reused rejection).
        session.flush()
        if savepoint is not None and savepoint.is_active:
            savepoint.commit()
        device.last_seq, device.spent = seq, True
        if taken is not None:
            taken.add(str(ledger_id))
        return body
    except StaleDataError:
        # A supervisor changed the item (reassigned, reordered) while this was applied:
        # read it again and decide on the fresh state.
        _undo(savepoint, reraise=True)
        if _attempt < 2:
            return apply_one(session, user_id, device, raw, app_version, hold, _attempt + 1, taken)
        return _rejected(
            reply_id,
            seq,
            "conflict-retry",
            "The item kept changing while this was applied; send it again.",
            True,
        )
    except IntegrityError:
        # Another connection recorded the same mutation first: report its outcome.
        _undo(savepoint, reraise=True)
        row = session.execute(
            select(SyncMutation).where(SyncMutation.device_id == device_id, SyncMutation.device_seq == seq)
        ).scalar_one_or_none()
        if row is not None:
            return _replay(row, reply_id, digest, seq, seq + 1)
        return _rejected(
            reply_id, seq, "conflict-retry", "Another request changed the same data; send it again.", True
        )
    except OperationalError:
        # A lock or statement timeout: this mutation is undone and its number not spent; the ones
        # behind it answer sequence-gap, and the phone sends them all again.
        _undo(savepoint, reraise=True)
        log.exception("Database error while applying mutation %s", reply_id)
        return _rejected(
            reply_id, seq, "server-busy", "The server could not apply this now; it will be retried.", True
        )


def _int_or_none(value) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _order_key(mutation: dict) -> int:
    seq = mutation.get("seq")
    return seq if _valid_seq(seq) else 0


def _lock_the_batchs_items(session: Session, mutations: list[dict]) -> tuple[dict, dict] | None:
    """Lock every item the batch names, and their rounds, before the first mutation, in the one order
    (rounds, then items, each in id order: backend/services/locks.py). The batch holds its locks
    until its COMMIT, so locking them mutation by mutation would take a round after an item a
    supervisor may be waiting for: a deadlock. Returns the locked items and rounds, which the
    mutations read instead of locking them again (None: they kept moving; each locks its own)."""
    named = (_int_or_none(m.get("item_id")) for m in mutations if m.get("type") not in NO_ITEM_TYPES)
    ids = {i for i in named if i is not None and 0 < i <= MAX_ITEM_ID}  # beyond: its own invalid-value
    for _ in range(3):
        try:
            return lock_items_with_rounds(session, ids)
        except StaleDataError:  # an item moved to another round meanwhile: lock its new one too
            continue
    return None


def _ids_taken(session: Session, mutations: list[dict]) -> set[str]:
    """The batch's well-formed mutation ids that the ledger holds already, in one query."""
    ids = {m["id"] for m in mutations if isinstance(m.get("id"), str) and CLIENT_ID.fullmatch(m["id"])}
    if not ids:
        return set()
    return set(session.execute(select(SyncMutation.id).where(SyncMutation.id.in_(ids))).scalars())


def push(
    session: Session, user: User, device_id: str, mutations: list[dict], app_version: str | None
) -> dict:
    """Apply a batch in per-device order, in one transaction with a savepoint per mutation; every
    mutation gets its own outcome, and the answer is sent only once the whole batch has committed."""
    ordered = sorted(mutations, key=_order_key)
    user_id = user.id
    # Lock the device row by writing it: one device's batches are applied one at a time, in order.
    # The write also opens the transaction on SQLite, whose driver begins one only before a write:
    # a SAVEPOINT with none open would be a transaction of its own, committed at its RELEASE.
    session.execute(
        update(Device).where(Device.id == device_id).values(last_sync_at=now_utc(), app_version=app_version)
    )
    last_seq = session.execute(select(Device.last_seq).where(Device.id == device_id)).scalar_one()
    device = _Device(device_id, last_seq)
    held = _lock_the_batchs_items(session, ordered)
    taken = _ids_taken(session, ordered)
    files = batch_files(session, user_id, ordered)  # after the items: the order every mutation kept
    results, reused = [], False
    if held is not None:
        session.info[BATCH_LOCKED] = held
    if files is not None:
        session.info[BATCH_FILES] = files
    try:
        for raw in ordered:
            result = apply_one(session, user_id, device, raw, app_version, hold=reused, taken=taken)
            reused = reused or result.get("reason") == "sequence-reused"
            results.append(result)
    finally:
        session.info.pop(BATCH_LOCKED, None)
        session.info.pop(BATCH_FILES, None)
    if device.spent:
        session.execute(update(Device).where(Device.id == device_id).values(last_seq=device.last_seq))
        session.commit()
    else:
        session.rollback()
    return {"results": results, "device_seq": device.last_seq}
