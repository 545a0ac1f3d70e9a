"""Recording a handover record (biên bản bàn giao): the one path for the dashboard and the phones.

Supervisors record them on the dashboard (`POST /api/handovers`), postmen with the sync `handover`
mutation (`sync.effects`); both come here. Which item may go on which record, and what it does to
it, is the table in `backend.domain.handover_rules`; items move only through the state machine
(`apply_event`). The locking rule: the listed items are locked (SELECT … FOR UPDATE, in id order,
read afresh) before any line is checked, so a concurrent change to one of them (a reassignment,
another record, a proof) waits, and an item is never documented twice. One refused line refuses
the record: 409 `handover-not-possible` with `errors.lines` by position, nothing written. A
postman is told why only about items they carry; any other refusal is the same words whether the
item exists or not (docs/security.md, "Who may see what").
"""

from __future__ import annotations

import base64
import binascii
from datetime import datetime

from flask import current_app
from sqlalchemy import func, select

from backend.audit import audit
from backend.domain.handover_rules import (
    AWAITING,
    DRAWN_UP_BY,
    STANDING,
    Decision,
    Recorder,
    RecordStatus,
    Refusal,
    RequestKind,
    RequestStatus,
    countersigner,
    decide,
    fees_need_postman,
    withdrawer,
)
from backend.domain.rules import DomainError
from backend.domain.status import FINAL, Event
from backend.extensions import db
from backend.models import FeeEntry, Handover, HandoverAttachment, HandoverLine, Item, ItemRequest, User
from backend.models.base import now_utc
from backend.services.item_events import apply_event
from backend.services.items import carries
from backend.services.locks import lock_items_and_rounds
from backend.services.round_versions import bump_rounds

NOTHING_RECORDED = (
    "Some listed items cannot be handed over; nothing was recorded.",
    "Có bưu gửi không bàn giao được; chưa ghi gì.",
)


def documented(item_ids, besides: int | None = None) -> set[int]:
    """Items already on an agency-to-post record (other than record `besides`)."""
    query = (
        select(HandoverLine.item_id)
        .join(Handover, HandoverLine.handover_id == Handover.id)
        .where(Handover.direction == "agency_to_post", HandoverLine.item_id.in_(item_ids))
        .where(Handover.status.in_(sorted(STANDING)))
    )
    if besides is not None:
        query = query.where(Handover.id != besides)
    return set(db.session.execute(query).scalars())


def government_fees_collected(item_ids) -> dict[int, int]:
    """{item id: the government fee (lệ phí) the post collected for its agency}, for the items that
    have one: what a record to the agency passes on, and the items export's "collected" column."""
    return dict(
        db.session.execute(
            select(FeeEntry.item_id, func.sum(FeeEntry.government_fee))
            .where(FeeEntry.item_id.in_(item_ids))
            .group_by(FeeEntry.item_id)
        ).all()
    )


def decide_line(
    recorder: Recorder, actor_id: int, direction: str, agency_id: int, item: Item | None, already: set[int]
) -> Decision:
    if item is None:
        return decide(recorder, direction, exists=False)
    return decide(
        recorder,
        direction,
        exists=True,
        same_agency=item.agency_id == agency_id,
        item_direction=item.direction,
        status=item.status,
        carried=recorder == Recorder.POSTMAN and carries(db.session, actor_id, item),
        documented=item.id in already,
    )


def _refusal_text(
    recorder: Recorder, refusal: Refusal, item_id: int, item: Item | None, carried: bool
) -> str:
    """The words for a refused line. Staff see every item, an officer their agency's; a postman hears
    only about what they carry."""
    if recorder == Recorder.AGENCY and refusal in (Refusal.UNKNOWN, Refusal.OTHER_AGENCY):
        return f"No item of your agency with id {item_id}. / Không có bưu gửi {item_id} của cơ quan bạn."
    if recorder in (Recorder.STAFF, Recorder.AGENCY):
        if refusal == Refusal.UNKNOWN or item is None:
            return f"No item with id {item_id}."
        if refusal == Refusal.OTHER_AGENCY:
            return f"Item {item.code} belongs to another agency."
        return f"Item {item.code} is '{item.status}' and cannot be handed over this way."
    if item is not None and carried and refusal in (Refusal.STATUS, Refusal.DOCUMENTED):
        return (
            f"Item {item.code} is '{item.status}' and cannot be handed over this way. / "
            f"Bưu gửi {item.code} đang '{item.status}', không bàn giao theo chiều này được."
        )
    return (
        f"Item {item_id} is not one you can hand over to this agency. / "
        f"Bưu gửi {item_id} không phải bưu gửi bạn bàn giao được cho cơ quan này."
    )


def record(
    recorder: Recorder,
    actor_id: int,
    body: dict,
    *,
    client_mutation_id: str | None = None,
    device_time: datetime | None = None,
    signature: bytes | None = None,
) -> Handover:
    """Check every line, then write the record and move the items; one refused line refuses all.
    The caller commits (a supervisor's agency and postman are checked by the API first). A
    postman's record names them as its postman. With the recorder's `signature` drawn on screen
    the record is electronic: it waits for the other side's (`countersign`) and moves nothing yet."""
    body = dict(body)
    lines = body.pop("lines")
    ids = [line["item_id"] for line in lines]
    if len(set(ids)) != len(ids):
        raise DomainError(
            "duplicate-line",
            "An item is listed twice in the handover. / Một bưu gửi được liệt kê hai lần trong biên bản.",
            status=422,
        )
    if recorder == Recorder.POSTMAN:
        body["postman_id"] = actor_id
    if fees_need_postman(body.get("postman_id"), sum(line.get("fee_passed_on", 0) for line in lines)):
        raise DomainError(
            "fees-need-postman",
            "This record passes fees on: name the postman the money comes from. / "
            "Biên bản có chuyển giao lệ phí: hãy chọn bưu tá đã thu số tiền này.",
            status=422,
            errors={"postman_id": ["Required when fee_passed_on is above 0."]},
        )
    moves = _checked_moves(recorder, actor_id, body, lines)
    handover = Handover(
        created_by_id=actor_id, client_mutation_id=client_mutation_id, device_time=device_time, **body
    )
    electronic = signature is not None
    if electronic:
        handover.status = AWAITING[recorder].value
    db.session.add(handover)
    handover.lines.extend(HandoverLine(**line) for line in lines)
    db.session.flush()
    if signature is not None:
        _attach_signature(handover, recorder, signature, actor_id)
    else:
        _move(moves, handover, actor_id, recorder)
    audit(
        "handover.recorded",
        "handover",
        handover.id,
        {
            "direction": handover.direction,
            "items": len(lines),
            "via": {Recorder.POSTMAN: "phone", Recorder.AGENCY: "portal"}.get(recorder, "dashboard"),
            **({"status": handover.status} if signature is not None else {}),
        },
        actor_id=actor_id,
    )
    return handover


def _checked_moves(
    recorder: Recorder, actor_id: int, body: dict, lines: list[dict], besides: int | None = None
) -> list[tuple[Item, Event | None]]:
    """Lock the listed items and check every line by the rule table: the moves, or 409 with each
    refused line (nothing written)."""
    ids = [line["item_id"] for line in lines]
    items = lock_items_and_rounds(db.session, ids)  # their rounds first: settling one writes it
    if recorder == Recorder.POSTMAN and "office_id" not in body:
        # A phone's record belongs to the office of the items it lists (their rounds' office).
        body["office_id"] = next((item.office_id for item in items.values()), None)
    # A record holds items of its own office only; another office's item is an unknown one.
    items = {key: item for key, item in items.items() if item.office_id == body.get("office_id")}
    already = documented(ids, besides)
    problems, moves = {}, []
    for index, line in enumerate(lines):
        item = items.get(line["item_id"])
        decision = decide_line(recorder, actor_id, body["direction"], body["agency_id"], item, already)
        if decision.accepted and item is not None:
            moves.append((item, decision.event))
        else:
            assert decision.refusal is not None  # a line that is not accepted says why
            carried = (
                item is not None and recorder == Recorder.POSTMAN and carries(db.session, actor_id, item)
            )
            problems[str(index)] = [_refusal_text(recorder, decision.refusal, line["item_id"], item, carried)]
    if problems:
        raise DomainError(
            "handover-not-possible", " / ".join(NOTHING_RECORDED), status=409, errors={"lines": problems}
        )
    return moves


def _move(
    moves: list[tuple[Item, Event | None]], handover: Handover, actor_id: int, recorder: Recorder
) -> None:
    on_rounds = [item.round_id for item, event in moves if event is not None]  # before a move takes any off
    for item, event in moves:
        if event is not None:
            apply_event(item, event, {"handover_id": handover.id}, actor_id=actor_id)
    if recorder == Recorder.STAFF:  # a supervisor's change to the rounds' items (a phone's is its outcome)
        bump_rounds(on_rounds, "handover")


# Electronic records: signed on screen by both sides (backend.domain.handover_rules) ---------------

# A signature drawn on screen is a small PNG; anything larger is not one.
MAX_SIGNATURE_BYTES = 200_000


def signature_bytes(data_url: str) -> bytes:
    """The PNG bytes of a signature sent as a data URL (or plain base64), checked for ink."""
    encoded = data_url.split(",", 1)[1] if data_url.startswith("data:") else data_url
    try:
        data = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        data = b""
    if not data or len(data) > MAX_SIGNATURE_BYTES:
        raise DomainError(
            "bad-signature",
            "The signature could not be read; sign again. / Không đọc được chữ ký; hãy ký lại.",
            status=422,
            errors={"signature": ["A PNG image of at most 200 kB."]},
        )
    return data


def _attach_signature(handover: Handover, recorder: Recorder, data: bytes, actor_id: int) -> None:
    """Store the drawn signature and link it to the record: `signature` for the agency officer's,
    `post_signature` for the post office's. A blank pad is refused."""
    from sync.attachments import store_whole  # sync imports the models; imported late like effects

    row = store_whole(
        db.session(),
        current_app.extensions["postround.store"],
        data,
        actor_id,
        current_app.config["UPLOAD_QUOTA_BYTES"],
    )
    if (row.ink_share or 0) < current_app.config["SIGNATURE_MIN_INK"]:
        raise DomainError(
            "blank-signature",
            "The signature is blank; sign in the box. / Chữ ký trống; hãy ký vào ô.",
            status=422,
            errors={"signature": ["Blank."]},
        )
    kind = "signature" if recorder == Recorder.AGENCY else "post_signature"
    db.session.add(HandoverAttachment(handover_id=handover.id, sha256=row.sha256, kind=kind))


def countersign(handover: Handover, user: User, signer_name: str, signature: bytes) -> Handover:
    """The second signature: the lines are checked again (the first side's row of the table), the
    items move, and the server's time now is the record's legal `signed_at`. The caller commits."""
    db.session.refresh(handover, with_for_update=True)  # two countersignatures: the second waits
    if handover.status == RecordStatus.WITHDRAWN:
        raise _withdrawn()
    signer = countersigner(handover.status)
    recorder = Recorder.AGENCY if user.role == "agency" else Recorder.STAFF
    if signer is None:
        raise DomainError(
            "already-signed",
            "Both sides signed this record already. / Biên bản đã đủ chữ ký hai bên.",
            status=409,
        )
    if signer != recorder:  # the side that signed first, or a third party: not theirs to sign
        raise DomainError(
            "not-awaiting-you",
            "This record waits for the other side's signature, not yours. / "
            "Biên bản này chờ chữ ký của bên kia, không phải của bạn.",
            status=403,
        )
    body = {"direction": handover.direction, "agency_id": handover.agency_id, "office_id": handover.office_id}
    lines = [{"item_id": line.item_id} for line in handover.lines]
    moves = _checked_moves(DRAWN_UP_BY[RecordStatus(handover.status)], user.id, body, lines, handover.id)
    _attach_signature(handover, recorder, signature, user.id)
    _move(moves, handover, user.id, recorder)
    handover.status = RecordStatus.SIGNED.value
    handover.signed_at = now_utc()
    handover.signed_by_id = user.id
    handover.signer_name = signer_name
    audit("handover.signed", "handover", handover.id, {"items": len(lines)}, actor_id=user.id)
    return handover


def _withdrawn() -> DomainError:
    return DomainError(
        "record-withdrawn",
        "This record was withdrawn by the side that drew it up; it can no longer be signed. / "
        "Biên bản này đã bị bên lập rút lại; không thể ký nữa.",
        status=409,
    )


def withdraw(handover: Handover, user: User, reason: str | None) -> Handover:
    """The side that drew up a waiting record takes it back before the other side signs: it becomes
    `withdrawn` (the rules table), its items do not move and may go on a new record. The caller commits."""
    db.session.refresh(handover, with_for_update=True)  # a countersignature at the same time: one wins
    if handover.status == RecordStatus.WITHDRAWN:
        raise _withdrawn()
    if handover.status == RecordStatus.SIGNED:
        raise DomainError(
            "already-signed",
            "Both sides signed this record already. / Biên bản đã đủ chữ ký hai bên.",
            status=409,
        )
    recorder = Recorder.AGENCY if user.role == "agency" else Recorder.STAFF
    if withdrawer(handover.status) != recorder:
        raise DomainError(
            "not-yours-to-withdraw",
            "Only the side that drew up this record can withdraw it; you may leave it unsigned. / "
            "Chỉ bên lập biên bản mới rút lại được; bạn có thể không ký.",
            status=403,
        )
    was = handover.status
    handover.status = RecordStatus.WITHDRAWN.value
    audit(
        "handover.withdrawn",
        "handover",
        handover.id,
        {"was": was, "items": len(handover.lines), **({"reason": reason} if reason else {})},
        actor_id=user.id,
    )
    return handover


# Requests from the agency: hold or cancel an item ---------------------------------------------------


def request_for(item: Item, user: User, kind: str, reason: str) -> ItemRequest:
    """An officer asks to hold or cancel their agency's item; one open request per item and kind."""
    if item.status in FINAL or item.status in ("collected",):
        raise DomainError(
            "item-closed",
            f"Item {item.code} is {item.status}; it can no longer be held or cancelled. / "
            f"Bưu gửi {item.code} đã '{item.status}', không thể giữ lại hay hủy nữa.",
            status=409,
            params={"item_code": item.code, "status": item.status},
        )
    open_already = db.session.execute(
        select(ItemRequest.id).where(
            ItemRequest.item_id == item.id, ItemRequest.kind == kind, ItemRequest.status == "open"
        )
    ).first()
    if open_already is not None:
        raise DomainError(
            "request-open",
            "This item has such a request open already. / Bưu gửi này đã có yêu cầu như vậy đang chờ.",
            status=409,
        )
    row = ItemRequest(
        item_id=item.id, agency_id=item.agency_id, kind=kind, reason=reason, requested_by_id=user.id
    )
    db.session.add(row)
    db.session.flush()
    audit("item_request.made", "item", item.code, {"kind": kind, "request": row.id}, actor_id=user.id)
    return row


def resolve_request(row: ItemRequest, user: User, action: str, note: str | None) -> ItemRequest:
    """A supervisor acts on an open request: done (a cancel cancels the item) or declined."""
    if row.status != RequestStatus.OPEN:
        raise DomainError(
            "request-closed", "This request was settled already. / Yêu cầu này đã được xử lý.", status=409
        )
    if action == RequestStatus.DONE and row.kind == RequestKind.CANCEL:
        item = lock_items_and_rounds(db.session, [row.item_id])[row.item_id]
        apply_event(
            item, Event.CANCEL, {"reason": f"agency request {row.id}: {row.reason}"}, actor_id=user.id
        )
    row.status, row.note = action, note
    row.resolved_by_id, row.resolved_at = user.id, now_utc()
    audit("item_request.resolved", "item", row.item.code, {"request": row.id, "action": action})
    return row
