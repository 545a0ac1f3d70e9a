"""The citizen's pages (docs/citizen.md): users' stories on SQLite and PostgreSQL.

A citizen opens the link of a message and reads the status in Vietnamese, with what to bring, what to
pay and the post office to call, and nothing personal; a wrong code, wrong digits and a forged link
all get the same answer; after a failed visit the page says why and when the postman comes again;
the citizen moves the delivery to another day and the postman's phone has it on its next pull; a
stand-in and a pickup are stored and audited; a citizen books a collection at home, which lands in
the planning as a `collect` item; a complaint is filed, the supervisor answers it within its
deadline, and the citizen reads the answer.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from backend.domain.workdays import add_working_days, is_working_day
from backend.extensions import db
from backend.models import AuditEntry, Complaint, Item
from backend.services.citizen_links import link_token, tracking_link, verify_link_token
from tests.conftest import tracking_limits
from tests.kit.phone import Phone

VN = ZoneInfo("Asia/Ho_Chi_Minh")


def page(client, path: str, **query):
    response = client.get(path, query_string=query or None)
    return response, response.get_data(as_text=True)


def link_of(app, item) -> str:
    with app.test_request_context():
        return tracking_link(item)


def next_working_day(today: date) -> date:
    day = today + timedelta(days=1)
    while not is_working_day(day):
        day += timedelta(days=1)
    return day


# The link ------------------------------------------------------------------------------------------


def test_the_link_token_is_the_agreed_hmac_and_nothing_else_passes(app, make):
    import base64
    import hashlib
    import hmac

    item = make.item()
    with app.test_request_context():
        key = app.config["SECRET_KEY"].encode()
        expected = base64.urlsafe_b64encode(
            hmac.new(key, b"track:" + item.code.encode(), hashlib.sha256).digest()
        )
        token = expected.decode().rstrip("=")[:22]
        assert link_token(item.code) == token
        assert tracking_link(item) == f"http://localhost:5000/track/?c={item.code}&k={token}"
        assert verify_link_token(item.code, token)
        assert not verify_link_token(item.code, token[:-1] + ("A" if token[-1] != "A" else "B"))
        assert not verify_link_token(item.code, "")


def test_a_citizen_opens_the_link_and_reads_the_status_in_vietnamese_without_personal_data(client, app, make):
    office = make.office(phone="02973812345", address="Khu phố Minh An, Xã Châu Thành")
    item = make.item(office_id=office.id, service_fee=26_000, government_fee=8_000)

    response, html = page(client, link_of(app, item).removeprefix("http://localhost:5000"))

    assert response.status_code == 200 and response.mimetype == "text/html"
    assert response.headers["Cache-Control"] == "no-store"
    assert '<html lang="vi">' in html
    assert "Kết quả đã đến bưu cục" in html
    assert "26.000 đ" in html and "8.000 đ" in html and "34.000 đ" in html
    assert "Căn cước công dân" in html and "giấy ủy quyền" in html
    assert 'href="tel:02973812345"' in html
    for personal in ("Trần Thị Bích", "0912345678", "Ấp Phước Lợi"):
        assert personal not in html
    assert "<script" not in html


def drawn_modules(svg: str) -> list[list[bool]]:
    """The dark modules an inline SVG QR draws (its path of horizontal runs), as a bank app's camera sees them."""
    size = int(re.search(r'viewBox="0 0 (\d+) \1"', svg).group(1))
    grid = [[False] * size for _ in range(size)]
    for x, y, n in re.findall(r"M(\d+) (\d+)h(\d+)v1h-\d+z", svg):
        for dx in range(int(n)):
            grid[int(y)][int(x) + dx] = True
    return grid


def test_the_page_shows_a_vietqr_per_fee_for_the_amount_due_drawn_without_script(client, app, make):
    import qrcode

    from tests.test_vietqr import a_transfer, decode

    office = make.office(
        bank_bin="970405", bank_account="1500201234567", bank_account_name="BUU DIEN CHAU THANH"
    )
    agency = make.agency(bank_bin="970415", bank_account="113366668888")
    item = make.item(office_id=office.id, agency_id=agency.id, service_fee=26_000, government_fee=8_000)

    response, html = page(client, link_of(app, item).removeprefix("http://localhost:5000"))

    figures = re.findall(
        r'<figure class="vietqr" data-fee="(\w+)" data-payload="([^"]+)">(.*?)</figure>', html, re.S
    )
    assert {fee: decode(payload) for fee, payload, _ in figures} == {
        "service": a_transfer("970405", "1500201234567", 26_000, item.code),
        "government": a_transfer("970415", "113366668888", 8_000, item.code),
    }
    for _, payload, drawn in figures:
        svg = re.search(r"<svg.*?</svg>", drawn, re.S).group(0)
        assert 'role="img"' in svg and "aria-label=" in svg
        expected = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=4)
        expected.add_data(payload)
        assert drawn_modules(svg) == expected.get_matrix(), "the drawn QR reads back as its payload"
    assert "26.000 đ vào tài khoản 1500201234567 – BUU DIEN CHAU THANH" in html
    assert "<script" not in html

    api = client.get(f"/api/track/{item.code}?phone_last4=5678").get_json()
    assert [t["payload"] for t in api["transfers"]] == [payload for _, payload, _ in figures]


def test_without_a_bank_account_the_page_shows_no_qr(client, app, make):
    unpaid = make.item(service_fee=26_000, government_fee=8_000)
    _, html = page(client, "/track/", c=unpaid.code, d="5678")
    assert "34.000 đ" in html and 'class="vietqr"' not in html


def test_the_page_speaks_english_when_asked(client, app, make):
    item = make.item()
    response, html = page(client, "/track/", c=item.code, d="5678", lang="en")
    assert response.status_code == 200 and '<html lang="en">' in html
    assert "The result is at the post office" in html and "Tiếng Việt" in html


def test_a_wrong_code_wrong_digits_and_a_forged_link_get_the_same_answer(client, make):
    item = make.item(recipient_phone="0912345678")
    answers = [
        page(client, "/track/", c=item.code, d="0000"),
        page(client, "/track/", c="RR999999995VN", d="5678"),
        page(client, "/track/", c=item.code, k="x" * 22),
    ]
    # The same page, but for the code typed back into the form and the language link of the page's URL.
    bodies = {re.sub(r'(value|href)="[^"]*"', "", html) for _, html in answers}
    assert [r.status_code for r, _ in answers] == [404, 404, 404]
    assert len(bodies) == 1 and "Không tìm thấy" in bodies.pop()


class TestPageLimits:
    @pytest.fixture
    def app_config(self):
        return tracking_limits(per_code="5 per minute")

    def test_wrong_digits_on_the_page_lock_the_code_for_the_api_too(self, client, make):
        item = make.item(recipient_phone="0912345678")
        statuses = [
            page(client, "/track/", c=item.code, d=d)[0].status_code for d in ("0000", "1111", "2222")
        ]
        locked, html = page(client, "/track/", c=item.code, d="5678")

        assert statuses == [404, 404, 404] and locked.status_code == 429 and "thử lại sau" in html
        assert client.get(f"/api/track/{item.code}", query_string={"phone_last4": "5678"}).status_code == 429

    def test_look_ups_of_one_code_are_limited_on_the_page(self, client, make):
        item = make.item(recipient_phone="0912345678")
        codes = [page(client, "/track/", c=item.code, d="5678")[0].status_code for _ in range(6)]
        assert codes == [200] * 5 + [429]
        assert page(client, "/track/")[0].status_code == 200  # the empty form is never limited


class TestBehindTheProxy:
    @pytest.fixture
    def app_config(self):
        return {"RATELIMIT_ENABLED": True, "TRUSTED_PROXY_COUNT": 1, "TRACKING_RATE_LIMIT": "2 per hour"}

    def test_each_citizen_behind_the_proxy_has_a_budget_of_their_own(self, client, make):
        item = make.item(recipient_phone="0912345678")

        def look(address):
            return client.get(
                "/track/", query_string={"c": item.code, "d": "5678"}, headers={"X-Forwarded-For": address}
            ).status_code

        assert [look("203.0.113.7") for _ in range(3)] == [200, 200, 429]
        assert look("203.0.113.8") == 200


# A failed visit and the citizen's answer ----------------------------------------------------------


def test_after_a_failed_visit_the_page_says_why_and_when_the_postman_comes_again(client, app, make, today):
    phone, (item,) = Phone.on_a_round(client, make)
    phone.fail(item.id, reason="not_home")["at"] = datetime.combine(today, time(9), VN).isoformat()
    phone.sync()

    response, html = page(client, link_of(app, item).removeprefix("http://localhost:5000"))

    assert response.status_code == 200
    assert "Vắng nhà" in html and "chưa phát được" in html
    nxt = add_working_days(today, app.config["REATTEMPT_SPACING_WORKING_DAYS"])
    assert nxt.strftime("%d/%m/%Y") in html.split('id="failure"')[1].split("</div>")[0]


def test_the_citizen_moves_the_delivery_and_the_phone_sees_it_on_its_next_pull(client, app, make, today):
    phone, (item,) = Phone.on_a_round(client, make)
    day = next_working_day(today + timedelta(days=1))
    with app.test_request_context():
        token = link_token(item.code)

    moved = client.post("/track/answer", data={"c": item.code, "k": token, "kind": "another_day", "day": day})

    assert moved.status_code == 303 and "done=answer" in moved.headers["Location"]
    html = client.get(moved.headers["Location"]).get_data(as_text=True)
    assert "Đã ghi nhận" in html and day.strftime("%d/%m/%Y") in html.split('id="choice"')[1]
    phone.sync()
    mine = phone.items[item.id]
    assert (mine["citizen_choice"], mine["citizen_day"]) == ("another_day", day.isoformat())
    with app.app_context():
        entry = db.session.execute(
            db.select(AuditEntry).where(AuditEntry.action == "citizen.answered")
        ).scalar_one()
        assert entry.entity_id == item.code and entry.detail == {
            "choice": "another_day",
            "day": day.isoformat(),
        }


def test_a_stand_in_and_a_pickup_are_stored_and_a_weekend_or_far_day_is_refused(client, app, make, today):
    item = make.item()
    with app.test_request_context():
        token = link_token(item.code)
    sunday = today + timedelta(days=(6 - today.weekday()) or 7)
    far = add_working_days(today, app.config["CITIZEN_RESCHEDULE_WORKING_DAYS"] + 1)
    for bad in (sunday, far, today):
        refused = client.post(
            "/track/answer", data={"c": item.code, "k": token, "kind": "another_day", "day": bad}
        )
        assert refused.status_code == 422 and "ngày làm việc" in refused.get_data(as_text=True)
    nameless = client.post("/track/answer", data={"c": item.code, "k": token, "kind": "stand_in"})
    assert nameless.status_code == 422

    stand_in = client.post(
        "/track/answer", data={"c": item.code, "k": token, "kind": "stand_in", "stand_in_name": "Lê Văn Tâm"}
    )
    assert stand_in.status_code == 303
    with app.app_context():
        row = db.session.get(Item, item.id)
        assert (row.citizen_choice, row.stand_in_name, row.citizen_day) == ("stand_in", "Lê Văn Tâm", None)
    forged = client.post("/track/answer", data={"c": item.code, "k": "nope", "kind": "pickup"})
    assert forged.status_code == 404
    assert (
        client.post("/track/answer", data={"c": item.code, "k": token, "kind": "pickup"}).status_code == 303
    )
    with app.app_context():
        assert db.session.get(Item, item.id).citizen_choice == "pickup"


def test_the_api_takes_the_link_instead_of_the_digits(client, app, make):
    item = make.item()
    with app.test_request_context():
        token = link_token(item.code)
    answer = client.get(f"/api/track/{item.code}", query_string={"k": token})
    assert answer.status_code == 200
    body = answer.get_json()
    assert body["status"] == "at_post_office" and body["to_pay"] == 26_000 and body["can_answer"] is True
    assert "recipient_name" not in body
    assert client.get(f"/api/track/{item.code}").status_code == 422


# Booking a collection ------------------------------------------------------------------------------


def test_a_citizen_books_a_collection_which_lands_in_the_planning(client, app, make, supervisor, auth, today):
    procedure = make.procedure(name="Đăng ký kết hôn", government_fee=0)
    make.procedure(name="Cấp hộ chiếu", allowed_by_post=False)
    agency = make.agency(commune="Xã Thạnh Lộc")
    form, html = page(client, "/book/")
    assert form.status_code == 200 and "Đăng ký kết hôn" in html and "Cấp hộ chiếu" not in html
    day = next_working_day(today)

    booked = client.post(
        "/book/",
        data=_booking(
            procedure,
            day,
            phone="0987 654 321",
            commune="Xã Thạnh Lộc",
            old_address="Ấp Phước Lợi, xã Mong Thọ, huyện Châu Thành, Kiên Giang",
        ),
    )

    assert booked.status_code == 201
    code = re.search(r'id="booked-code">([A-Z0-9]{13})<', booked.get_data(as_text=True)).group(1)
    planning = client.get(
        "/api/items", query_string={"direction": "collect", "q": code}, headers=auth(supervisor)
    ).get_json()
    assert [(i["code"], i["status"], i["agency"]["id"]) for i in planning] == [
        (code, "registered", agency.id)
    ]
    with app.app_context():
        row = db.session.execute(db.select(Item).where(Item.code == code)).scalar_one()
        assert (row.citizen_choice, row.citizen_day, row.recipient_phone) == ("booked", day, "0987654321")
        assert row.old_address.startswith("Ấp Phước Lợi, xã Mong Thọ")
    status, html = page(client, "/track/", c=code, d="4321")
    assert status.status_code == 200 and "Đã nhận yêu cầu thu gom" in html


def test_an_app_books_a_collection_as_json_and_gets_the_code_and_link(
    client, app, make, supervisor, auth, today
):
    procedure = make.procedure(name="Đăng ký kết hôn", government_fee=0)
    in_person = make.procedure(name="Cấp hộ chiếu", allowed_by_post=False)
    agency = make.agency(commune="Xã Thạnh Lộc")
    body = _booking(procedure, next_working_day(today), phone="0987 654 321", commune="Xã Thạnh Lộc")

    booked = client.post("/api/bookings", json=body)

    assert booked.status_code == 201
    answer = booked.get_json()
    assert answer["status"] == "registered" and re.fullmatch(r"[A-Z]{2}\d{9}[A-Z]{2}", answer["code"])
    with app.test_request_context():
        token = link_token(answer["code"])
    assert answer["link"] == f"http://localhost:5000/track/?c={answer['code']}&k={token}"
    planning = client.get(
        "/api/items", query_string={"direction": "collect", "q": answer["code"]}, headers=auth(supervisor)
    ).get_json()
    assert [(i["code"], i["agency"]["id"]) for i in planning] == [(answer["code"], agency.id)]
    opened = client.get(answer["link"].removeprefix("http://localhost:5000"))
    assert "Đã nhận yêu cầu thu gom" in opened.get_data(as_text=True)

    for change, kind in (
        ({"procedure_id": in_person.id}, "procedure-not-allowed-by-post"),
        ({"commune": "Xã Không Có"}, "unknown-commune"),
        ({"day": today.isoformat()}, "bad-day"),
    ):
        refused = client.post("/api/bookings", json=body | change)
        assert (refused.status_code, refused.get_json()["code"]) == (422, kind)
    assert client.post("/api/bookings", json=body | {"phone": "12"}).status_code == 422


class TestBookingsAreLimited:
    @pytest.fixture
    def app_config(self):
        return {"RATELIMIT_ENABLED": True, "BOOKING_RATE_LIMIT": "2 per hour"}

    def test_the_json_bookings_are_limited_per_address_like_the_page(self, client, make, today):
        procedure, agency = make.procedure(), make.agency()
        body = _booking(procedure, next_working_day(today), commune=agency.commune)
        on_the_page = client.post("/book/", data=body)
        answers = [client.post("/api/bookings", json=body).status_code for _ in range(2)]
        assert [on_the_page.status_code, *answers] == [201, 201, 429]  # one budget for both


def test_a_booking_for_a_procedure_that_needs_the_person_is_refused(client, make, today):
    procedure = make.procedure(allowed_by_post=False)
    make.agency(commune="Xã Bình An")
    refused = client.post(
        "/book/",
        data=_booking(procedure, next_working_day(today), address_line="Ấp An Bình", commune="Xã Bình An"),
    )
    assert refused.status_code == 422 and "cần người dân có mặt" in refused.get_data(as_text=True)


# Complaints ----------------------------------------------------------------------------------------


def test_a_complaint_is_answered_by_the_supervisor_and_the_citizen_reads_it(
    client, app, make, supervisor, auth
):
    item = make.item()
    with app.test_request_context():
        token = link_token(item.code)

    filed = client.post(
        "/track/complaint", data={"c": item.code, "k": token, "text": "Bưu tá không gọi trước."}
    )

    assert filed.status_code == 303
    listed = client.get("/api/complaints", query_string={"open": "true"}, headers=auth(supervisor))
    assert listed.status_code == 200
    (complaint,) = listed.get_json()
    assert complaint["code"] == item.code and complaint["answer"] is None
    filed_on = datetime.fromisoformat(complaint["filed_at"]).astimezone(VN).date()
    assert complaint["due_on"] == add_working_days(filed_on, 5).isoformat()
    answered = client.post(
        f"/api/complaints/{complaint['id']}/answer",
        json={"answer": "Bưu cục xin lỗi; lần sau bưu tá sẽ gọi trước."},
        headers=auth(supervisor),
    )
    assert answered.status_code == 200 and answered.get_json()["answered_at"]
    html = page(client, "/track/", c=item.code, k=token)[1]
    assert "lần sau bưu tá sẽ gọi trước" in html.split('id="complaints"')[1]
    with app.app_context():
        assert db.session.execute(db.select(Complaint.answered_by_id)).scalar_one() == supervisor.id
    again = client.post(
        f"/api/complaints/{complaint['id']}/answer", json={"answer": "Lần hai."}, headers=auth(supervisor)
    )
    assert again.status_code == 409


@pytest.mark.parametrize(
    "agency_province, address_province, working_days",
    [
        ("An Giang", "An Giang", 5),
        ("Tỉnh An Giang", "an giang", 5),  # the same province, however it is written
        ("An Giang", "Thành phố Cần Thơ", 7),
    ],
)
def test_a_complaint_about_an_item_between_provinces_is_due_in_seven_working_days(
    client, app, make, supervisor, auth, agency_province, address_province, working_days
):
    agency = make.agency(province=agency_province)
    item = make.item(agency_id=agency.id, province=address_province)
    with app.test_request_context():
        token = link_token(item.code)

    client.post("/track/complaint", data={"c": item.code, "k": token, "text": "Bưu tá không gọi trước."})

    (complaint,) = client.get("/api/complaints", headers=auth(supervisor)).get_json()
    filed_on = datetime.fromisoformat(complaint["filed_at"]).astimezone(VN).date()
    assert complaint["due_on"] == add_working_days(filed_on, working_days).isoformat()
    _, html = page(client, "/track/", c=item.code, k=token)
    shown = date.fromisoformat(complaint["due_on"])
    assert f"{shown:%d/%m/%Y}" in html


def test_the_quarterly_report_counts_complaints_and_those_answered_in_time(
    client, app, make, supervisor, auth, today
):
    first, second = make.item(), make.item()
    with app.test_request_context():
        tokens = [link_token(first.code), link_token(second.code)]
    for item, token in zip((first, second), tokens, strict=True):
        assert (
            client.post(
                "/track/complaint", data={"c": item.code, "k": token, "text": "Chưa nhận được."}
            ).status_code
            == 303
        )
    (one, _) = client.get("/api/complaints", headers=auth(supervisor)).get_json()
    client.post(
        f"/api/complaints/{one['id']}/answer", json={"answer": "Đã phát lại."}, headers=auth(supervisor)
    )

    report = client.get(
        "/api/reports",
        query_string={
            "date_from": today - timedelta(days=1),
            "date_to": today + timedelta(days=1),
            "period": "quarter",
        },
        headers=auth(supervisor),
    )

    assert report.status_code == 200, report.get_json()
    body = report.get_json()
    assert (body["totals"]["complaints"], body["totals"]["complaints_answered_on_time"]) == (2, 1)
    quarter = f"{today.year}-Q{(today.month + 2) // 3}"
    assert {row["period"] for row in body["rows"]} >= {quarter}


def test_the_expected_day_follows_the_round_and_then_the_citizens_new_day(client, app, make, today):
    phone, (item,) = Phone.on_a_round(client, make)
    with app.test_request_context():
        token = link_token(item.code)
    html = page(client, "/track/", c=item.code, k=token)[1]
    expected = html.split('id="expected"')[1].split("</p>")[0]
    assert (
        today.strftime("%d/%m/%Y") in expected and "07:30–09:30" in expected
    )  # the first stop, at the day's start

    day = next_working_day(today + timedelta(days=1))
    client.post("/track/answer", data={"c": item.code, "k": token, "kind": "another_day", "day": day})

    html = page(client, "/track/", c=item.code, k=token)[1]
    expected = html.split('id="expected"')[1].split("</p>")[0]
    assert day.strftime("%d/%m/%Y") in expected and "–" not in expected


def test_the_supervisor_sees_the_answer_on_the_item_and_in_the_rounds_stops(
    client, app, make, supervisor, auth, today
):
    phone, (item,) = Phone.on_a_round(client, make)
    with app.test_request_context():
        token = link_token(item.code)
    client.post(
        "/track/answer", data={"c": item.code, "k": token, "kind": "stand_in", "stand_in_name": "Lê Văn Tâm"}
    )

    seen = client.get(f"/api/items/{item.id}", headers=auth(supervisor)).get_json()
    assert (seen["citizen_choice"], seen["stand_in_name"]) == ("stand_in", "Lê Văn Tâm")
    assert seen["citizen_choice_at"] is not None
    rnd = client.get(f"/api/rounds/{seen['round_id']}", headers=auth(supervisor)).get_json()
    [stop] = [s for s in rnd["stops"] if s["id"] == item.id]
    assert (stop["citizen_choice"], stop["stand_in_name"]) == ("stand_in", "Lê Văn Tâm")


def test_the_citizens_answer_is_on_todays_exceptions_until_the_supervisor_has_seen_it(
    client, app, make, supervisor, auth, today
):
    moved, picked_up = make.item(), make.item()
    with app.test_request_context():
        tokens = {i.code: link_token(i.code) for i in (moved, picked_up)}
    day = next_working_day(today)

    def answer(item, **form):
        reply = client.post("/track/answer", data={"c": item.code, "k": tokens[item.code], **form})
        assert reply.status_code == 303

    def answers():
        listed = client.get("/api/dashboard/exceptions", headers=auth(supervisor)).get_json()
        return {e["item"]["code"]: e for e in listed["exceptions"] if e["kind"] == "citizen_answer"}

    answer(moved, kind="another_day", day=day.isoformat())
    answer(picked_up, kind="pickup")
    found = answers()
    assert {code: (e["action"], e["facts"]["choice"]) for code, e in found.items()} == {
        moved.code: ("reassign", "another_day"),
        picked_up.code: ("hold_for_pickup", "pickup"),
    }
    assert found[moved.code]["facts"]["day"] == day.isoformat()
    today_view = client.get("/api/dashboard/today", headers=auth(supervisor)).get_json()
    assert today_view["exception_counts"]["citizen_answer"] == 2

    seen = client.post(
        "/api/dashboard/exceptions/acknowledge",
        headers=auth(supervisor),
        json={"kind": "citizen_answer", "subject": found[moved.code]["subject"]},
    )
    assert seen.status_code in (200, 201)
    assert set(answers()) == {picked_up.code}

    answer(moved, kind="stand_in", stand_in_name="Lê Văn Tâm")  # a new answer is news again
    again = answers()[moved.code]
    assert (again["action"], again["facts"]["stand_in_name"]) == ("tell_postman", "Lê Văn Tâm")


def test_the_public_base_url_is_a_checked_setting(tmp_path):
    from backend.config import ConfigError, load_config

    env = {"POSTROUND_ENV": "development"}
    assert load_config(str(tmp_path), env)["PUBLIC_BASE_URL"] == "http://localhost:5000"
    assert (
        load_config(str(tmp_path), {**env, "PUBLIC_BASE_URL": "https://buudien.example.vn/"})[
            "PUBLIC_BASE_URL"
        ]
        == "https://buudien.example.vn"
    )
    with pytest.raises(ConfigError, match="PUBLIC_BASE_URL"):
        load_config(str(tmp_path), {**env, "PUBLIC_BASE_URL": "buudien.example.vn"})


def _booking(procedure, day, **fields):
    """Phạm Thị Lan's booking form for `procedure` on `day`, with `fields` added or changed."""
    return {
        "procedure_id": procedure.id,
        "name": "Phạm Thị Lan",
        "phone": "0987654321",
        "address_line": "Ấp Phước Lợi",
        "day": day.isoformat(),
        **fields,
    }


def test_a_citizen_who_knows_only_the_old_commune_books_in_the_current_one(client, app, make, today):
    # Xã Mong Thọ A (Châu Thành district, Kiên Giang) became Xã Thạnh Lộc, An Giang, on 1 July 2025.
    procedure = make.procedure(name="Đăng ký kết hôn", government_fee=0)
    make.agency(commune="Xã Thạnh Lộc")
    form, html = page(client, "/book/")
    assert '<option value="Xã Mong Thọ A, Huyện Châu Thành">' in html and "→ Xã Thạnh Lộc" in html

    booked = client.post(
        "/book/", data=_booking(procedure, next_working_day(today), commune="", old_commune="xa mong tho a")
    )

    html = booked.get_data(as_text=True)
    assert booked.status_code == 201, html
    assert "Xã/phường hiện nay: <strong>Xã Thạnh Lộc</strong> (trước 2025: xa mong tho a)" in html
    code = re.search(r'id="booked-code">([A-Z0-9]{13})<', html).group(1)
    with app.app_context():
        row = db.session.execute(db.select(Item).where(Item.code == code)).scalar_one()
        assert (row.commune, row.old_address) == (
            "Xã Thạnh Lộc",
            "Xã Mong Thọ A, Huyện Châu Thành, Tỉnh Kiên Giang",
        )


def test_an_old_ward_split_between_current_ones_asks_the_citizen_to_choose(client, app, make, today):
    # Phường 4 of the old Quận 3 went partly to Phường Bàn Cờ, partly to Phường Xuân Hòa.
    procedure = make.procedure(government_fee=0)
    for commune in ("Phường Bàn Cờ", "Phường Xuân Hòa"):
        make.agency(commune=commune, province="Thành phố Hồ Chí Minh")
    day = next_working_day(today)

    asked = client.post("/book/?lang=en", data=_booking(procedure, day, old_commune="P.4, Q.3", lang="en"))

    html = asked.get_data(as_text=True)
    assert asked.status_code == 422
    assert "That old commune/ward is now part of several, choose your current one:" in html
    assert re.findall(r"<li>(Phường [^<]+)</li>", html) == ["Phường Bàn Cờ", "Phường Xuân Hòa"]
    chosen = client.post(
        "/book/", data=_booking(procedure, day, old_commune="P.4, Q.3", commune="Phường Xuân Hòa")
    )
    assert chosen.status_code == 201
    with app.app_context():
        row = db.session.execute(db.select(Item).where(Item.direction == "collect")).scalar_one()
        assert (row.commune, row.old_address) == ("Phường Xuân Hòa", "P.4, Q.3")


def test_an_old_commune_the_post_does_not_collect_in_is_refused_in_words(client, make, today):
    procedure = make.procedure(government_fee=0)
    make.agency(commune="Xã Thạnh Lộc")
    refused = client.post(
        "/book/", data=_booking(procedure, next_working_day(today), old_commune="Xã Thần Tiên")
    )
    assert refused.status_code == 422
    assert "Không tìm thấy xã/phường cũ này" in refused.get_data(as_text=True)
