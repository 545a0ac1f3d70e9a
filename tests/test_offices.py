"""Post offices: one deployment serves a province (DOMAIN.md, "Since the 2025 reform").

The world: the province unit of Cần Thơ with two commune post offices, Ninh Kiều and Cái Răng,
each with its supervisor, postman, agency and items; and a provincial supervisor.
"""

from __future__ import annotations

import csv
import io
from datetime import time

import pytest

from backend.domain.route_planner import distance_matrix
from backend.extensions import db
from backend.models import Item, PostOffice, Round, User
from tests.kit.phone import Phone

PROBLEM = "application/problem+json"
NINH_KIEU = (10.0341, 105.7880)
CAI_RANG = (10.0042, 105.7570)


@pytest.fixture
def province(make, today):
    unit = make.office(code="BDT-CANTHO", name="Bưu điện TP Cần Thơ", kind="province", lat=None, lon=None)
    offices = {
        "nk": make.office(
            code="BC-NINHKIEU",
            name="Bưu điện Ninh Kiều",
            parent_id=unit.id,
            lat=NINH_KIEU[0],
            lon=NINH_KIEU[1],
        ),
        "cr": make.office(
            code="BC-CAIRANG", name="Bưu điện Cái Răng", parent_id=unit.id, lat=CAI_RANG[0], lon=CAI_RANG[1]
        ),
    }
    world = {"unit": unit, "offices": offices}
    for key, office in offices.items():
        agency = make.agency(offices=(office.id,), name=f"Trung tâm PVHCC phường {office.name}")
        postman = make.user("postman", offices=(office.id,), full_name=f"Bưu tá {office.name}")
        lat, lon = NINH_KIEU if key == "nk" else CAI_RANG
        item = make.item(agency_id=agency.id, office_id=office.id, lat=lat + 0.004, lon=lon + 0.003)
        world[key] = {
            "office": office,
            "agency": agency,
            "supervisor": make.user("supervisor", offices=(office.id,)),
            "postman": postman,
            "item": item,
        }
    world["provincial"] = make.user("supervisor", offices=(unit.id,))
    return world


def _round(make, world, key, day, items=()):
    return make.round(world[key]["postman"], day, items=list(items), office_id=world[key]["office"].id)


# Planning ----------------------------------------------------------------------------------------


def test_a_supervisor_of_ninh_kieu_cannot_reassign_a_cai_rang_item(client, app, make, auth, province, today):
    ninh_kieu, cai_rang = province["nk"], province["cr"]
    headers = auth(ninh_kieu["supervisor"])
    theirs = _round(make, province, "cr", today, [cai_rang["item"]])
    mine = client.post(
        "/api/rounds",
        headers=headers,
        json={"postman_id": ninh_kieu["postman"].id, "round_date": today.isoformat()},
    )
    assert mine.status_code == 201 and mine.get_json()["office_id"] == ninh_kieu["office"].id

    taken = client.post(
        f"/api/rounds/{mine.get_json()['id']}/assign",
        headers=headers,
        json={"item_ids": [cai_rang["item"].id]},
    )
    assert taken.status_code == 422 and taken.content_type == PROBLEM
    assert taken.get_json()["type"].endswith("/unknown-items")  # as if it did not exist
    with app.app_context():
        assert db.session.get(Item, cai_rang["item"].id).round_id == theirs.id

    # Nor can they read, correct, cancel or take it off its round: it is missing to them.
    item_id = cai_rang["item"].id
    assert client.get(f"/api/items/{item_id}", headers=headers).status_code == 404
    assert client.patch(f"/api/items/{item_id}", headers=headers, json={"note": "x"}).status_code == 404
    assert (
        client.post(f"/api/items/{item_id}/events", headers=headers, json={"event": "cancel"}).status_code
        == 404
    )
    off = client.post(f"/api/rounds/{theirs.id}/unassign", headers=headers, json={"item_ids": [item_id]})
    assert off.status_code == 404 and off.content_type == PROBLEM
    listed = client.get("/api/items", headers=headers)
    assert [i["code"] for i in listed.get_json()] == [ninh_kieu["item"].code]
    assert listed.headers["X-Total-Count"] == "1"

    # The provincial supervisor sees both, and is told why the move is refused.
    provincial = auth(province["provincial"])
    across = client.post(
        f"/api/rounds/{mine.get_json()['id']}/assign", headers=provincial, json={"item_ids": [item_id]}
    )
    assert across.status_code == 422 and across.get_json()["type"].endswith("/item-of-another-office")


def test_a_round_takes_only_a_postman_of_its_office(client, auth, province, today):
    headers = auth(province["nk"]["supervisor"])
    refused = client.post(
        "/api/rounds",
        headers=headers,
        json={"postman_id": province["cr"]["postman"].id, "round_date": today.isoformat()},
    )
    assert refused.status_code == 422 and refused.get_json()["type"].endswith("/not-an-active-postman")
    assert "No such user" in refused.get_json()["detail"]


def test_a_user_of_several_offices_names_the_office_of_what_they_create(client, app, make, auth, province):
    both = make.user("supervisor", offices=(province["nk"]["office"].id, province["cr"]["office"].id))
    body = {
        "code": "RR770000015VN",
        "direction": "return",
        "procedure_id": make.procedure().id,
        "agency_id": province["cr"]["agency"].id,
        "recipient_name": "Lê Thị Mai",
        "address_line": "Số 5 Trần Hưng Đạo",
        "commune": "Phường Cái Răng",
        "province": "Cần Thơ",
        "service_fee": 26_000,
    }
    unnamed = client.post("/api/items", headers=auth(both), json=body)
    assert unnamed.status_code == 422 and unnamed.content_type == PROBLEM
    assert unnamed.get_json()["type"].endswith("/office-required")
    assert "BC-CAIRANG" in str(unnamed.get_json()["errors"]["office"])

    named = client.post("/api/items", headers=auth(both), json={**body, "office": "BC-CAIRANG"})
    assert named.status_code == 201 and named.get_json()["office_id"] == province["cr"]["office"].id

    # A supervisor of one office gets theirs implicitly, and cannot use another office's agency.
    own = client.post(
        "/api/items", headers=auth(province["cr"]["supervisor"]), json={**body, "code": "RR770000029VN"}
    )
    assert own.status_code == 201 and own.get_json()["office_id"] == province["cr"]["office"].id
    foreign = client.post(
        "/api/items", headers=auth(province["nk"]["supervisor"]), json={**body, "code": "RR770000032VN"}
    )
    assert foreign.status_code == 422 and foreign.get_json()["type"].endswith("/unknown-agency")
    with app.app_context():
        assert db.session.execute(db.select(Item).where(Item.code == "RR770000032VN")).first() is None


def test_rounds_start_from_their_post_office(client, auth, make, province, today):
    """The optimiser walks from the round's office, not from POST_OFFICE_LAT/LON."""
    stop = province["cr"]["item"]
    rnd = _round(make, province, "cr", today, [stop])
    optimised = client.post(f"/api/rounds/{rnd.id}/optimise", headers=auth(province["cr"]["supervisor"]))
    assert optimised.status_code == 200, optimised.get_json()
    leg = distance_matrix([CAI_RANG, (stop.lat, stop.lon)])[0][1]
    assert optimised.get_json()["stops"][0]["leg_distance_m"] == leg
    assert optimised.get_json()["total_distance_m"] == 2 * leg


# The dashboard and reports -----------------------------------------------------------------------


def test_the_provincial_dashboard_shows_both_offices_rounds_each_office_only_its_own(
    client, auth, make, province, today
):
    nk_round = _round(make, province, "nk", today, [province["nk"]["item"]])
    cr_round = _round(make, province, "cr", today, [province["cr"]["item"]])

    def rounds_seen(user, **query):
        response = client.get("/api/dashboard/today", headers=auth(user), query_string=query)
        assert response.status_code == 200, response.get_json()
        return {r["id"] for r in response.get_json()["rounds"]}, response.get_json()["totals"]["stops"]

    assert rounds_seen(province["provincial"]) == ({nk_round.id, cr_round.id}, 2)
    assert rounds_seen(province["nk"]["supervisor"]) == ({nk_round.id}, 1)
    assert rounds_seen(province["cr"]["supervisor"]) == ({cr_round.id}, 1)
    # The office picker: one office at a time.
    assert rounds_seen(province["provincial"], office_id=province["cr"]["office"].id) == ({cr_round.id}, 1)

    stops = client.get("/api/dashboard/map", headers=auth(province["nk"]["supervisor"])).get_json()
    assert {s["code"] for s in stops["stops"]} == {province["nk"]["item"].code}
    assert (stops["post_office"]["lat"], stops["post_office"]["lon"]) == NINH_KIEU
    rounds = client.get("/api/rounds", headers=auth(province["cr"]["supervisor"]))
    assert [r["id"] for r in rounds.get_json()] == [cr_round.id] and rounds.headers["X-Total-Count"] == "1"


def test_reports_and_exports_count_only_the_callers_offices(client, auth, make, province, today):
    for key in ("nk", "cr"):
        _round(make, province, key, today, [province[key]["item"]])
        phone = Phone(client, province[key]["postman"].username).login()
        phone.pull()
        phone.deliver(province[key]["item"].id, seed=1)
        phone.sync()
    query = {"date_from": today.isoformat(), "date_to": today.isoformat(), "group_by": "postman"}

    def delivered(user):
        report = client.get("/api/reports", headers=auth(user), query_string=query).get_json()
        return report["totals"]["returned"], {row["label"] for row in report["rows"]}

    assert delivered(province["provincial"])[0] == 2
    assert delivered(province["nk"]["supervisor"]) == (1, {province["nk"]["postman"].full_name})
    assert delivered(province["cr"]["supervisor"]) == (1, {province["cr"]["postman"].full_name})

    export = client.get(
        "/api/reports/export",
        headers=auth(province["cr"]["supervisor"]),
        query_string={**query, "format": "csv"},
    )
    assert export.status_code == 200
    text = export.get_data().decode("utf-8-sig")
    assert province["cr"]["postman"].full_name in text and province["nk"]["postman"].full_name not in text
    assert len(list(csv.reader(io.StringIO(text)))) == 3  # header, Cái Răng's postman, the totals


def test_a_supervisor_lists_only_the_users_of_their_offices(client, auth, province):
    listed = client.get("/api/users", headers=auth(province["nk"]["supervisor"])).get_json()
    names = {u["username"] for u in listed}
    assert province["nk"]["postman"].username in names and province["cr"]["postman"].username not in names
    user = province["cr"]["postman"].id
    assert client.get(f"/api/users/{user}", headers=auth(province["nk"]["supervisor"])).status_code == 404


# Offices' own settings ---------------------------------------------------------------------------


def test_an_office_keeps_its_position_bank_account_and_hours(client, app, auth, make, province, today):
    cai_rang = province["cr"]["office"]
    change = {
        "bank_bin": "970405",
        "bank_account": "1500201234567",
        "bank_account_name": "BUU DIEN CAI RANG",
        "opens_at": "07:00",
        "closes_at": "17:30",
    }
    assert (
        client.patch(
            f"/api/offices/{cai_rang.id}", headers=auth(province["cr"]["supervisor"]), json=change
        ).status_code
        == 403
    )
    changed = client.patch(f"/api/offices/{cai_rang.id}", headers=auth(province["provincial"]), json=change)
    assert changed.status_code == 200, changed.get_json()
    shown = client.get(f"/api/offices/{cai_rang.id}", headers=auth(province["cr"]["supervisor"])).get_json()
    assert (shown["bank_account"], shown["opens_at"], shown["closes_at"]) == (
        "1500201234567",
        "07:00:00",
        "17:30:00",
    )
    assert (shown["lat"], shown["lon"]) == CAI_RANG and shown["agencies"] == [province["cr"]["agency"].code]
    assert (
        client.get(f"/api/offices/{cai_rang.id}", headers=auth(province["nk"]["supervisor"])).status_code
        == 404
    )
    seen = client.get("/api/offices", headers=auth(province["nk"]["supervisor"])).get_json()
    assert [o["code"] for o in seen] == ["BC-NINHKIEU"]
    bad = client.patch(
        f"/api/offices/{cai_rang.id}", headers=auth(province["provincial"]), json={"opens_at": "18:00"}
    )
    assert bad.status_code == 422 and bad.content_type == PROBLEM

    # The phone's pull carries its round's office, for the start of the walk, VietQR and the hours.
    _round(make, province, "cr", today, [province["cr"]["item"]])
    pulled = Phone(client, province["cr"]["postman"].username).login().pull()
    office = pulled["rounds"][0]["office"]
    assert (office["code"], office["lat"], office["lon"]) == ("BC-CAIRANG", *CAI_RANG)
    assert office["bank"] == {"bin": "970405", "account": "1500201234567", "name": "BUU DIEN CAI RANG"}
    assert (office["opens_at"], office["closes_at"]) == ("07:00", "17:30")


def test_an_offices_new_account_reaches_its_rounds_phones_on_their_next_pull(
    client, auth, make, province, today
):
    _round(make, province, "cr", today, [province["cr"]["item"]])
    _round(make, province, "nk", today, [province["nk"]["item"]])
    cai_rang, ninh_kieu = (Phone(client, province[o]["postman"].username).login() for o in ("cr", "nk"))
    for phone in (cai_rang, ninh_kieu):
        phone.pull()
    account = {
        "bank_bin": "970405",
        "bank_account": "1500209999999",
        "bank_account_name": "BUU DIEN CAI RANG",
    }
    office_id = province["cr"]["office"].id
    changed = client.patch(f"/api/offices/{office_id}", headers=auth(province["provincial"]), json=account)
    assert changed.status_code == 200, changed.get_json()

    pulled = cai_rang.pull()  # incremental: neither the round nor its items changed

    assert not pulled["reset"] and pulled["items"] == []
    (round_,) = pulled["rounds"]
    assert round_["office"]["bank"] == {
        "bin": "970405",
        "account": "1500209999999",
        "name": "BUU DIEN CAI RANG",
    }
    assert ninh_kieu.pull()["rounds"] == []  # another office's phone hears nothing
    assert cai_rang.pull()["rounds"] == []  # told once


def test_the_command_line_creates_offices_and_puts_users_in_them(app, runner):
    assert (
        runner.invoke(args=["create-office", "--code", "BDT-CT", "--name", "Bưu điện TP Cần Thơ"]).exit_code
        == 0
    )
    made = runner.invoke(
        args=[
            "create-office",
            "--code",
            "BC-NK",
            "--name",
            "Bưu điện Ninh Kiều",
            "--parent",
            "BDT-CT",
            "--lat",
            "10.0341",
            "--lon",
            "105.788",
            "--opens",
            "07:00",
            "--closes",
            "17:00",
        ]
    )
    assert made.exit_code == 0 and "commune office BC-NK under BDT-CT" in made.output
    assert (
        runner.invoke(
            args=["create-office", "--code", "BC-CR", "--name", "Cái Răng", "--parent", "BC-NK"]
        ).exit_code
        != 0
    )
    user = runner.invoke(
        args=[
            "create-user",
            "--role",
            "supervisor",
            "--username",
            "giamsat.ct",
            "--password",
            "long-enough-pass",
            "--office",
            "BDT-CT",
            "--office",
            "BC-NK",
        ]
    )
    assert user.exit_code == 0, user.output
    unknown = runner.invoke(
        args=[
            "create-user",
            "--role",
            "postman",
            "--username",
            "bt.x",
            "--password",
            "long-enough-pass",
            "--office",
            "NOPE",
        ]
    )
    assert unknown.exit_code != 0 and "NOPE" in unknown.output
    with app.app_context():
        nk = db.session.execute(db.select(PostOffice).where(PostOffice.code == "BC-NK")).scalar_one()
        assert (nk.kind, nk.parent.code, nk.position, nk.opens_at) == (
            "commune",
            "BDT-CT",
            (10.0341, 105.788),
            time(7),
        )
        person = db.session.execute(db.select(User).where(User.username == "giamsat.ct")).scalar_one()
        assert [o.code for o in person.offices] == ["BC-NK", "BDT-CT"]
        assert db.session.execute(db.select(Round)).first() is None
