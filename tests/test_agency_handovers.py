"""Electronic handover records (issue 14, point 2): an agency officer hands results to the post on
screen and a supervisor countersigns, or the other way round for collected dossiers; the second
signature's server time is the record's legal time, printed on the PDF. And an officer's requests
to hold or cancel an item, which the supervisors see and act on."""

from __future__ import annotations

import base64
import subprocess
from datetime import UTC, datetime

import pytest

from backend.extensions import db
from backend.models import AuditEntry, Handover, HandoverAttachment, Item
from tests.kit.images import png_signature
from tests.kit.phone import Phone

PROBLEM = "application/problem+json"


def drawn(seed: int = 0) -> str:
    return "data:image/png;base64," + base64.b64encode(png_signature(seed)).decode()


@pytest.fixture
def results(make, agency):
    """Two results the agency still holds (registered) and one of another agency."""
    ours = [
        make.item(agency_id=agency.id, status="registered", recipient_name=f"Lê Thị Mai {n}") for n in (1, 2)
    ]
    return ours, make.item(status="registered")


def status_of(app, item) -> str:
    with app.app_context():
        return db.session.get(Item, item.id).status


def post_to_agency(agency, lines, **extra) -> dict:
    """A supervisor's electronic record handing dossiers to the agency, signed by the post first."""
    return {
        "direction": "post_to_agency",
        "agency_id": agency.id,
        "officer_name": "Phạm Thị Hồng Nhung",
        "lines": lines,
        "signature": drawn(5),
        **extra,
    }


def hand_over(client, headers, lines, **extra):
    body = {"direction": "agency_to_post", "lines": lines, "signature": drawn(1), **extra}
    return client.post("/api/handovers", headers=headers, json=body)


def test_an_officer_hands_results_over_and_they_move_only_when_the_post_countersigns(
    client, app, auth, supervisor, officer, agency, results
):
    ours, _ = results
    candidates = client.get(
        "/api/handovers/candidates", headers=auth(officer), query_string={"direction": "agency_to_post"}
    ).get_json()
    assert [c["code"] for c in candidates] == [i.code for i in ours]

    response = hand_over(client, auth(officer), [{"item_id": i.id, "originals": 1} for i in ours])

    assert response.status_code == 201, response.get_json()
    record = response.get_json()
    assert record["status"] == "awaiting_post" and record["signed_at"] is None
    assert record["agency"]["id"] == agency.id and record["officer_name"] == "Phạm Thị Hồng Nhung"
    assert [status_of(app, i) for i in ours] == ["registered", "registered"]  # nothing moves yet
    waiting = client.get("/api/handovers", headers=auth(supervisor), query_string={"status": "awaiting_post"})
    assert [r["id"] for r in waiting.get_json()] == [record["id"]]
    # The officer cannot sign twice; the supervisor countersigns.
    again = _sign(client, auth(officer), record["id"], "Phạm Thị Hồng Nhung", 2)
    assert again.status_code == 403 and again.get_json()["code"] == "not-awaiting-you"

    before = datetime.now(UTC)
    signed = _sign(client, auth(supervisor), record["id"], "Trần Văn Bình", 3)

    assert signed.status_code == 200, signed.get_json()
    body = signed.get_json()
    assert body["status"] == "signed" and body["signer_name"] == "Trần Văn Bình"
    assert before <= datetime.fromisoformat(body["signed_at"]) <= datetime.now(UTC)
    assert [status_of(app, i) for i in ours] == ["at_post_office", "at_post_office"]
    with app.app_context():
        kinds = db.session.execute(
            db.select(HandoverAttachment.kind).where(HandoverAttachment.handover_id == record["id"])
        ).scalars()
        assert sorted(kinds) == ["post_signature", "signature"]
        actions = db.session.execute(db.select(AuditEntry.action)).scalars().all()
        assert "handover.signed" in actions and actions.count("item.receive_from_agency") == 2
    # Signed once: a second countersignature is refused.
    twice = _sign(client, auth(supervisor), record["id"], "Trần Văn Bình", 3)
    assert twice.status_code == 409 and twice.get_json()["code"] == "already-signed"


def test_the_pdf_prints_the_signed_time(client, app, auth, supervisor, officer, results):
    ours, _ = results
    record = hand_over(client, auth(officer), [{"item_id": ours[0].id}]).get_json()
    unsigned = client.get(f"/api/handovers/{record['id']}/pdf", headers=auth(officer))
    assert "CHƯA ĐỦ CHỮ KÝ" in _text(unsigned.data)
    _sign(client, auth(supervisor), record["id"], "Trần Văn Bình", 3)
    with app.app_context():
        signed_at = db.session.get(Handover, record["id"]).signed_at
    from backend.timeutil import local_zone

    local = signed_at.astimezone(local_zone())
    text = _text(client.get(f"/api/handovers/{record['id']}/pdf", headers=auth(officer)).data)
    assert f"{local:%H:%M:%S, %d/%m/%Y}" in text and "Trần Văn Bình" in text


def _text(pdf: bytes) -> str:
    return subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()


def test_an_officer_lists_only_their_agency_s_results_and_must_sign(client, auth, officer, results):
    ours, theirs = results
    foreign = hand_over(client, auth(officer), [{"item_id": theirs.id}])
    assert foreign.status_code == 403 and foreign.content_type == PROBLEM
    assert foreign.get_json()["code"] == "not-your-item"
    unsigned = client.post(
        "/api/handovers",
        headers=auth(officer),
        json={"direction": "agency_to_post", "lines": [{"item_id": ours[0].id}]},
    )
    assert unsigned.status_code == 403  # a paper record is the post office's to type
    back = hand_over(client, auth(officer), [{"item_id": ours[0].id}], direction="post_to_agency")
    assert back.status_code == 403
    blank = hand_over(
        client, auth(officer), [{"item_id": ours[0].id}], signature=base64.b64encode(b"not a png").decode()
    )
    assert blank.status_code == 422


def test_another_agency_s_officer_sees_none_of_it(client, make, auth, officer, results):
    ours, _ = results
    record = hand_over(client, auth(officer), [{"item_id": ours[0].id}]).get_json()
    stranger = make.user("agency")
    assert client.get(f"/api/handovers/{record['id']}", headers=auth(stranger)).status_code == 403
    assert client.get(f"/api/handovers/{record['id']}/pdf", headers=auth(stranger)).status_code == 403
    assert client.get("/api/handovers", headers=auth(stranger)).get_json() == []
    refused = _sign(client, auth(stranger), record["id"], "X", 4)
    assert refused.status_code == 403


def test_the_post_hands_collected_dossiers_over_and_the_officer_countersigns(
    client, app, make, auth, supervisor, officer, agency
):
    postman = make.user("postman")
    item = make.item(agency_id=agency.id, direction="collect", status="registered")
    make.round(postman, items=[item])
    phone = Phone(client, postman.username).login()
    phone.pull()
    phone.collect(
        item.id, checklist=[{"name": "Tờ khai", "form": "original", "present": True}], seal_number="NP-7"
    )
    phone.sync()
    assert status_of(app, item) == "collected"
    # The officer reads the outcome on request: the checklist and the seal; the view is audited.
    story = client.get(f"/api/items/{item.id}/timeline", headers=auth(officer)).get_json()
    proof_id = next(e["proof_id"] for e in story["entries"] if e["kind"] == "proof")
    proof = client.get(f"/api/proofs/{proof_id}", headers=auth(officer)).get_json()
    assert proof["seal_number"] == "NP-7" and proof["checklist"][0]["name"] == "Tờ khai"
    assert client.get(f"/api/proofs/{proof_id}", headers=auth(make.user("agency"))).status_code == 403
    with app.app_context():
        viewed = db.session.execute(
            db.select(AuditEntry).where(AuditEntry.action == "proof.viewed")
        ).scalar_one()
        assert viewed.actor_id == officer.id and viewed.entity_id == str(proof_id)

    response = client.post(
        "/api/handovers",
        headers=auth(supervisor),
        json=post_to_agency(agency, [{"item_id": item.id, "originals": 1}]),
    )
    assert response.status_code == 201, response.get_json()
    record = response.get_json()
    assert record["status"] == "awaiting_agency" and status_of(app, item) == "collected"
    mine = client.get("/api/handovers", headers=auth(officer)).get_json()
    assert [(r["id"], r["status"]) for r in mine] == [(record["id"], "awaiting_agency")]

    signed = _sign(client, auth(officer), record["id"], "Phạm Thị Hồng Nhung", 6)

    assert signed.status_code == 200, signed.get_json()
    assert signed.get_json()["status"] == "signed" and status_of(app, item) == "handed_to_agency"


def test_a_hold_request_reaches_the_supervisor_and_a_cancel_cancels(
    client, app, make, auth, supervisor, officer, agency
):
    item = make.item(agency_id=agency.id)
    other = make.item(agency_id=agency.id)
    hold = client.post(
        f"/api/items/{item.id}/requests",
        headers=auth(officer),
        json={"kind": "hold", "reason": "Công dân xin nhận trực tiếp"},
    )
    assert hold.status_code == 201, hold.get_json()
    again = client.post(
        f"/api/items/{item.id}/requests", headers=auth(officer), json={"kind": "hold", "reason": "Lần nữa"}
    )
    assert again.status_code == 409
    cancel = client.post(
        f"/api/items/{other.id}/requests",
        headers=auth(officer),
        json={"kind": "cancel", "reason": "Hồ sơ bị rút"},
    ).get_json()

    seen = client.get("/api/item-requests", headers=auth(supervisor), query_string={"status": "open"})
    assert [(r["code"], r["kind"]) for r in seen.get_json()] == [(other.code, "cancel"), (item.code, "hold")]
    stranger = make.user("agency")
    assert client.get("/api/item-requests", headers=auth(stranger)).get_json() == []
    assert (
        client.post(
            f"/api/items/{item.id}/requests", headers=auth(stranger), json={"kind": "hold", "reason": "x"}
        ).status_code
        == 403
    )

    done = client.post(
        f"/api/item-requests/{cancel['id']}/resolve", headers=auth(supervisor), json={"action": "done"}
    )
    assert done.status_code == 200 and done.get_json()["status"] == "done"
    assert status_of(app, other) == "cancelled"
    declined = client.post(
        f"/api/item-requests/{hold.get_json()['id']}/resolve",
        headers=auth(supervisor),
        json={"action": "declined", "note": "Đã giao cho bưu tá"},
    )
    assert declined.get_json()["status"] == "declined" and status_of(app, item) == "at_post_office"
    mine = client.get("/api/item-requests", headers=auth(officer)).get_json()
    assert {r["status"] for r in mine} == {"done", "declined"}


def test_an_officer_exports_their_items_with_the_fees_collected_and_passed_on(
    client, make, auth, officer, agency
):
    ours = make.item(agency_id=agency.id, government_fee=8_000, recipient_name="=HYPERLINK(1)")
    theirs = make.item(government_fee=5_000)
    response = client.get("/api/items/export", headers=auth(officer), query_string={"format": "csv"})

    assert response.status_code == 200 and response.mimetype == "text/csv"
    text = response.get_data(as_text=True)
    assert ours.code in text and theirs.code not in text
    assert "'=HYPERLINK(1)" in text  # never a formula in the agency's spreadsheet
    assert text.strip().splitlines()[-1].startswith("Tổng cộng / Total") and ",8000,0,0" in text
    # Due in 3 calendar days (the factory's): 1 to 3 working days left, never overdue.
    row = next(line for line in text.splitlines() if line.startswith(ours.code)).split(",")
    assert 1 <= int(row[6]) <= 3
    xlsx = client.get("/api/items/export", headers=auth(officer), query_string={"format": "xlsx"})
    assert xlsx.status_code == 200 and xlsx.data[:2] == b"PK"


def test_an_agency_served_by_two_offices_hands_over_to_the_office_of_its_results(
    client, app, make, auth, supervisor
):
    second = make.office(code="BC-2", name="Bưu cục Bình Hòa")
    agency = make.agency(offices=(make.default_office_id(), second.id))
    officer = make.user("agency", agency_id=agency.id)
    result = make.item(agency_id=agency.id, status="registered", office_id=second.id)

    response = hand_over(client, auth(officer), [{"item_id": result.id}])

    assert response.status_code == 201, response.get_json()
    with app.app_context():
        assert db.session.get(Handover, response.get_json()["id"]).office_id == second.id
    # The first office's supervisor does not see it, so cannot countersign it.
    sign = _sign(client, auth(supervisor), response.get_json()["id"], "Trần Văn Bình", 3)
    assert sign.status_code == 404


def _sign(client, headers, record_id, signer_name: str, seed: int):
    """Sign a record as `signer_name`, with a signature drawn from `seed`."""
    return client.post(
        f"/api/handovers/{record_id}/sign",
        headers=headers,
        json={"signer_name": signer_name, "signature": drawn(seed)},
    )


def _withdraw(client, headers, record_id, **body):
    return client.post(f"/api/handovers/{record_id}/withdraw", headers=headers, json=body)


def _countersign(client, headers, record_id):
    return _sign(client, headers, record_id, "Trần Văn Bình", 7)


def test_an_officer_withdraws_a_waiting_record_and_the_post_can_no_longer_sign_it(
    client, app, auth, supervisor, officer, results
):
    ours, _ = results
    record = hand_over(client, auth(officer), [{"item_id": i.id} for i in ours]).get_json()
    # The other side cannot withdraw it; it can only leave it unsigned.
    theirs = _withdraw(client, auth(supervisor), record["id"])
    assert theirs.status_code == 403 and theirs.get_json()["code"] == "not-yours-to-withdraw"

    response = _withdraw(client, auth(officer), record["id"], reason="Thiếu một kết quả")

    assert response.status_code == 200, response.get_json()
    assert response.get_json()["status"] == "withdrawn"
    assert [status_of(app, i) for i in ours] == ["registered", "registered"]  # items untouched
    seen = client.get("/api/handovers", headers=auth(supervisor), query_string={"status": "withdrawn"})
    assert [(r["id"], r["status"]) for r in seen.get_json()] == [(record["id"], "withdrawn")]
    refused = _countersign(client, auth(supervisor), record["id"])
    assert refused.status_code == 409 and refused.get_json()["code"] == "record-withdrawn"
    again = _withdraw(client, auth(officer), record["id"])
    assert again.status_code == 409 and again.get_json()["code"] == "record-withdrawn"
    assert [status_of(app, i) for i in ours] == ["registered", "registered"]
    with app.app_context():
        entry = db.session.execute(
            db.select(AuditEntry).where(AuditEntry.action == "handover.withdrawn")
        ).scalar_one()
        assert entry.actor_id == officer.id and entry.entity_id == str(record["id"])
        assert entry.detail["was"] == "awaiting_post" and entry.detail["reason"] == "Thiếu một kết quả"
    # The results are free for a new record, which the post countersigns as usual.
    candidates = client.get(
        "/api/handovers/candidates", headers=auth(officer), query_string={"direction": "agency_to_post"}
    ).get_json()
    assert {c["item_id"] for c in candidates} == {i.id for i in ours}
    fresh = hand_over(client, auth(officer), [{"item_id": ours[0].id}]).get_json()
    assert _countersign(client, auth(supervisor), fresh["id"]).status_code == 200
    assert status_of(app, ours[0]) == "at_post_office"


def test_the_post_withdraws_its_own_waiting_record_but_never_a_signed_one(
    client, app, make, auth, supervisor, officer, agency
):
    dossier = make.item(agency_id=agency.id, direction="collect", status="collected")
    body = post_to_agency(agency, [{"item_id": dossier.id}])
    record = client.post("/api/handovers", headers=auth(supervisor), json=body).get_json()
    assert record["status"] == "awaiting_agency"
    assert _withdraw(client, auth(officer), record["id"]).status_code == 403

    assert _withdraw(client, auth(supervisor), record["id"]).get_json()["status"] == "withdrawn"
    mine = client.get("/api/handovers", headers=auth(officer)).get_json()
    assert [(r["id"], r["status"]) for r in mine] == [(record["id"], "withdrawn")]
    refused = _sign(client, auth(officer), record["id"], "Phạm Thị Hồng Nhung", 6)
    assert refused.status_code == 409 and refused.get_json()["code"] == "record-withdrawn"
    assert status_of(app, dossier) == "collected"

    signed = client.post("/api/handovers", headers=auth(supervisor), json=body | {"signature": drawn(8)})
    countersigned = _sign(client, auth(officer), signed.get_json()["id"], "Phạm Thị Hồng Nhung", 6)
    assert countersigned.status_code == 200, countersigned.get_json()
    late = _withdraw(client, auth(supervisor), signed.get_json()["id"])
    assert late.status_code == 409 and late.get_json()["code"] == "already-signed"
    assert status_of(app, dossier) == "handed_to_agency"


def test_an_officer_opens_the_proofs_files_of_their_items_each_view_audited(
    client, app, make, auth, officer, agency
):
    postman = make.user("postman")
    item = make.item(agency_id=agency.id, direction="collect", status="registered")
    make.round(postman, items=[item])
    phone = Phone(client, postman.username).login()
    phone.pull()
    signature, postman_signature = png_signature(1), png_signature(2)
    phone.capture(
        "collect",
        item.id,
        {"checklist": [{"name": "Tờ khai", "form": "original", "present": True}], "seal_number": "NP-9"},
        {"signature": signature, "postman_signature": postman_signature},
    )
    phone.sync()
    story = client.get(f"/api/items/{item.id}/timeline", headers=auth(officer)).get_json()
    proof_id = next(e["proof_id"] for e in story["entries"] if e["kind"] == "proof")
    files = client.get(f"/api/proofs/{proof_id}", headers=auth(officer)).get_json()["attachments"]
    assert {f["kind"] for f in files} == {"signature", "postman_signature"}

    for f in files:
        response = client.get(f"/api/attachments/{f['sha256']}", headers=auth(officer))
        assert response.status_code == 200 and response.mimetype == "image/png"
        assert response.data == {"signature": signature, "postman_signature": postman_signature}[f["kind"]]
    with app.app_context():
        viewed = (
            db.session.execute(db.select(AuditEntry).where(AuditEntry.action == "attachment.viewed"))
            .scalars()
            .all()
        )
        assert sorted(v.entity_id for v in viewed) == sorted(f["sha256"] for f in files)
        assert {v.actor_id for v in viewed} == {officer.id}
    # Another agency's officer: missing, as a file that does not exist.
    stranger = make.user("agency", agency_id=make.agency().id)
    for f in files:
        response = client.get(f"/api/attachments/{f['sha256']}", headers=auth(stranger))
        assert response.status_code == 404 and response.get_json()["code"] == "not-found"


def test_fees_on_a_withdrawn_record_were_never_passed_on(
    client, make, auth, supervisor, officer, agency, today
):
    postman = make.user("postman")
    dossier = make.item(agency_id=agency.id, direction="collect", status="collected")
    record = client.post(
        "/api/handovers",
        headers=auth(supervisor),
        json=post_to_agency(
            agency, [{"item_id": dossier.id, "fee_passed_on": 30_000}], postman_id=postman.id
        ),
    ).get_json()
    assert _withdraw(client, auth(supervisor), record["id"]).status_code == 200

    report = client.get(
        "/api/reports",
        headers=auth(supervisor),
        query_string={
            "date_from": today.replace(day=1).isoformat(),
            "date_to": today.isoformat(),
            "group_by": "agency",
        },
    )
    assert report.status_code == 200, report.get_json()
    assert all(row["fees_handed_over"] == 0 for row in report.get_json()["rows"])
    text = client.get("/api/items/export", headers=auth(officer), query_string={"format": "csv"}).get_data(
        as_text=True
    )
    assert text.strip().splitlines()[-1].endswith(",0")  # passed on to the agency: nothing
