"""Handover records (biên bản bàn giao): supervisors record them and print a signed-paper PDF."""

from __future__ import annotations

import subprocess

import pytest
from PIL import Image

from backend.extensions import db
from backend.models import AuditEntry, DeliveryAttempt, Handover, HandoverLine, Item, PostOffice
from tests.kit.images import blank_image, jpeg_bytes, png_signature
from tests.kit.phone import Phone

PROBLEM = "application/problem+json"


@pytest.fixture
def agency(make):
    return make.agency(name="Trung tâm Phục vụ hành chính công xã Châu Thành", address="Khu phố Minh Long")


@pytest.fixture
def collected(client, make, agency):
    """Two dossiers a postman collected (with fees) and one still on the round."""
    postman = make.user("postman", full_name="Lê Văn Tư")
    items = [
        make.item(
            agency_id=agency.id,
            direction="collect",
            status="registered",
            recipient_name=f"Danh Thị Sa Ry {n}",
        )
        for n in range(3)
    ]
    make.round(postman, items=items)
    phone = Phone(client, postman.username).login()
    phone.pull()
    for n, item in enumerate(items[:2]):
        checklist = [
            {"name": "Tờ khai", "form": "original", "present": True},
            {"name": "Giấy chứng sinh", "form": "copy", "present": True},
            {"name": "CCCD", "form": "copy", "present": n == 0},
        ]
        phone.capture(
            "collect",
            item.id,
            {
                "checklist": checklist,
                "seal_number": f"NP-{n}",
                "fee_collected": 26_000,
                "government_fee_collected": 8_000 * (n + 1),
            },
            {"signature": png_signature(n), "postman_signature": png_signature(n + 5)},
        )
    phone.sync()
    return postman, items


def status_of(app, item) -> str:
    with app.app_context():
        return db.session.get(Item, item.id).status


def record(client, headers, agency, lines, direction="post_to_agency", **extra):
    return client.post(
        "/api/handovers",
        headers=headers,
        json={
            "direction": direction,
            "agency_id": agency.id,
            "officer_name": "Phạm Thị Hồng Nhung",
            "lines": lines,
            **extra,
        },
    )


def test_candidates_suggest_the_papers_present_and_the_fees_collected(
    client, make, auth, supervisor, agency, collected
):
    _, items = collected
    response = client.get(
        "/api/handovers/candidates",
        headers=auth(supervisor),
        query_string={"direction": "post_to_agency", "agency_id": agency.id},
    )

    assert response.status_code == 200
    assert [
        (c["code"], c["event"], c["originals"], c["copies"], c["fee_passed_on"]) for c in response.get_json()
    ] == [(items[0].code, "hand_to_agency", 1, 2, 8_000), (items[1].code, "hand_to_agency", 1, 1, 16_000)]


def test_a_supervisor_records_a_handover_to_the_agency_and_the_items_move(
    client, app, auth, supervisor, agency, collected
):
    postman, items = collected
    lines = [
        {"item_id": items[0].id, "originals": 1, "copies": 2, "fee_passed_on": 8_000},
        {"item_id": items[1].id, "originals": 1, "copies": 1, "fee_passed_on": 16_000},
    ]

    response = record(client, auth(supervisor), agency, lines, postman_id=postman.id, note="Giao đủ")

    assert response.status_code == 201
    body = response.get_json()
    assert body["number"] == f"BG-{body['id']:06d}" and body["source"] == "dashboard"
    assert body["postman"]["id"] == postman.id and body["created_by"]["id"] == supervisor.id
    assert [line["code"] for line in body["lines"]] == [items[0].code, items[1].code]
    assert body["totals"] == {"items": 2, "originals": 2, "copies": 3, "fee_passed_on": 24_000}
    assert len(body["verification"]) == 16
    assert [status_of(app, i) for i in items] == ["handed_to_agency", "handed_to_agency", "assigned"]
    with app.app_context():
        assert db.session.get(Handover, body["id"]).created_by_id == supervisor.id
        actions = db.session.execute(db.select(AuditEntry.action, AuditEntry.detail)).all()
        assert (
            "handover.recorded",
            {"direction": "post_to_agency", "items": 2, "via": "dashboard"},
        ) in actions
        assert (
            sum(1 for a, d in actions if a == "item.hand_to_agency" and d["handover_id"] == body["id"]) == 2
        )


def test_one_item_that_cannot_be_handed_over_refuses_the_whole_record(
    client, app, auth, supervisor, agency, collected
):
    _, items = collected
    response = record(client, auth(supervisor), agency, [{"item_id": items[0].id}, {"item_id": items[2].id}])

    assert response.status_code == 409 and response.content_type == PROBLEM
    body = response.get_json()
    assert body["type"].endswith("/handover-not-possible") and "nothing was recorded" in body["detail"]
    assert body["errors"] == {
        "lines": {"1": [f"Item {items[2].code} is 'assigned' and cannot be handed over this way."]}
    }
    assert [status_of(app, i) for i in items[:2]] == ["collected", "collected"]
    with app.app_context():
        assert db.session.execute(db.select(db.func.count(Handover.id))).scalar_one() == 0
        assert db.session.execute(db.select(db.func.count(HandoverLine.id))).scalar_one() == 0


def test_items_of_another_agency_or_listed_twice_are_refused(
    client, make, auth, supervisor, agency, collected
):
    _, items = collected
    foreign = make.item(direction="collect", status="collected")
    headers = auth(supervisor)

    twice = record(client, headers, agency, [{"item_id": items[0].id}, {"item_id": items[0].id}])
    other = record(client, headers, agency, [{"item_id": foreign.id}])

    assert twice.status_code == 422 and twice.get_json()["type"].endswith("/duplicate-line")
    assert other.status_code == 409
    assert other.get_json()["errors"]["lines"]["0"] == [f"Item {foreign.code} belongs to another agency."]


def test_results_received_from_the_agency_are_recorded_and_documented_once(
    client, app, make, auth, supervisor, agency
):
    waiting = make.item(agency_id=agency.id, status="registered")  # still at the agency
    imported = make.item(agency_id=agency.id)  # booked as received by the import, no paper yet
    headers = auth(supervisor)
    candidates = client.get(
        "/api/handovers/candidates",
        headers=headers,
        query_string={"direction": "agency_to_post", "agency_id": agency.id},
    ).get_json()
    lines = [{"item_id": waiting.id, "originals": 1}, {"item_id": imported.id, "originals": 1}]

    first = record(client, headers, agency, lines, direction="agency_to_post", result_ready_date="2026-12-05")
    again = record(client, headers, agency, [{"item_id": imported.id}], direction="agency_to_post")

    assert [(c["code"], c["event"]) for c in candidates] == [
        (waiting.code, "receive_from_agency"),
        (imported.code, None),
    ]
    assert first.status_code == 201 and first.get_json()["result_ready_date"] == "2026-12-05"
    assert (status_of(app, waiting), status_of(app, imported)) == ("at_post_office", "at_post_office")
    assert again.status_code == 409
    assert "'at_post_office' and cannot be handed over" in again.get_json()["errors"]["lines"]["0"][0]


def test_agency_officers_see_only_their_agencys_records(client, make, auth, supervisor, agency, collected):
    _, items = collected
    created = record(client, auth(supervisor), agency, [{"item_id": items[0].id}]).get_json()
    officer = make.user("agency", agency_id=agency.id)
    stranger = make.user("agency")

    mine = client.get("/api/handovers", headers=auth(officer))
    theirs = client.get("/api/handovers", headers=auth(stranger))
    forbidden = client.get(f"/api/handovers/{created['id']}/pdf", headers=auth(stranger))

    assert mine.status_code == 200 and [h["id"] for h in mine.get_json()] == [created["id"]]
    assert mine.headers["X-Total-Count"] == "1"
    assert theirs.get_json() == []
    assert forbidden.status_code == 403 and forbidden.content_type == PROBLEM


def test_the_printed_record_renders_and_lists_the_right_items(
    client, app, auth, supervisor, agency, collected, tmp_path, poppler
):
    postman, items = collected
    lines = [
        {"item_id": items[0].id, "originals": 1, "copies": 2, "fee_passed_on": 8_000},
        {"item_id": items[1].id, "originals": 1, "copies": 1, "fee_passed_on": 16_000},
    ]
    created = record(client, auth(supervisor), agency, lines, postman_id=postman.id).get_json()

    response = client.get(f"/api/handovers/{created['id']}/pdf", headers=auth(supervisor))

    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF-")
    pdf = tmp_path / "record.pdf"
    pdf.write_bytes(response.data)
    subprocess.run(
        ["pdftoppm", "-png", "-r", "50", "-f", "1", "-l", "1", str(pdf), str(tmp_path / "page")], check=True
    )
    page = Image.open(next(tmp_path.glob("page*.png"))).convert("L")
    dark = sum(page.histogram()[:128])
    assert dark > 0.01 * page.width * page.height  # text, table rules and the QR code
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, check=True, text=True
    ).stdout
    assert "BIÊN BẢN BÀN GIAO" in text and "HANDOVER RECORD" in text
    assert items[0].code in text and items[1].code in text and items[2].code not in text
    assert "Phạm Thị Hồng Nhung" in text and "Lê Văn Tư" not in text.split("BIÊN BẢN")[0]
    assert "24.000" in text and created["verification"] in text
    with app.app_context():
        assert db.session.execute(
            db.select(AuditEntry).where(AuditEntry.action == "handover.printed")
        ).scalar_one().entity_id == str(created["id"])


def test_the_record_hash_changes_if_a_line_is_altered(client, app, auth, supervisor, agency, collected):
    _, items = collected
    created = record(client, auth(supervisor), agency, [{"item_id": items[0].id, "copies": 1}]).get_json()
    with app.app_context():
        db.session.execute(db.update(HandoverLine).values(copies=5))
        db.session.commit()

    again = client.get(f"/api/handovers/{created['id']}", headers=auth(supervisor)).get_json()

    assert again["verification"] != created["verification"]


def test_a_missing_pdf_font_is_a_clear_error(client, app, auth, supervisor, agency, collected):
    _, items = collected
    created = record(client, auth(supervisor), agency, [{"item_id": items[0].id}]).get_json()
    app.config["PDF_FONT_PATH"] = "/nonexistent/DejaVuSans.ttf"

    response = client.get(f"/api/handovers/{created['id']}/pdf", headers=auth(supervisor))

    assert response.status_code == 503 and response.content_type == PROBLEM
    assert "fonts-dejavu-core" in response.get_json()["detail"]


def test_a_phones_handover_is_listed_and_printable_too(client, auth, supervisor, agency, collected):
    postman, items = collected
    phone = Phone(client, postman.username).login()
    phone.hand_over(agency.id, [items[1].id])
    phone.sync()

    listed = client.get(
        "/api/handovers", headers=auth(supervisor), query_string={"direction": "post_to_agency"}
    ).get_json()
    pdf = client.get(f"/api/handovers/{listed[0]['id']}/pdf", headers=auth(supervisor))

    assert [(h["source"], h["officer_name"]) for h in listed] == [("phone", "Trần Văn Bảy")]
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF-")


def pdf_text(pdf_bytes: bytes, tmp_path, name: str = "printed.pdf") -> str:
    """What a reader sees on a printed PDF, in reading order, each run of blanks one space."""
    pdf = tmp_path / name
    pdf.write_bytes(pdf_bytes)
    raw = subprocess.run(["pdftotext", "-raw", str(pdf), "-"], capture_output=True, check=True, text=True)
    return " ".join(raw.stdout.split())


def test_a_result_brought_back_undelivered_is_printed_with_both_parties_its_reason_and_its_papers(
    client, app, make, auth, supervisor, postman, today, tmp_path, poppler
):
    with app.app_context():
        office = db.session.get(PostOffice, make.default_office_id())
        office.address = "Số 12 đường 30 Tháng 4, xã Châu Thành, An Giang"
        db.session.commit()
    agency = make.agency(
        name="Trung tâm Phục vụ hành chính công xã Châu Thành",
        address="Khu phố Minh Long, xã Châu Thành, An Giang",  # already says its commune and province
    )
    headers = auth(supervisor)
    # The agency hands over a birth certificate with two certified extracts; the postman visits twice.
    result = make.item(agency_id=agency.id, status="registered", recipient_name="Chau Sóc Khol")
    unrecorded = make.item(agency_id=agency.id, status="return_to_agency", attempt_count=2)
    received = record(
        client,
        headers,
        agency,
        [{"item_id": result.id, "originals": 1, "copies": 2}],
        direction="agency_to_post",
    )
    assert received.status_code == 201
    with app.app_context():
        db.session.get(Item, result.id).status = "return_to_agency"
        db.session.get(Item, result.id).attempt_count = 2
        for reason in ("not_home", "moved"):
            db.session.add(
                DeliveryAttempt(
                    item_id=result.id, postman_id=postman.id, outcome="failed", reason_code=reason
                )
            )
        db.session.commit()

    candidates = client.get(
        "/api/handovers/candidates",
        headers=headers,
        query_string={"direction": "post_to_agency", "agency_id": agency.id},
    ).get_json()
    # The result's papers as the agency gave them, not the application's checklist (1 original, 1 copy).
    assert [(c["code"], c["originals"], c["copies"]) for c in candidates] == [
        (result.code, 1, 2),
        (unrecorded.code, 1, 0),
    ]
    lines = [
        {"item_id": c["item_id"], "originals": c["originals"], "copies": c["copies"]} for c in candidates
    ]
    returned = record(client, headers, agency, lines, postman_id=postman.id)
    assert returned.status_code == 201, returned.get_json()

    printed = client.get(f"/api/handovers/{returned.get_json()['id']}/pdf", headers=headers)

    assert printed.status_code == 200
    text = pdf_text(printed.data, tmp_path)
    assert "Bên giao / Handed over by: Bưu cục Minh Lương" in text
    assert "Địa chỉ / Address: Số 12 đường 30 Tháng 4, xã Châu Thành, An Giang" in text
    assert "Bên nhận / Received by: Trung tâm Phục vụ hành chính công xã Châu Thành" in text
    assert "Địa chỉ / Address: Khu phố Minh Long, xã Châu Thành, An Giang Đại diện" in text  # said once
    assert text.count("Cấp giấy khai sinh") == 2  # the procedure on each line
    assert "Returned undelivered: Đã chuyển đi / Moved away, 2 lần phát / visits" in text  # the last reason
    assert "Vắng nhà" not in text
    assert f"Xã Châu Thành, ngày {today:%d} tháng {today:%m} năm {today:%Y}" in text
    assert "Total: 2 bưu gửi / items 2 2 0" in text


def signed_handover(phone: Phone, agency, item_ids, files=None, **data) -> dict:
    """A handover made on the phone with the officer's signature and a photo of the sealed bag
    (or the `files` given)."""
    return phone.capture(
        "handover",
        None,
        {
            "direction": "post_to_agency",
            "agency_id": agency.id,
            "officer_name": "Trần Văn Bảy",
            "lines": [{"item_id": item_id} for item_id in item_ids],
            **data,
        },
        files or {"signature": png_signature(2), "photo": jpeg_bytes(3)},
    )


def test_a_phones_handover_keeps_its_seal_and_signature_for_the_supervisor(
    client, make, auth, supervisor, agency, collected, tmp_path
):
    postman, items = collected
    phone = Phone(client, postman.username).login()
    mutation = signed_handover(phone, agency, [items[0].id], seal_number="NP-2026-0042", note="Túi xanh")
    signature, photo = (ref["sha256"] for ref in mutation["attachments"])
    phone.sync()

    (listed,) = client.get(
        "/api/handovers", headers=auth(supervisor), query_string={"direction": "post_to_agency"}
    ).get_json()
    record = client.get(f"/api/handovers/{listed['id']}", headers=auth(supervisor)).get_json()
    download = client.get(f"/api/attachments/{signature}", headers=auth(supervisor))
    printed = pdf_text(
        client.get(f"/api/handovers/{listed['id']}/pdf", headers=auth(supervisor)).data, tmp_path
    )

    assert (record["seal_number"], record["note"]) == ("NP-2026-0042", "Túi xanh")
    assert [(a["sha256"], a["kind"], a["available"]) for a in record["attachments"]] == [
        (signature, "signature", True),
        (photo, "photo", True),
    ]
    assert download.status_code == 200 and download.data == phone.files[signature]
    assert "Số niêm phong / Seal number: NP-2026-0042" in printed
    assert "Có chữ ký điện tử của cán bộ" in printed

    foreign = make.user("supervisor", offices=(make.office().id,))
    hidden = client.get(f"/api/attachments/{signature}", headers=auth(foreign))
    assert hidden.status_code == 404 and hidden.content_type == PROBLEM


def test_a_handover_sent_before_its_files_lists_them_and_a_replay_links_nothing_twice(
    app, client, auth, supervisor, agency, collected
):
    postman, items = collected
    phone = Phone(client, postman.username).login()
    mutation = signed_handover(phone, agency, [items[1].id])
    outbox = list(phone.outbox)

    first = phone.client.post(
        "/api/sync/push", json={"protocol": 1, "mutations": outbox}, headers=phone.headers
    ).get_json()["results"][0]
    phone.upload_files()
    again = phone.client.post(
        "/api/sync/push", json={"protocol": 1, "mutations": outbox}, headers=phone.headers
    ).get_json()["results"][0]

    assert first["outcome"] == "applied"
    assert sorted(first["missing_attachments"]) == sorted(ref["sha256"] for ref in mutation["attachments"])
    assert again["outcome"] == "duplicate" and again["handover_id"] == first["handover_id"]
    with app.app_context():
        (record,) = db.session.execute(db.select(Handover)).unique().scalars().all()
        assert sorted((a.kind, a.sha256) for a in record.attachments) == sorted(
            (ref["kind"], ref["sha256"]) for ref in mutation["attachments"]
        )
        assert record.seal_number is None
    download = client.get(
        f"/api/attachments/{mutation['attachments'][0]['sha256']}", headers=auth(supervisor)
    )
    assert download.status_code == 200


def test_a_handover_with_a_blank_signature_or_a_stranger_file_is_refused(client, agency, collected):
    postman, items = collected
    phone = Phone(client, postman.username).login()
    blank = signed_handover(phone, agency, [items[0].id], files={"signature": blank_image()})
    phone.upload_files()
    phone.push()
    stranger = signed_handover(phone, agency, [items[0].id])
    stranger["attachments"].append({"sha256": stranger["attachments"][0]["sha256"], "kind": "id_photo"})
    results = phone.client.post(
        "/api/sync/push", json={"protocol": 1, "mutations": [stranger]}, headers=phone.headers
    ).get_json()["results"]

    assert phone.outcomes[blank["id"]]["reason"] == "blank-signature"
    assert results[0]["reason"] == "invalid-mutation" and "id_photo" in results[0]["errors"]["attachments"][0]


def test_a_handover_whose_signature_arrives_blank_after_the_record_is_kept_and_flagged(
    app, client, auth, supervisor, agency, collected
):
    postman, items = collected
    phone = Phone(client, postman.username).login()
    blank = signed_handover(phone, agency, [items[0].id], files={"signature": blank_image()})
    signed = signed_handover(phone, agency, [items[1].id])
    phone.push()  # the records first, with no signal for the files yet
    before = {m["id"]: phone.outcomes[m["id"]]["outcome"] for m in (blank, signed)}
    phone.upload_files()  # the blank signature's ink is measured only now

    listed = client.get("/api/handovers", headers=auth(supervisor)).get_json()
    flags = {line["item_id"]: h["flag_reason"] for h in listed for line in h["lines"]}
    assert before == {blank["id"]: "applied", signed["id"]: "applied"}
    assert flags == {items[0].id: "blank-signature", items[1].id: None}  # kept, and flagged
    assert status_of(app, items[0]) == "handed_to_agency"  # the papers did move


def test_an_older_phones_seal_in_the_note_stays_a_note(client, auth, supervisor, agency, collected):
    postman, items = collected
    phone = Phone(client, postman.username).login()
    older = phone.hand_over(agency.id, [items[0].id])
    older["data"]["note"] = "Số niêm phong: NP-7 — Túi xanh"
    phone.sync()

    (listed,) = client.get("/api/handovers", headers=auth(supervisor)).get_json()
    assert (listed["note"], listed["seal_number"], listed["attachments"]) == (
        "Số niêm phong: NP-7 — Túi xanh",
        None,
        [],
    )
