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

from datetime import datetime

from sqlalchemy import select

from backend.audit import audit
from backend.domain.handover_rules import Decision, Recorder, Refusal, decide, fees_need_postman
from backend.domain.rules import DomainError
from backend.extensions import db
from backend.models import Handover, HandoverLine, Item
from backend.services.item_events import apply_event
from backend.services.items import carries
from backend.services.locks import lock_items_and_rounds
from backend.services.round_versions import bump_rounds

NOTHING_RECORDED = (
    "Some listed items cannot be handed over; nothing was recorded.",
    "Có bưu gửi không bàn giao được; chưa ghi gì.",
)


def documented(item_ids) -> set[int]:
    """Items already on an agency-to-post record."""
    return set(
        db.session.execute(
            select(HandoverLine.item_id)
            .join(Handover, HandoverLine.handover_id == Handover.id)
            .where(Handover.direction == "agency_to_post", HandoverLine.item_id.in_(item_ids))
        ).scalars()
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
    """The words for a refused line. Staff see every item; a postman hears only about what they carry."""
    if recorder == Recorder.STAFF:
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
) -> Handover:
    """Check every line, then write the record and move the items; one refused line refuses all.
    The caller commits (a supervisor's agency and postman are checked by the API first). A
    postman's record names them as its postman."""
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
    items = lock_items_and_rounds(db.session, ids)  # their rounds first: settling one writes it
    if recorder == Recorder.POSTMAN and "office_id" not in body:
        # A phone's record belongs to the office of the items it lists (their rounds' office).
        body["office_id"] = next((item.office_id for item in items.values()), None)
    # A record holds items of its own office only; another office's item is an unknown one.
    items = {key: item for key, item in items.items() if item.office_id == body.get("office_id")}
    already = documented(ids)
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
    handover = Handover(
        created_by_id=actor_id, client_mutation_id=client_mutation_id, device_time=device_time, **body
    )
    db.session.add(handover)
    handover.lines.extend(HandoverLine(**line) for line in lines)
    db.session.flush()
    on_rounds = [item.round_id for item, event in moves if event is not None]  # before a move takes any off
    for item, event in moves:
        if event is not None:
            apply_event(item, event, {"handover_id": handover.id}, actor_id=actor_id)
    if recorder == Recorder.STAFF:  # a supervisor's change to the rounds' items (a phone's is its outcome)
        bump_rounds(on_rounds, "handover")
    audit(
        "handover.recorded",
        "handover",
        handover.id,
        {
            "direction": handover.direction,
            "items": len(lines),
            "via": "phone" if recorder == Recorder.POSTMAN else "dashboard",
        },
        actor_id=actor_id,
    )
    return handover
