"""A supervisor's day on the dashboard, in headless Chromium against a live server.

They sign in, import a one-stop-shop export (a bad file first), build two rounds and assign the
items; a postman's phone (the sync API) delivers two items and fails one; the dashboard shows the
new progress and the exceptions without a reload; the supervisor opens a proof (audited),
reassigns the failed item, and exports the month's report, whose figures match the database.
"""

from __future__ import annotations

import csv
import io
import itertools
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from backend.domain.s10 import make_s10
from backend.extensions import db
from backend.models import AuditEntry, DeliveryAttempt, FeeEntry, Item, Round
from backend.timeutil import local_today
from tests.browser.conftest import sign_in_to_dashboard
from tests.kit.phone import Phone

_serial = itertools.count(61_000_001)
VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")
HEADER = (
    "Mã bưu gửi,Số hồ sơ,Mã thủ tục,Họ tên,Điện thoại,Địa chỉ,Xã/Phường,Tỉnh/Thành phố,Vĩ độ,Kinh độ,Hạn trả"
)
PEOPLE = [
    ("Nguyễn Thị Kim Ngân", "Tổ 4, Ấp Láng Cát", 10.0101, 105.1650),
    ("Trần Văn Lộc", "Số 18, Khu phố Minh An", 10.0060, 105.1720),
    ("Danh Thị Sa Ry", "Tổ 2, Ấp Vĩnh Lộc", 10.0150, 105.1600),
]


# The export button starts a background job: here it runs inline (test_dashboard_report_export.py
# runs it on a real worker and watches its progress).
pytestmark = pytest.mark.server_settings(DASHBOARD_POLL_SECONDS=2, TASK_QUEUE_URL="immediate")


@pytest.fixture
def office(server):
    make = server.make
    agency = make.agency(code="PVHCC-CT", name="Trung tâm PVHCC xã Châu Thành")
    make.agency(code="UBND-BA", name="UBND xã Bình An")  # two agencies: the upload must say which
    make.procedure(code="1.001193", name="Cấp giấy khai sinh")
    return {
        "agency": agency,
        "supervisor": make.user("supervisor", full_name="Hồ Thị Giám Sát"),
        "lan": make.user("postman", full_name="Trần Thị Lan"),
        "minh": make.user("postman", full_name="Võ Văn Minh"),
    }


def export(today, bad: bool = False) -> tuple[list[str], bytes]:
    codes = [make_s10("RR", next(_serial)) for _ in PEOPLE]
    lines = [HEADER]
    for n, (code, (name, address, lat, lon)) in enumerate(zip(codes, PEOPLE, strict=True)):
        due = (today + timedelta(days=n)).strftime("%d/%m/%Y")
        phone = "0918245731" if not (bad and n == 1) else "12345"
        lines.append(
            f'{code},000.21.30.H01-261201-{n + 1:04d},1.001193,{name},{phone},"{address}",Xã Châu Thành,An Giang,'
            f"{lat},{lon},{due}"
        )
    return codes, ("\n".join(lines) + "\n").encode("utf-8")


def sign_in(page, server, user):
    sign_in_to_dashboard(page, server, user)


def check(page, selector: str):
    page.locator(selector).check()


def test_a_supervisor_imports_plans_watches_the_day_and_reports_it(page, server, office, tmp_path):
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    with server.app.app_context():
        today = local_today()
    sign_in(page, server, office["supervisor"])

    # 1. Import: a bad file is refused line by line, the good one goes in whole.
    page.click("nav a[data-route=import]")
    page.select_option("select[name=agency]", "PVHCC-CT")
    _, bad = export(today, bad=True)
    page.set_input_files(
        "#import-file", files=[{"name": "xuat-mot-cua.csv", "mimeType": "text/csv", "buffer": bad}]
    )
    page.click("#preview-button")
    expect(page.locator("#import-summary")).to_contain_text("3 dòng: 2 hợp lệ, 1 có lỗi.")
    expect(page.locator('#import-errors tr[data-line="3"]')).to_contain_text("Điện thoại")
    expect(page.locator("#import-button")).to_be_disabled()
    codes, good = export(today)
    page.set_input_files(
        "#import-file", files=[{"name": "xuat-mot-cua.csv", "mimeType": "text/csv", "buffer": good}]
    )
    page.click("#preview-button")
    expect(page.locator("#import-summary")).to_contain_text("3 dòng: 3 hợp lệ, 0 có lỗi.")
    page.click("#import-button")
    expect(page.locator("#import-done")).to_contain_text("Đã nhập 3 bưu gửi")
    with server.app.app_context():
        items = {i.code: i for i in db.session.execute(db.select(Item)).scalars()}
        assert set(items) == set(codes) and {i.status for i in items.values()} == {"at_post_office"}
        ids = {code: items[code].id for code in codes}

    # 2. Planning: a round for each postman, the three items on Lan's, the order optimised.
    page.click("nav a[data-route=planning]")
    for person in (office["lan"], office["minh"]):
        page.select_option("select[name=postman]", str(person.id))
        page.get_by_role("button", name="Tạo chuyến").click()
        expect(page.locator(".round-card h3", has_text=person.full_name)).to_have_count(1)
    with server.app.app_context():
        rounds = {r.postman_id: r.id for r in db.session.execute(db.select(Round)).unique().scalars()}
    lan_round, minh_round = rounds[office["lan"].id], rounds[office["minh"].id]
    for code in codes:
        check(page, f'#pool-table tr[data-item-id="{ids[code]}"] input[type=checkbox]')
    expect(page.locator("#selected-count")).to_have_text("Đã chọn 3 bưu gửi")
    page.select_option("select[name=target]", str(lan_round))
    page.click("#assign-button")
    expect(page.locator("#planning-messages")).to_have_text(f"Đã gán 3 bưu gửi vào chuyến #{lan_round}.")
    page.click(f'.round-card[data-round-id="{lan_round}"] >> text=Tối ưu lộ trình')
    expect(page.locator("#planning-messages")).to_contain_text(
        f"Đã sắp xếp lại lộ trình chuyến #{lan_round}."
    )
    expect(page.locator(f'.round-card[data-round-id="{lan_round}"] ol.stops li')).to_have_count(3)

    # 3. Today: watch the round while the postman works; no reload.
    page.click("nav a[data-route=today]")
    lan_row = page.locator(f'tr[data-round-id="{lan_round}"]')
    expect(lan_row.locator('[data-count="pending"]')).to_have_text("3")
    phone = Phone(server.app.test_client(), office["lan"].username).login()
    phone.pull()
    near, far, failing = (ids[c] for c in codes)
    phone.deliver(near, seed=1, lat=10.0102, lon=105.1651)
    phone.deliver(far, seed=2, lat=10.0160, lon=105.1720, receiver_name="Trần Văn Lộc")  # ~1.2 km off
    phone.fail(failing, reason="not_home")
    phone.sync()
    assert [o["outcome"] for o in phone.outcomes.values()] == ["applied"] * 3

    expect(lan_row.locator('[data-count="returned"]')).to_have_text("2")
    expect(lan_row.locator('[data-count="failed"]')).to_have_text("1")
    expect(lan_row.locator('[data-count="pending"]')).to_have_text("0")
    expect(page.locator('[data-total="returned"] .total-n')).to_have_text("2")
    failed_entry = page.locator(f'.exception[data-kind="failed_attempt"][data-item-code="{codes[2]}"]')
    expect(failed_entry).to_contain_text("Vắng nhà")
    mismatch = page.locator(f'.exception[data-kind="location_mismatch"][data-item-code="{codes[1]}"]')
    expect(mismatch).to_contain_text("cách địa chỉ")
    assert page.evaluate("performance.getEntriesByType('navigation').length") == 1  # still the same page

    # 4. The proof of the far delivery: who, as what, signature and photo, times; the view is audited.
    mismatch.get_by_role("button", name="Xem bằng chứng").click()
    dialog = page.locator("dialog.proof")
    expect(dialog.locator('[data-field="proof.receiver"]')).to_have_text("Trần Văn Lộc")
    expect(dialog.locator('[data-field="proof.relation"]')).to_have_text("Chính chủ")
    expect(dialog.locator('[data-field="proof.idNumber"]')).to_have_text("*********789")
    expect(dialog.locator('[data-field="proof.device"]')).to_have_text(phone.device_id)
    expect(dialog.locator(".file-signature img")).to_be_visible()
    expect(dialog.locator(".file-photo img")).to_be_visible()
    assert dialog.locator(".file-signature img").evaluate("img => img.naturalWidth") == 120
    dialog.locator("button.close").click()
    expect(dialog).to_have_count(0)
    with server.app.app_context():
        proof_id = db.session.execute(
            db.select(DeliveryAttempt.id).where(DeliveryAttempt.item_id == far)
        ).scalar_one()
        viewed = (
            db.session.execute(db.select(AuditEntry).where(AuditEntry.action == "proof.viewed"))
            .scalars()
            .all()
        )
        assert [(e.entity_id, e.actor_id) for e in viewed] == [(str(proof_id), office["supervisor"].id)]
        assert (
            db.session.execute(
                db.select(db.func.count(AuditEntry.id)).where(AuditEntry.action == "attachment.viewed")
            ).scalar_one()
            == 2
        )

    # 5. Reassign the failed item to Minh's round, from its exception.
    failed_entry.get_by_role("link", name="Phân công lại").click()
    expect(page.locator("#selected-count")).to_have_text("Đã chọn 1 bưu gửi")
    page.select_option("select[name=target]", str(minh_round))
    page.click("#assign-button")
    expect(page.locator("#planning-messages")).to_have_text(f"Đã gán 1 bưu gửi vào chuyến #{minh_round}.")
    with server.app.app_context():
        moved = db.session.get(Item, failing)
        assert (moved.round_id, moved.status, moved.attempt_count) == (minh_round, "assigned", 1)

    # 6. The month's report, exported as CSV: its figures are the database's.
    page.click("nav a[data-route=reports]")
    first = today.replace(day=1)
    last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    page.fill("#report-from", first.isoformat())
    page.fill("#report-to", last.isoformat())
    page.select_option("select[name=period]", "month")
    page.select_option("select[name=group]", "postman")
    page.click("#report-show")
    expect(page.locator("#report-chart")).to_be_visible()
    expect(page.locator("table.report tfoot")).to_contain_text("Tổng cộng / Total")
    with page.expect_download() as download:
        page.click("#export-csv")
    path = tmp_path / download.value.suggested_filename
    download.value.save_as(path)
    assert path.name == f"bao-cao-month-postman-{first.isoformat()}-{last.isoformat()}.csv"
    table = list(csv.DictReader(io.StringIO(path.read_bytes().decode("utf-8-sig"))))
    lan_line = next(r for r in table if r["Bưu tá / Postman"] == "Trần Thị Lan")
    total = table[-1]
    with server.app.app_context():
        proofs = db.session.execute(db.select(DeliveryAttempt)).scalars().all()
        fees = db.session.execute(db.select(db.func.sum(FeeEntry.service_fee))).scalar_one()
        due = {i.id: i.due_date for i in db.session.execute(db.select(Item)).scalars()}
    assert int(lan_line["Đã trả kết quả / Returned"]) == sum(p.outcome == "delivered" for p in proofs) == 2
    assert (
        int(lan_line["Phát không thành công / Failed attempts"])
        == sum(p.outcome == "failed" for p in proofs)
        == 1
    )
    assert int(lan_line["KTC: Vắng nhà / Failed: not_home"]) == 1
    assert int(lan_line["Phí dịch vụ đã thu (VND) / Service fees collected"]) == fees == 52_000
    on_time = sum(
        p.outcome == "delivered" and p.server_time.astimezone(VIETNAM).date() <= due[p.item_id]
        for p in proofs
    )
    assert int(lan_line["Đúng hạn / On time"]) == on_time == 2
    assert total["Bưu tá / Postman"] == "Tổng cộng / Total" and int(total["Đã trả kết quả / Returned"]) == 2
    assert errors == []  # no script error anywhere on the way
