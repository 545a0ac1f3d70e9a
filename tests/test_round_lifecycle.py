"""A round's day: planned, in progress with its first outcome, completed with its last, closed.

The round's status is never set by hand: the phones' outcomes and the supervisor's planning
move it through `backend.domain.round_status`, and only closing is a decision.
"""

from __future__ import annotations

import ast
import pathlib

import pytest

from backend.domain.round_status import (
    TRANSITIONS,
    IllegalRoundTransition,
    RoundEvent,
    RoundStatus,
    next_round_status,
    round_events_from,
    settling_event,
)
from backend.extensions import db
from backend.models import AuditEntry, Round
from tests.kit.phone import Phone

PROBLEM = "application/problem+json"


def status_of(app, round_id):
    with app.app_context():
        return db.session.get(Round, round_id).status


def round_audit(app, round_id):
    with app.app_context():
        return [
            (e.action, e.detail["to"])
            for e in db.session.execute(
                db.select(AuditEntry)
                .where(AuditEntry.entity_type == "round", AuditEntry.entity_id == str(round_id))
                .order_by(AuditEntry.id)
            ).scalars()
            # The lifecycle's transitions only: not the planning changes (a reorder, a new plan version).
            if e.action not in ("round.reordered", "round.changed")
        ]


# The table -----------------------------------------------------------------------------------------


def test_the_table_names_every_status_and_event_once():
    targets = {target for _, target in TRANSITIONS.values()}
    assert set(TRANSITIONS) == set(RoundEvent)
    assert targets | {RoundStatus.PLANNED} == set(RoundStatus)
    assert round_events_from("closed") == []
    with pytest.raises(IllegalRoundTransition):
        next_round_status("planned", "close")


@pytest.mark.parametrize(
    ("current", "stops", "open_stops", "event"),
    [
        ("planned", 0, 0, None),
        ("planned", 3, 3, None),
        ("planned", 3, 2, RoundEvent.START),
        ("planned", 3, 0, RoundEvent.COMPLETE),
        ("in_progress", 3, 1, None),
        ("in_progress", 3, 0, RoundEvent.COMPLETE),
        ("completed", 3, 0, None),
        ("completed", 4, 1, RoundEvent.REOPEN),
        ("completed", 0, 0, None),
        ("closed", 3, 1, None),
    ],
)
def test_the_stops_decide_the_event(current, stops, open_stops, event):
    assert settling_event(current, stops, open_stops) == event


def test_nothing_outside_the_round_service_sets_a_round_status_by_string():
    """`rnd.status = "…"` or `Round(status="…")` anywhere else would bypass the table."""
    offenders = []
    for path in [*pathlib.Path("backend").rglob("*.py"), *pathlib.Path("sync").rglob("*.py")]:
        if path.as_posix() == "backend/services/round_events.py":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Assign):
                for target in node.targets:
                    if (
                        isinstance(target, ast.Attribute)
                        and target.attr == "status"
                        and isinstance(target.value, ast.Name)
                        and target.value.id in ("rnd", "round_")
                    ):
                        offenders.append(f"{path}:{node.lineno}")
            if (
                isinstance(node, ast.Call)
                and getattr(node.func, "id", None) == "Round"
                and any(k.arg == "status" and isinstance(k.value, ast.Constant) for k in node.keywords)
            ):
                offenders.append(f"{path}:{node.lineno}")
    assert offenders == []


# A day ---------------------------------------------------------------------------------------------


def test_a_round_moves_with_its_stops_and_closes_at_the_end_of_the_day(
    app, client, make, auth, supervisor, postman
):
    first, second, urgent = make.item(), make.item(), make.item()
    rnd = make.round(postman, items=[first, second])
    phone = Phone(client, postman.username).login()
    phone.pull()
    assert status_of(app, rnd.id) == "planned"

    phone.deliver(first.id)  # 9:00, at the first door
    page = phone.sync()
    assert status_of(app, rnd.id) == "in_progress"
    assert [r["status"] for r in page["rounds"] if r["id"] == rnd.id] == ["in_progress"]  # the phone is told

    phone.fail(second.id)  # nobody home at the second: the visit is an outcome
    phone.sync()
    assert status_of(app, rnd.id) == "completed"

    # 14:00, an urgent result: the supervisor adds it and the round is open again.
    headers = auth(supervisor)
    assert (
        client.post(
            f"/api/rounds/{rnd.id}/assign", headers=headers, json={"item_ids": [urgent.id]}
        ).status_code
        == 200
    )
    assert status_of(app, rnd.id) == "in_progress"
    refused = client.post(f"/api/rounds/{rnd.id}/close", headers=headers)
    assert refused.status_code == 409 and refused.content_type == PROBLEM
    assert refused.get_json()["type"].endswith("/round-has-open-stops")
    assert urgent.code in refused.get_json()["detail"]
    assert status_of(app, rnd.id) == "in_progress"

    phone.pull()
    phone.deliver(urgent.id, seed=3)
    phone.sync()
    assert status_of(app, rnd.id) == "completed"

    closed = client.post(f"/api/rounds/{rnd.id}/close", headers=headers)
    assert closed.status_code == 200 and closed.get_json()["status"] == "closed"
    frozen = client.post(f"/api/rounds/{rnd.id}/assign", headers=headers, json={"item_ids": [make.item().id]})
    assert frozen.status_code == 409 and frozen.get_json()["type"].endswith("/round-closed")
    again = client.post(f"/api/rounds/{rnd.id}/close", headers=headers)
    assert again.status_code == 409 and again.get_json()["type"].endswith("/round-closed")

    assert round_audit(app, rnd.id) == [
        ("round.start", "in_progress"),
        ("round.complete", "completed"),
        ("round.reopen", "in_progress"),
        ("round.complete", "completed"),
        ("round.close", "closed"),
    ]


def first_of_two_stops_delivered(client, make, postman):
    """A round of two stops for `postman`; the phone delivers the first and syncs. -> (round, open stop)"""
    done, open_stop = make.item(), make.item()
    rnd = make.round(postman, items=[done, open_stop])
    phone = Phone(client, postman.username).login()
    phone.pull()
    phone.deliver(done.id)
    phone.sync()
    return rnd, open_stop


def test_taking_the_last_open_stop_off_completes_the_round(app, client, make, auth, supervisor, postman):
    rnd, waiting = first_of_two_stops_delivered(client, make, postman)
    assert status_of(app, rnd.id) == "in_progress"

    taken = client.post(
        f"/api/rounds/{rnd.id}/unassign", headers=auth(supervisor), json={"item_ids": [waiting.id]}
    )
    assert taken.status_code == 200
    assert status_of(app, rnd.id) == "completed"


def test_moving_the_last_open_stop_to_another_round_completes_the_one_it_left(
    app, client, make, auth, supervisor, postman
):
    rnd, moved = first_of_two_stops_delivered(client, make, postman)
    other = make.round(make.user("postman"))

    response = client.post(
        f"/api/rounds/{other.id}/assign", headers=auth(supervisor), json={"item_ids": [moved.id]}
    )
    assert response.status_code == 200
    assert status_of(app, rnd.id) == "completed"
    assert status_of(app, other.id) == "planned"


def test_cancelling_an_open_stop_can_complete_the_round(app, client, make, auth, supervisor, postman):
    rnd, cancelled = first_of_two_stops_delivered(client, make, postman)
    response = client.post(
        f"/api/items/{cancelled.id}/events", headers=auth(supervisor), json={"event": "cancel"}
    )
    assert response.status_code == 200, response.get_json()
    assert status_of(app, rnd.id) == "completed"


def test_only_staff_close_rounds(client, make, auth, postman):
    rnd = make.round(postman)
    response = client.post(f"/api/rounds/{rnd.id}/close", headers=auth(postman))
    assert response.status_code == 403
    assert response.content_type == PROBLEM
