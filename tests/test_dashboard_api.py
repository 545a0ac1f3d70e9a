"""The supervisors' dashboard API: the day at a glance, exceptions, the map, importing exports."""

from __future__ import annotations

import io
import itertools
from collections import Counter
from datetime import timedelta

import pytest
from openpyxl import Workbook

from backend.domain.s10 import make_s10
from backend.domain.workdays import overdue_by
from backend.extensions import db
from backend.models import AuditEntry, Device, Item, Round
from backend.models.base import now_utc
from tests.kit.phone import Phone

PROBLEM = "application/problem+json"
_codes = itertools.count(55_000_001)


def synced_phone(client, postman) -> Phone:
    phone = Phone(client, postman.username).login()
    phone.pull()
    return phone


def statuses(app, items) -> Counter:
    with app.app_context():
        return Counter(db.session.get(Item, i.id).status for i in items)


# Today at a glance ---------------------------------------------------------------------------------


def test_the_day_at_a_glance_shows_each_round_with_its_progress_and_phones(
    client, app, make, auth, supervisor
):
    postman = make.user("postman")
    items = [make.item() for _ in range(4)]
    rnd = make.round(postman, items=items)
    phone = synced_phone(client, postman)
    phone.deliver(items[0].id, seed=1)
    phone.deliver(items[1].id, seed=2)
    phone.fail(items[2].id)
    phone.sync()

    response = client.get("/api/dashboard/today", headers=auth(supervisor))

    assert response.status_code == 200
    body = response.get_json()
    [view] = body["rounds"]
    assert (view["id"], view["postman"]["id"], view["stop_count"]) == (rnd.id, postman.id, 4)
    assert view["counts"] == {"returned": 2, "collected": 0, "failed": 1, "pending": 1}
    assert view["incomplete_proofs"] == 0 and view["flagged_proofs"] == 0
    [device] = view["devices"]
    assert device["id"] == phone.device_id
    assert (device["last_seq"], device["applied_today"], device["rejected_today"]) == (3, 3, 0)
    assert device["stale"] is False and device["last_sync_at"] is not None
    assert body["totals"] == {"returned": 2, "collected": 0, "failed": 1, "pending": 1, "stops": 4}
    assert body["exception_counts"]["failed_attempt"] == 1
    assert statuses(app, items) == Counter(delivered=2, failed_attempt=1, assigned=1)


def test_an_unchanged_day_answers_a_revalidating_poll_with_304(client, make, auth, supervisor):
    postman = make.user("postman")
    item = make.item()
    make.round(postman, items=[item])
    phone = synced_phone(client, postman)
    headers = auth(supervisor)

    first = client.get("/api/dashboard/today", headers=headers)
    again = client.get("/api/dashboard/today", headers={**headers, "If-None-Match": first.headers["ETag"]})
    phone.deliver(item.id)
    phone.sync()
    changed = client.get("/api/dashboard/today", headers={**headers, "If-None-Match": first.headers["ETag"]})

    assert first.status_code == 200 and "no-cache" in first.headers["Cache-Control"]
    assert again.status_code == 304 and again.data == b""
    assert changed.status_code == 200 and changed.headers["ETag"] != first.headers["ETag"]
    assert changed.get_json()["rounds"][0]["counts"]["returned"] == 1


def test_a_proof_still_uploading_its_photos_is_counted_as_incomplete(client, make, auth, supervisor):
    postman = make.user("postman")
    item = make.item()
    make.round(postman, items=[item])
    phone = synced_phone(client, postman)
    phone.deliver(item.id)
    phone.push()  # the mutation, but not the files

    body = client.get("/api/dashboard/today", headers=auth(supervisor)).get_json()

    assert body["rounds"][0]["incomplete_proofs"] == 1
    assert body["rounds"][0]["counts"]["returned"] == 1


# Exceptions -----------------------------------------------------------------------------------------


def test_each_kind_of_exception_is_listed_with_the_action_to_take(client, app, make, auth, supervisor, today):
    postman, quiet, phoneless = make.user("postman"), make.user("postman"), make.user("postman")
    failing, far, reassigned, at_limit = (make.item() for _ in range(4))
    with app.app_context():
        row = db.session.get(Item, at_limit.id)
        row.attempt_count = 2  # the limit is 3
        row.invitation_count, row.last_invitation_on = 1, today - timedelta(days=10)  # the regulation's first
        db.session.commit()
    late = make.item(due_date=overdue_by(today, 2))
    make.round(postman, items=[failing, far, reassigned, at_limit])
    quiet_round = make.round(quiet)
    make.round(phoneless)
    with app.app_context():
        db.session.add(
            Device(id="quiet-phone-01", user_id=quiet.id, last_sync_at=now_utc() - timedelta(hours=3))
        )
        db.session.commit()
    headers = auth(supervisor)
    phone = synced_phone(client, postman)
    phone.fail(failing.id, next_attempt_date=(today + timedelta(days=1)).isoformat())
    phone.deliver(far.id, lat=10.01, lon=105.17)  # the address is at 10.01, 105.16: about 1.1 km away
    phone.deliver(reassigned.id, seed=3)
    phone.fail(at_limit.id, reason="refused")
    moved = client.post(
        f"/api/rounds/{quiet_round.id}/assign", json={"item_ids": [reassigned.id]}, headers=headers
    )
    assert moved.status_code == 200, moved.get_json()
    phone.sync()

    response = client.get("/api/dashboard/exceptions", headers=headers)

    assert response.status_code == 200
    body = response.get_json()
    found = {
        (e["kind"], e["action"], e["item"]["code"] if e["item"] else e["postman"]["id"])
        for e in body["exceptions"]
    }
    assert found == {
        ("flagged_proof", "review_proof", reassigned.code),
        ("location_mismatch", "check_location", far.code),
        ("unsynced_device", "call_postman", quiet.id),
        ("unsynced_device", "call_postman", phoneless.id),
        ("attempt_limit", "return_to_agency", at_limit.code),
        ("failed_attempt", "reattempt", failing.code),
        ("overdue", "assign_today", late.code),
    }
    assert [e["kind"] for e in body["exceptions"]][0] == "flagged_proof"  # most urgent first
    by_kind = {e["kind"]: e for e in body["exceptions"]}
    assert by_kind["flagged_proof"]["facts"]["flag_reason"] == "item-reassigned"
    assert 1000 < by_kind["location_mismatch"]["facts"]["distance_m"] < 1200
    assert by_kind["location_mismatch"]["facts"]["limit_m"] == 300
    assert by_kind["failed_attempt"]["facts"]["next_attempt_date"] == (today + timedelta(days=1)).isoformat()
    assert by_kind["attempt_limit"]["facts"] == {
        "reason_code": "refused",
        "attempts": 3,
        "next_attempt_date": None,
    }
    assert by_kind["overdue"]["facts"] == {"days_late": 2}
    silent = {e["postman"]["id"]: e for e in body["exceptions"] if e["kind"] == "unsynced_device"}
    assert silent[quiet.id]["device_id"] == "quiet-phone-01" and silent[quiet.id]["facts"]["minutes"] >= 180
    assert silent[phoneless.id]["facts"]["has_device"] is False
    assert body["counts"] == {
        "flagged_proof": 1,
        "location_mismatch": 1,
        "unsynced_device": 2,
        "attempt_limit": 1,
        "failed_attempt": 1,
        "overdue": 1,
        "citizen_answer": 0,  # no citizen answered (tests/test_citizen_pages.py lists one)
    }
    assert statuses(app, [at_limit, failing]) == Counter(return_to_agency=1, failed_attempt=1)


def test_a_proof_near_the_address_is_no_exception(client, make, auth, supervisor):
    postman = make.user("postman")
    item = make.item()
    make.round(postman, items=[item])
    phone = synced_phone(client, postman)
    phone.deliver(item.id, lat=10.0101, lon=105.1601)  # ~15 m
    phone.sync()

    body = client.get("/api/dashboard/exceptions", headers=auth(supervisor)).get_json()

    assert body["exceptions"] == [] and set(body["counts"].values()) == {0}


# The map ----------------------------------------------------------------------------------------------


def test_the_map_shows_stops_and_proof_positions_and_marks_the_far_ones(client, make, auth, supervisor):
    postman = make.user("postman")
    near, far, waiting = make.item(), make.item(), make.item(lat=None, lon=None)
    make.round(postman, items=[near, far, waiting])
    phone = synced_phone(client, postman)
    phone.deliver(near.id, lat=10.0102, lon=105.1601)
    phone.fail(far.id, lat=10.03, lon=105.16)
    phone.sync()

    response = client.get("/api/dashboard/map", headers=auth(supervisor))

    assert response.status_code == 200
    body = response.get_json()
    assert [(s["code"], s["stop_order"]) for s in body["stops"]] == [
        (near.code, 1),
        (far.code, 2),
        (waiting.code, 3),
    ]
    assert body["stops"][2]["lat"] is None
    proofs = {p["item_code"]: p for p in body["proofs"]}
    assert proofs[near.code]["mismatch"] is False and proofs[near.code]["distance_m"] < 50
    assert proofs[far.code]["mismatch"] is True and 2000 < proofs[far.code]["distance_m"] < 2400
    assert body["post_office"] == {"lat": 10.0035, "lon": 105.1694} and body["mismatch_metres"] == 300


def test_the_config_tells_the_page_its_tiles_poll_interval_and_thresholds(client, auth, supervisor, today):
    response = client.get("/api/dashboard/config", headers=auth(supervisor))

    assert response.status_code == 200
    assert response.get_json() == {
        "map_tile_url": "",
        "map_tile_attribution": "",
        "poll_seconds": 10,
        "mismatch_metres": 300,
        "unsynced_device_minutes": 60,
        "attempt_limit": 3,
        "timezone": "Asia/Ho_Chi_Minh",
        "today": today.isoformat(),
        "post_office": {"lat": 10.0035, "lon": 105.1694},
    }


# Importing a one-stop-shop export -------------------------------------------------------------------

HEADER = "Mã bưu gửi,Số hồ sơ,Mã thủ tục,Họ tên,Địa chỉ,Xã/Phường,Tỉnh/Thành phố,Vĩ độ,Kinh độ,Hạn trả"


@pytest.fixture
def export(make):
    """(agency, procedure, csv(rows...)): each row a dict of overrides for one valid line."""
    agency = make.agency(code="PVHCC-CT")
    procedure = make.procedure(code="1.001193")

    def csv(*rows: dict) -> bytes:
        lines = [HEADER]
        for row in rows:
            values = {
                "code": make_s10("RR", next(_codes)),
                "dossier": "000.21.30.H01-251201-0014",
                "procedure": procedure.code,
                "name": "Nguyễn Thị Kim Ngân",
                "address": "Tổ 4, Ấp Láng Cát",
                "commune": "Xã Châu Thành",
                "province": "An Giang",
                "lat": "9.9761",
                "lon": "105.1893",
                "due": "05/12/2026",
            } | row
            lines.append(",".join(f'"{v}"' for v in values.values()))
        return ("\n".join(lines) + "\n").encode("utf-8")

    return agency, procedure, csv


def upload(client, path, headers, data: bytes, name="export.csv", **query):
    return client.post(
        path,
        headers=headers,
        query_string={"agency_code": "PVHCC-CT", **query},
        data={"file": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )


def item_count(app) -> int:
    with app.app_context():
        return db.session.execute(db.select(db.func.count(Item.id))).scalar_one()


def test_a_preview_lists_the_good_rows_and_each_bad_line_and_writes_nothing(
    client, app, auth, supervisor, export
):
    _, _, csv = export
    data = csv({}, {"code": "RR123456784VN"}, {"procedure": "9.999999", "name": ""})

    response = upload(client, "/api/imports/preview", auth(supervisor), data)

    assert response.status_code == 200
    body = response.get_json()
    assert (body["rows_total"], body["rows_ok"], body["bad_lines"], body["file_error"]) == (
        3,
        1,
        [3, 4],
        False,
    )
    assert body["description"].startswith("CSV (UTF-8)")
    assert {(e["line"], e["column"]) for e in body["errors"]} == {
        (3, "Mã bưu gửi"),
        (4, "Mã thủ tục"),
        (4, "Họ tên"),
    }
    assert "check digit is 4 but should be 5" in body["errors"][0]["message"]
    assert body["rows"][0]["line"] == 2 and body["rows"][0]["recipient_name"] == "Nguyễn Thị Kim Ngân"
    assert item_count(app) == 0


def test_a_preview_names_each_row_of_an_agency_the_post_office_does_not_serve(
    client, app, auth, make, export
):
    """The import refuses such rows (422 agency-not-served); the preview says so first, line by line,
    in both languages; skip_bad then imports the rest, as it does for any bad row."""
    _, procedure, _ = export
    make.agency(code="PVHCC-CT2")  # served by the supervisor's office, like PVHCC-CT
    make.agency(code="UBND-XA", offices=(make.office().id,))  # served by another office only
    header = "Mã bưu gửi,Mã thủ tục,Mã cơ quan,Họ tên,Địa chỉ,Xã/Phường,Tỉnh/Thành phố\n"
    rows = [
        f"{make_s10('RR', next(_codes))},{procedure.code},{agency},Lê Văn Tám,Ấp 3,Xã Châu Thành,An Giang\n"
        for agency in ("PVHCC-CT", "UBND-XA", "PVHCC-CT2", "UBND-XA")
    ]
    data = (header + "".join(rows)).encode()
    headers = auth(make.user("supervisor"))

    preview = upload(client, "/api/imports/preview", headers, data, agency_code=None).get_json()
    refused = upload(client, "/api/imports", headers, data, agency_code=None)
    skipped = upload(client, "/api/imports", headers, data, agency_code=None, skip_bad=True)

    assert (preview["rows_ok"], preview["bad_lines"]) == (2, [3, 5])
    assert [(e["line"], e["column"], e["message"], e["message_vi"]) for e in preview["errors"]] == [
        (
            line,
            "Mã cơ quan",
            "UBND-XA is an agency this post office does not serve",
            "UBND-XA là cơ quan mà bưu cục này không phục vụ",
        )
        for line in (3, 5)
    ]
    assert [row["line"] for row in preview["rows"]] == [2, 4]
    assert refused.status_code == 422 and refused.get_json()["type"].endswith("/agency-not-served")
    assert refused.get_json()["errors"] == {"lines": [3, 5]}
    assert skipped.status_code == 201, skipped.get_json()
    assert (skipped.get_json()["imported"], skipped.get_json()["skipped_lines"]) == (2, [3, 5])
    assert item_count(app) == 2


def test_every_import_problem_comes_in_vietnamese_and_english(client, auth, supervisor, export):
    _, _, csv = export
    data = csv({}, {"code": "RR123456784VN", "due": "ngày mai"}, {"procedure": "9.999999", "name": ""})
    headers = auth(supervisor)

    preview = upload(client, "/api/imports/preview", headers, data).get_json()
    refused = upload(client, "/api/imports", headers, data)

    assert {(e["line"], e["column"], e["message"], e["message_vi"]) for e in preview["errors"]} == {
        (
            3,
            "Mã bưu gửi",
            "RR123456784VN: check digit is 4 but should be 5",
            "RR123456784VN: số kiểm tra là 4 nhưng phải là 5",
        ),
        (
            3,
            "Hạn trả",
            "'ngày mai' is not a date: write YYYY-MM-DD or DD/MM/YYYY",
            "'ngày mai' không phải ngày: viết YYYY-MM-DD hoặc DD/MM/YYYY",
        ),
        (4, "Mã thủ tục", "no procedure with code 9.999999", "không có thủ tục nào có mã 9.999999"),
        (4, "Họ tên", "is empty", "không được để trống"),
    }
    assert refused.status_code == 422
    errors = refused.get_json()["errors"]
    assert errors["lines"]["3"][0] == "Line 3, Mã bưu gửi: RR123456784VN: check digit is 4 but should be 5"
    assert errors["lines_vi"]["3"][0] == "Dòng 3, Mã bưu gửi: RR123456784VN: số kiểm tra là 4 nhưng phải là 5"
    assert errors["lines_vi"]["4"] == [
        "Dòng 4, Mã thủ tục: không có thủ tục nào có mã 9.999999",
        "Dòng 4, Họ tên: không được để trống",
    ]


def test_a_file_problem_comes_in_vietnamese_and_english(client, auth, supervisor, export):
    headers = auth(supervisor)
    no_header = upload(client, "/api/imports/preview", headers, "STT,Tên\n1,An\n".encode()).get_json()
    missing = upload(
        client, "/api/imports/preview", headers, "Mã bưu gửi,Mã thủ tục,Họ tên,Địa chỉ,Tỉnh\n".encode()
    )

    assert no_header["file_error"] is True
    assert no_header["errors"][0]["message"].startswith("No header row found")
    assert no_header["errors"][0]["message_vi"].startswith("Không tìm thấy dòng tiêu đề")
    error = missing.get_json()["errors"][0]
    assert (error["line"], error["column"]) == (None, None)
    assert error["message"] == "Line 1: missing column(s): Xã/Phường (commune)."
    assert error["message_vi"] == "Dòng 1: thiếu cột: Xã/Phường (commune)."


def test_importing_a_file_with_a_bad_row_imports_nothing_and_names_the_line(
    client, app, auth, supervisor, export
):
    _, _, csv = export
    response = upload(client, "/api/imports", auth(supervisor), csv({}, {"due": "31/02/2026"}))

    assert response.status_code == 422 and response.content_type == PROBLEM
    body = response.get_json()
    assert body["type"].endswith("/import-has-errors")
    assert "1 of 2 row(s) have problems, so nothing was imported" in body["detail"]
    assert list(body["errors"]["lines"]) == ["3"]
    assert item_count(app) == 0


def test_a_good_file_is_imported_whole_and_audited(client, app, auth, supervisor, export):
    agency, _, csv = export
    data = csv({}, {}, {})
    headers = auth(supervisor)
    preview = upload(client, "/api/imports/preview", headers, data).get_json()

    response = upload(client, "/api/imports", headers, data, sha256=preview["sha256"])

    assert response.status_code == 201
    body = response.get_json()
    assert (body["imported"], body["to_return"], body["skipped_lines"]) == (3, 3, [])
    with app.app_context():
        items = db.session.execute(db.select(Item).order_by(Item.id)).scalars().all()
        assert [i.code for i in items] == body["codes"]
        assert {(i.status, i.agency_id) for i in items} == {("at_post_office", agency.id)}
        entry = db.session.execute(
            db.select(AuditEntry).where(AuditEntry.action == "items.imported")
        ).scalar_one()
        assert entry.actor_id == supervisor.id and entry.detail["sha256"] == preview["sha256"]


def test_skip_bad_imports_the_good_rows_and_lists_the_skipped_lines(client, app, auth, supervisor, export):
    _, _, csv = export
    response = upload(client, "/api/imports", auth(supervisor), csv({}, {"lat": "200"}, {}), skip_bad="true")

    assert response.status_code == 201
    assert (response.get_json()["imported"], response.get_json()["skipped_lines"]) == (2, [3])
    assert item_count(app) == 2


def test_a_mis_encoded_file_is_refused_with_a_clear_message(client, app, auth, supervisor, export):
    _, _, csv = export
    legacy = csv({}).decode("utf-8").encode("cp1258", errors="replace")
    headers = auth(supervisor)

    preview = upload(client, "/api/imports/preview", headers, legacy)
    refused = upload(client, "/api/imports", headers, legacy)

    assert preview.status_code == 200 and preview.get_json()["file_error"] is True
    assert "not UTF-8" in preview.get_json()["errors"][0]["message"]
    assert preview.get_json()["errors"][0]["message_vi"].startswith("Tệp không phải UTF-8: byte 0x")
    assert refused.get_json()["errors"]["lines_vi"]["file"][0].startswith("Tệp: Tệp không phải UTF-8")
    assert refused.status_code == 422 and refused.get_json()["type"].endswith("/import-file-unreadable")
    assert (
        "CSV UTF-8" in refused.get_json()["detail"] and "Nothing was imported" in refused.get_json()["detail"]
    )
    assert item_count(app) == 0


def test_a_malformed_workbook_is_refused(client, auth, supervisor, export):
    response = upload(client, "/api/imports", auth(supervisor), b"PK\x03\x04 not really a zip", name="x.xlsx")

    assert response.status_code == 422
    assert response.get_json()["type"].endswith("/import-file-unreadable")


def test_an_xlsx_export_sent_as_the_raw_body_is_imported(client, app, auth, supervisor, export):
    _, procedure, _ = export
    book = Workbook()
    book.active.append(HEADER.split(","))
    book.active.append(
        [
            make_s10("RR", next(_codes)),
            "",
            procedure.code,
            "Trần Văn Lộc",
            "Số 18, Khu phố Minh An",
            "Xã Châu Thành",
            "An Giang",
            10.0049,
            105.1702,
            "04/12/2026",
        ]
    )
    buffer = io.BytesIO()
    book.save(buffer)

    response = client.post(
        "/api/imports",
        headers=auth(supervisor),
        data=buffer.getvalue(),
        query_string={"agency_code": "PVHCC-CT", "filename": "export.xlsx"},
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )

    assert response.status_code == 201, response.get_json()
    assert response.get_json()["imported"] == 1
    assert item_count(app) == 1


def test_a_file_other_than_the_previewed_one_is_refused(client, app, auth, supervisor, export):
    _, _, csv = export
    response = upload(client, "/api/imports", auth(supervisor), csv({}), sha256="0" * 64)

    assert response.status_code == 409 and response.get_json()["type"].endswith("/file-changed")
    assert item_count(app) == 0


def test_an_upload_without_a_file_part_is_a_validation_error(client, auth, supervisor):
    response = client.post(
        "/api/imports/preview",
        headers=auth(supervisor),
        data={"other": "x"},
        content_type="multipart/form-data",
    )

    assert response.status_code == 422 and response.get_json()["errors"] == {
        "file": ["Missing data for required field."]
    }


# Bad input while planning -----------------------------------------------------------------------------


def test_reassigning_a_delivered_item_is_refused_clearly_and_changes_nothing(
    client, app, make, auth, supervisor
):
    postman, other = make.user("postman"), make.user("postman")
    delivered, waiting = make.item(), make.item()
    make.round(postman, items=[delivered])
    other_round = make.round(other)
    phone = synced_phone(client, postman)
    phone.deliver(delivered.id)
    phone.sync()

    response = client.post(
        f"/api/rounds/{other_round.id}/assign",
        headers=auth(supervisor),
        json={"item_ids": [waiting.id, delivered.id]},
    )

    assert response.status_code == 409 and response.content_type == PROBLEM
    body = response.get_json()
    assert "status 'delivered' cannot 'assign'" in body["detail"] and "Nothing was changed" in body["detail"]
    assert body["errors"] == {"item_ids": {"1": [body["errors"]["item_ids"]["1"][0]]}}
    with app.app_context():
        assert db.session.get(Item, waiting.id).round_id is None  # the good one did not move either
        assert db.session.get(Item, delivered.id).status == "delivered"


def test_a_round_for_a_postman_who_is_off_is_refused(client, app, make, auth, supervisor, today):
    off = make.user("postman", active=False)

    response = client.post(
        "/api/rounds", headers=auth(supervisor), json={"postman_id": off.id, "round_date": today.isoformat()}
    )

    assert response.status_code == 422
    assert response.get_json()["errors"] == {"postman_id": [f"{off.full_name}'s account is disabled."]}
    with app.app_context():
        assert db.session.execute(db.select(db.func.count(Round.id))).scalar_one() == 0


def test_an_upload_larger_than_the_limit_is_refused_before_it_is_read(client, app, auth, supervisor, export):
    _, _, csv = export
    app.config["MAX_UPLOAD_BYTES"] = 1024
    headers = auth(supervisor)

    raw = client.post("/api/imports/preview", headers=headers, data=csv(*[{}] * 20), content_type="text/csv")
    multipart = upload(client, "/api/imports/preview", headers, csv(*[{}] * 20))

    assert raw.status_code == 413 and raw.content_type == PROBLEM
    assert multipart.status_code == 413 and multipart.content_type == PROBLEM


# Who is behind -------------------------------------------------------------------------------------


def whole_day_gone(app):
    # The postmen's working day is already over (it ended a minute after midnight): every stop is
    # expected. (In the day's first minute, local time, it is not over yet.)
    app.config.update(ROUND_DAY_START="00:00", ROUND_DAY_END="00:01")


def test_the_rounds_come_most_at_risk_first_each_with_its_reasons(client, app, make, auth, supervisor):
    whole_day_gone(app)
    on_time = make.user("postman", full_name="Đúng Giờ")
    late = make.user("postman", full_name="Chậm Trễ")
    silent = make.user("postman", full_name="Im Lặng")
    done_items = [make.item() for _ in range(2)]
    make.round(on_time, items=done_items)
    late_items = [make.item() for _ in range(4)]
    late_round = make.round(late, items=late_items)
    silent_round = make.round(silent, items=[make.item()])
    phone = synced_phone(client, on_time)
    for n, item in enumerate(done_items):
        phone.deliver(item.id, seed=n)
    phone.sync()
    late_phone = synced_phone(client, late)
    late_phone.fail(late_items[0].id)
    late_phone.sync()

    body = client.get("/api/dashboard/today", headers=auth(supervisor)).get_json()

    order = [(r["postman"]["full_name"], r["risk"]["score"]) for r in body["rounds"]]
    assert [name for name, _ in order] == ["Im Lặng", "Chậm Trễ", "Đúng Giờ"]
    silent_view, late_view, on_time_view = body["rounds"]
    assert late_view["id"] == late_round.id
    # 3 of 4 stops expected by now are not done (75), and the failed visit is an open exception (10).
    assert late_view["risk"] == {
        "score": 85,
        "expected_done": 4,
        "behind": 3,
        "reasons": [
            {"code": "behind", "params": {"behind": 3, "expected": 4, "done": 1}},
            {"code": "exceptions", "params": {"n": 1}},
        ],
    }
    # No phone at all: behind (100), never synced (40), and its unsynced-device exception (10).
    assert silent_view["id"] == silent_round.id
    assert [r["code"] for r in silent_view["risk"]["reasons"]] == ["behind", "never_synced", "exceptions"]
    assert silent_view["risk"]["score"] == 150
    assert on_time_view["risk"] == {"score": 0, "expected_done": 2, "behind": 0, "reasons": []}


def test_each_remaining_stop_has_an_eta_from_the_route_and_the_pace_so_far(
    client, app, make, auth, supervisor
):
    from datetime import datetime

    whole_day_gone(app)
    app.config.update(ROUND_SPEED_KMH=12, ROUND_MINUTES_PER_STOP=10)  # 200 m a minute
    postman = make.user("postman")
    # Stops 1 km apart going north from the post office (10.0035, 105.1694).
    items = [make.item(lat=10.0035 + 0.009 * (n + 1), lon=105.1694) for n in range(5)]
    rnd = make.round(postman, items=items)
    phone = synced_phone(client, postman)
    phone.deliver(items[0].id, seed=1)
    phone.deliver(items[1].id, seed=2)
    phone.sync()
    # The two results came 30 minutes apart.
    with app.app_context():
        from backend.models import DeliveryAttempt

        proofs = db.session.scalars(
            db.select(DeliveryAttempt).filter_by(round_id=rnd.id).order_by(DeliveryAttempt.id)
        ).all()
        last = now_utc().replace(microsecond=0)
        proofs[0].server_time, proofs[1].server_time = last - timedelta(minutes=30), last
        db.session.commit()

    [view] = client.get("/api/dashboard/today", headers=auth(supervisor)).get_json()["rounds"]

    assert view["pace_minutes"] == 30.0
    assert [e["item_id"] for e in view["eta"]] == [i.id for i in items[2:]]
    etas = [datetime.fromisoformat(e["eta"]) for e in view["eta"]]
    # Each next stop: about 1 km (5 min at 12 km/h) plus the time spent at a stop so far.
    gaps = [(b - a).total_seconds() / 60 for a, b in zip(etas, etas[1:], strict=False)]
    assert all(abs(gap - 30) < 1 for gap in gaps), gaps
    assert etas[0] > last
    assert view["finish_eta"] == view["eta"][-1]["eta"]
