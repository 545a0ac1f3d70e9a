"""An agency's one-stop system creates its items with an API key: a retry never makes a second item,
its item waits at the agency until a handover, and it reads our items in its own words (status
codes 1-10, channel 3, the tracking number, the J+n deadline). docs/agency-api.md."""

from __future__ import annotations

import pytest

from backend.auth.api_keys import create_key
from backend.domain.onestop import ONESTOP_STATUS, OneStopStatus, dossier_code_problem, parse_deadlines
from backend.domain.s10 import make_s10
from backend.domain.status import Direction, Status
from backend.domain.workdays import add_working_days
from backend.extensions import db
from backend.models import Agency, Item, ItemCreation
from backend.timeutil import local_today
from tests.factories import item_body

DOSSIER = "000.21.30.H01-251201-0014"


@pytest.fixture
def system(app, make):
    """Agency A's system: its key's headers, the agency and a procedure."""
    agency = make.agency(commune="Xã Châu Thành", province="An Giang")
    procedure = make.procedure()
    with app.app_context():
        _, key = create_key(db.session.get_one(Agency, agency.id), "Một cửa tỉnh", None)
        db.session.commit()
    return {"headers": {"X-Api-Key": key}, "agency": agency, "procedure": procedure}


def _body(system, serial=81_000_001, **overrides):
    return item_body(system["procedure"].id, system["agency"].id, serial, dossier_code=DOSSIER) | overrides


def _items(app):
    with app.app_context():
        return db.session.execute(db.select(Item.code)).scalars().all()


def test_a_retry_with_the_same_key_and_body_answers_with_the_first_item(app, client, system):
    headers = system["headers"] | {"Idempotency-Key": "req-7f3a"}
    first = client.post("/api/items", json=_body(system), headers=headers)
    again = client.post("/api/items", json=_body(system), headers=headers)
    assert first.status_code == 201 and again.status_code == 201
    assert "Idempotent-Replayed" not in first.headers and again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json()["id"] == first.get_json()["id"]
    assert len(_items(app)) == 1
    with app.app_context():
        assert db.session.execute(db.select(ItemCreation.idempotency_key)).scalars().all() == ["req-7f3a"]


def test_the_same_key_with_another_body_is_refused_and_creates_nothing(app, client, system):
    headers = system["headers"] | {"Idempotency-Key": "req-7f3a"}
    assert client.post("/api/items", json=_body(system), headers=headers).status_code == 201
    other = _body(system, serial=81_000_002)
    refused = client.post("/api/items", json=other, headers=headers)
    assert refused.status_code == 422
    assert refused.content_type == "application/problem+json"
    problem = refused.get_json()
    assert problem["code"] == "idempotency-key-reused" and problem["params"]["key"] == "req-7f3a"
    assert _items(app) == [make_s10("RR", 81_000_001)]


def test_without_a_header_the_dossier_code_is_the_key(app, client, system):
    first = client.post("/api/items", json=_body(system), headers=system["headers"])
    again = client.post("/api/items", json=_body(system), headers=system["headers"])
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.get_json()["id"] == first.get_json()["id"]
    # The same dossier's other movement (its collection) is another item.
    collect = _body(system, serial=81_000_003, direction="collect")
    assert client.post("/api/items", json=collect, headers=system["headers"]).status_code == 201
    assert len(_items(app)) == 2


def test_keys_are_each_agencys_own(app, client, make, system):
    other = make.agency()
    with app.app_context():
        _, key = create_key(db.session.get_one(Agency, other.id), "Một cửa khác", None)
        db.session.commit()
    headers = {"Idempotency-Key": "same-key"}
    mine = client.post("/api/items", json=_body(system), headers=system["headers"] | headers)
    theirs_body = item_body(system["procedure"].id, other.id, 81_000_004)
    theirs = client.post("/api/items", json=theirs_body, headers={"X-Api-Key": key} | headers)
    assert (mine.status_code, theirs.status_code) == (201, 201)
    assert theirs.get_json()["id"] != mine.get_json()["id"]


def test_a_staff_creation_without_a_key_keeps_refusing_a_repeated_code(client, make, auth, system):
    headers = auth(make.user("supervisor"))
    body = _body(system)
    assert client.post("/api/items", json=body, headers=headers).status_code == 201
    again = client.post("/api/items", json=body, headers=headers)
    assert again.status_code == 409 and again.get_json()["code"] == "duplicate-item-code"


def test_an_agencys_item_waits_at_the_agency_until_a_handover(app, client, system):
    made = client.post("/api/items", json=_body(system), headers=system["headers"])
    assert made.status_code == 201 and made.get_json()["status"] == Status.REGISTERED
    claimed = _body(system, serial=81_000_005, dossier_code=None, received_from_agency=True)
    refused = client.post("/api/items", json=claimed, headers=system["headers"])
    assert refused.status_code == 422 and refused.get_json()["code"] == "handover-required"
    assert len(_items(app)) == 1


def test_the_item_answer_speaks_the_one_stop_systems_vocabulary(client, system):
    made = client.post("/api/items", json=_body(system), headers=system["headers"]).get_json()
    assert made["onestop"] == {
        "status_code": OneStopStatus.DONE,
        "channel": 3,
        "tracking_number": made["code"],
        "dossier_code": DOSSIER,
        "deadline_route": "province",  # Xã Mong Thọ from an agency of Xã Châu Thành, An Giang
        "deadline_working_days": 2,
        "received_on": None,  # still at the agency: no J yet
        "deadline": None,
        "deadline_working_days_left": None,
    }
    far = _body(system, serial=81_000_006, dossier_code=None, province="Cần Thơ", direction="collect")
    answer = client.post("/api/items", json=far, headers=system["headers"]).get_json()["onestop"]
    assert (answer["status_code"], answer["deadline_route"], answer["deadline_working_days"]) == (
        OneStopStatus.NEW,
        "national",
        8,  # a collected dossier brings the appointment slip back: J+8 between provinces
    )
    listed = client.get(f"/api/items/{made['id']}", headers=system["headers"]).get_json()
    assert listed["onestop"]["status_code"] == 9


class TestDeadlineSetting:
    @pytest.fixture
    def app_config(self):
        return {"DEADLINE_WORKING_DAYS": "local=1/2,province=3/5,national=4/8"}

    def test_the_deadline_table_is_a_setting(self, client, system):
        made = client.post("/api/items", json=_body(system), headers=system["headers"]).get_json()
        assert made["onestop"]["deadline_working_days"] == 3


@pytest.mark.parametrize(
    "code",
    ["000.00.5", "000.21.30.H01-251301-0014", "000.21.30.H01-2512010014", "H01-251201-0014", "x" * 30],
)
def test_a_dossier_code_not_of_the_national_format_is_refused(client, system, code):
    refused = client.post("/api/items", json=_body(system, dossier_code=code), headers=system["headers"])
    assert refused.status_code == 422
    assert "dossier_code" in refused.get_json()["errors"]


def test_every_status_of_each_direction_has_a_one_stop_code():
    for direction in Direction:
        assert set(ONESTOP_STATUS[direction]) == set(Status)
    assert ONESTOP_STATUS[Direction.RETURN][Status.DELIVERED] == OneStopStatus.RESULT_RETURNED
    assert ONESTOP_STATUS[Direction.COLLECT][Status.HANDED_TO_AGENCY] == OneStopStatus.ACCEPTED
    assert ONESTOP_STATUS[Direction.COLLECT][Status.CANCELLED] == OneStopStatus.WITHDRAWN


def test_national_dossier_codes_and_the_deadline_table_are_checked():
    assert dossier_code_problem("000.21.30.H01-251201-0014") is None
    assert dossier_code_problem("G22.80-230523-0001") is None
    assert "yymmdd" in dossier_code_problem("000.21.30.H01-251301-0014")
    assert dossier_code_problem("000.21.30.H01-251200-0014") is not None
    for bad in ("local=1/2,province=2/4", "local=2/1,province=2/4,national=4/8", "local=1,province=2/4"):
        with pytest.raises(ValueError):
            parse_deadlines(bad)


def test_a_bulk_retry_with_the_same_key_answers_with_the_same_items_in_order(app, client, system):
    body = {"items": [_body(system, serial=81_000_010 + n, dossier_code=None) for n in range(3)]}
    headers = system["headers"] | {"Idempotency-Key": "batch-2025-12-01"}
    first = client.post("/api/items/bulk", json=body, headers=headers)
    again = client.post("/api/items/bulk", json=body, headers=headers)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.headers["Idempotent-Replayed"] == "true"
    assert [i["code"] for i in again.get_json()] == [i["code"] for i in first.get_json()]
    assert len(_items(app)) == 3
    other = {"items": body["items"][:2]}
    refused = client.post("/api/items/bulk", json=other, headers=headers)
    assert refused.status_code == 422 and refused.get_json()["code"] == "idempotency-key-reused"
    assert len(_items(app)) == 3


def _sent_twice_at_once(app, path: str, body: dict, headers: dict) -> list:
    """The same request from two clients at the same moment (a timeout fired during the first)."""
    from concurrent.futures import ThreadPoolExecutor
    from threading import Barrier

    start = Barrier(2)

    def send(_):
        client = app.test_client()
        start.wait()
        return client.post(path, json=body, headers=headers)

    with ThreadPoolExecutor(2) as pool:
        return list(pool.map(send, range(2)))


def _one_made_one_replayed(answers: list, n: int) -> None:
    assert [a.status_code for a in answers] == [201, 201], (n, [a.get_json() for a in answers])
    assert answers[0].get_json() == answers[1].get_json()
    assert [a.headers.get("Idempotent-Replayed") for a in answers].count("true") == 1


def test_two_retries_arriving_at_once_make_one_item(app, system):
    """The system's timeout fires while the first request is still running: both answer the same item.
    Twenty dossiers, each sent twice at once, so the second may land anywhere in the first's request."""
    for n in range(20):
        body = _body(system, serial=81_000_100 + n, dossier_code=f"000.21.30.H01-251201-{n + 100:04d}")
        answers = _sent_twice_at_once(
            app, "/api/items", body, system["headers"] | {"Idempotency-Key": f"r-{n}"}
        )
        _one_made_one_replayed(answers, n)
    assert len(_items(app)) == 20


def test_two_bulk_retries_arriving_at_once_make_one_set_of_items(app, system):
    for n in range(10):
        body = {"items": [_body(system, serial=81_000_200 + 3 * n + k, dossier_code=None) for k in range(3)]}
        answers = _sent_twice_at_once(
            app, "/api/items/bulk", body, system["headers"] | {"Idempotency-Key": f"b-{n}"}
        )
        _one_made_one_replayed(answers, n)
    assert len(_items(app)) == 30


def test_once_the_post_receives_the_result_its_deadline_is_j_plus_n_working_days(
    app, client, make, auth, system
):
    made = client.post("/api/items", json=_body(system), headers=system["headers"]).get_json()
    supervisor = auth(make.user("supervisor"))
    received = client.post(
        f"/api/items/{made['id']}/events", json={"event": "receive_from_agency"}, headers=supervisor
    )
    assert received.status_code == 200, received.get_json()
    answer = client.get(f"/api/items/{made['id']}", headers=system["headers"]).get_json()["onestop"]
    with app.app_context():
        today = local_today()
    assert answer["received_on"] == today.isoformat()
    assert answer["deadline"] == add_working_days(today, 2).isoformat()
    assert answer["deadline_working_days_left"] == 2  # whatever day of the week J is
    listed = client.get("/api/items", headers=system["headers"]).get_json()
    assert listed[0]["onestop"]["deadline"] == answer["deadline"]
