"""Citizens are told by SMS or Zalo ZNS (docs/notifications.md): the morning's window, the postman a
few stops away, delivered, failed with the next attempt, waiting at the post office after the last.

The provider is a local HTTP gateway speaking its documented API (tests/gateway.py), started here:
it receives each of the day's messages exactly once, gets them again after it fails (500s,
timeouts), and gets nothing at night or for a citizen who opted out. SQLite and PostgreSQL.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import time as clock
from collections import Counter
from datetime import UTC, datetime, time, timedelta

import pytest

from backend.domain import notify_templates
from backend.domain.status import Event
from backend.extensions import db
from backend.models import Item, Notification, NotificationAttempt
from backend.services import notifications
from backend.services.citizen_links import tracking_link, verify_link_token
from backend.services.item_events import apply_event
from backend.tasks import queue
from backend.timeutil import local_today, local_zone
from tests.gateway import sms_settings
from tests.jobs_helpers import Consumer, run_queued
from tests.kit.phone import Phone


@pytest.fixture
def app_config(gateway):
    return sms_settings(gateway, NOTIFY_RETRY_SECONDS=0, NOTIFY_TIMEOUT_SECONDS=1.0)


def the_worker_runs(app) -> None:
    """What a consumer does every minute: the notify task, taken off the real queue."""
    with app.app_context():
        queue().enqueue_notify()
    run_queued(app)


def local(app, day, hour: int, minute: int = 0) -> datetime:
    with app.app_context():
        return datetime.combine(day, time(hour, minute), local_zone()).astimezone(UTC)


def told(gateway) -> Counter:
    """(item code, event) of every message the gateway took."""
    return Counter((body["params"]["code"], body["template"]) for body in gateway.accepted)


def items_with_phones(make, count: int) -> list[Item]:
    return [make.item(recipient_phone=f"0918 245 {n:03d}") for n in range(count)]


def rows(app, item_id: int) -> list[Notification]:
    with app.app_context():
        found = db.session.execute(db.select(Notification).where(Notification.item_id == item_id)).scalars()
        found = list(found)
        db.session.expunge_all()
        return found


def test_the_days_messages_reach_the_gateway_exactly_once_each(app, client, make, gateway, today):
    items = items_with_phones(make, 5)
    phone, items = Phone.on_a_round(client, make, items)
    with app.app_context():
        for _ in range(2):  # every consumer runs the minute's task: the second writes nothing new
            notifications.plan_morning(now=local(app, today, 7))
        notifications.send_due(now=local(app, today, 7, 1))
    first = next(b for b in gateway.accepted if b["params"]["code"] == items[0].code)
    assert "trong khoảng 7:00 đến 9:00" in first["text"] and first["to"] == "84918245000"

    phone.deliver(items[0].id)
    phone.fail(items[1].id, reason="not_home")
    phone.sync()
    phone.push(lose_response=True)  # nothing left to send: a repeat is harmless
    for _ in range(3):
        the_worker_runs(app)

    assert told(gateway) == Counter(
        {(items[0].code, "morning"): 1, (items[0].code, "delivered"): 1}
        | {(item.code, "morning"): 1 for item in items[1:]}
        | {(items[1].code, "failed"): 1}
        | {(item.code, "near"): 1 for item in items[2:]}
    )
    failed = next(b for b in gateway.accepted if b["template"] == "failed")
    assert "Vắng nhà" in failed["text"] and re.search(r"từ ngày \d\d/\d\d/\d{4}", failed["text"])
    assert failed["params"]["reason"] == "Vắng nhà"
    assert len({b["reference"] for b in gateway.accepted}) == len(gateway.accepted)
    # The "near" of the stop that failed meanwhile was not sent: its row says why.
    near = [r for r in rows(app, items[1].id) if r.event == "near"]
    assert [(r.status, r.last_error) for r in near] == [("skipped", "the stop has a result")]


def test_the_last_failed_attempt_says_the_result_waits_at_the_post_office(app, client, make, gateway):
    item = items_with_phones(make, 1)[0]
    with app.app_context():
        row = db.session.get(Item, item.id)
        row.attempt_count, row.invitation_count = 2, 1
        row.last_invitation_on = local_today() - timedelta(days=7)
        db.session.commit()
    phone, _ = Phone.on_a_round(client, make, [item])
    phone.fail(item.id, reason="not_home")
    phone.sync()
    the_worker_runs(app)
    assert told(gateway) == Counter({(item.code, "pickup"): 1})
    assert "đang chờ bạn tại" in gateway.accepted[0]["text"]


def test_a_gateway_that_fails_gets_the_message_again_until_it_takes_it(app, client, make, gateway):
    item = items_with_phones(make, 1)[0]
    phone, _ = Phone.on_a_round(client, make, [item])
    gateway.failures = ["500", "500", "hang"]
    phone.deliver(item.id)
    phone.sync()
    for _ in range(4):
        the_worker_runs(app)
    assert told(gateway) == Counter({(item.code, "delivered"): 1})
    assert len(gateway.received) == 4  # three failures, then the one it took
    (row,) = rows(app, item.id)
    assert (row.status, row.attempts, row.provider_id) == ("sent", 4, "sms-1")
    with app.app_context():
        attempts = db.session.execute(
            db.select(NotificationAttempt).where(NotificationAttempt.notification_id == row.id)
        ).scalars()
        log = [(a.outcome, a.http_status) for a in attempts]
    assert log == [("error", 500), ("error", 500), ("error", None), ("sent", 200)]
    the_worker_runs(app)
    assert len(gateway.received) == 4  # sent: never again


def test_retries_wait_longer_each_time_and_give_up_after_the_limit(app, make, gateway):
    app.config.update(NOTIFY_RETRY_SECONDS=60, NOTIFY_MAX_ATTEMPTS=3)
    item = items_with_phones(make, 1)[0]
    gateway.failures = ["500"] * 5
    with app.app_context():
        apply_event(db.session.get(Item, item.id), Event.ASSIGN)
        apply_event(db.session.get(Item, item.id), Event.DELIVER)
        db.session.commit()
        waits = []
        now = datetime.now(UTC)
        for _ in range(3):
            notifications.send_due(now=now)
            (row,) = db.session.execute(db.select(Notification)).scalars()
            db.session.refresh(row)
            waits.append((row.status, round((row.due_at - now).total_seconds())))
            now = row.due_at
    assert waits[:2] == [("pending", 60), ("pending", 120)]
    assert waits[2][0] == "failed"
    assert len(gateway.received) == 3


def test_nothing_is_sent_at_night_and_it_goes_in_the_morning(app, client, make, gateway, today):
    app.config.update(NOTIFY_QUIET_START="21:00", NOTIFY_QUIET_END="07:00")
    item = items_with_phones(make, 1)[0]
    phone, _ = Phone.on_a_round(client, make, [item])
    phone.deliver(item.id)
    phone.sync()
    tomorrow = today + timedelta(days=1)
    with app.app_context():
        assert notifications.plan_morning(now=local(app, today, 23)) == 0
        notifications.send_due(now=local(app, today, 22))
        notifications.send_due(now=local(app, tomorrow, 6, 59))
        assert gateway.received == []
        (row,) = db.session.execute(db.select(Notification)).scalars()
        assert row.due_at == local(app, tomorrow, 7)  # deferred, not dropped
        notifications.send_due(now=local(app, tomorrow, 7))
        notifications.send_due(now=local(app, tomorrow, 7, 5))
    assert told(gateway) == Counter({(item.code, "delivered"): 1})


def test_nothing_is_sent_to_a_citizen_who_opted_out(app, client, make, gateway, auth, supervisor):
    flagged, whole_phone, same_phone, other = items_with_phones(make, 4)
    with app.app_context():
        db.session.get(Item, same_phone.id).recipient_phone = whole_phone.recipient_phone
        db.session.commit()
    phone, _ = Phone.on_a_round(client, make, [flagged, whole_phone, same_phone, other])
    for item in (flagged, whole_phone, same_phone, other):
        phone.deliver(item.id)
    phone.sync()  # the messages are written...
    headers = auth(supervisor)
    answer = client.post(f"/api/items/{flagged.id}/notifications/opt-out", json={}, headers=headers)
    assert answer.status_code == 200 and answer.get_json()["opted_out"] is True
    answer = client.post(
        f"/api/items/{whole_phone.id}/notifications/opt-out", json={"whole_phone": True}, headers=headers
    )
    assert answer.status_code == 200
    the_worker_runs(app)  # ...and skipped when their time comes
    assert {code for code, _ in told(gateway)} == {other.code}
    log = client.get(f"/api/items/{same_phone.id}/notifications", headers=headers).get_json()
    assert log["opted_out"] is True
    assert [(m["event"], m["status"]) for m in log["messages"] if m["event"] == "delivered"] == [
        ("delivered", "skipped")
    ]
    delivered = next(m for m in log["messages"] if m["event"] == "delivered")
    assert (
        delivered["attempts"][0]["outcome"] == "skipped" and delivered["attempts"][0]["error"] == "opted out"
    )


def test_the_supervisor_reads_an_items_messages_and_the_postman_cannot(
    app, client, make, gateway, auth, supervisor
):
    item = items_with_phones(make, 1)[0]
    phone, _ = Phone.on_a_round(client, make, [item])
    phone.fail(item.id, reason="refused")
    phone.sync()
    the_worker_runs(app)
    answer = client.get(f"/api/items/{item.id}/notifications", headers=auth(supervisor))
    assert answer.status_code == 200
    (message,) = answer.get_json()["messages"]
    assert (message["event"], message["status"], message["provider_id"]) == ("failed", "sent", "sms-1")
    assert "Từ chối nhận" in message["text_vi"] and "could not be delivered" in message["text_en"]
    link = re.search(r"http\S+", message["text_vi"]).group(0)
    code, token = re.search(r"/track/\?c=(\w+)&k=([\w-]+)$", link).groups()
    with app.app_context():
        assert code == item.code and verify_link_token(code, token)
    assert [a["outcome"] for a in message["attempts"]] == ["sent"]
    postman = client.get(f"/api/items/{item.id}/notifications", headers=phone.headers)
    assert postman.status_code == 403


def test_zalo_zns_gets_the_template_id_its_data_and_the_access_token(app, client, make, gateway):
    app.config.update(
        NOTIFY_PROVIDER="zns",
        ZNS_API_URL=gateway.url + "/zns",
        ZNS_ACCESS_TOKEN=gateway.token,
        **{f"ZNS_TEMPLATE_{event.upper()}": f"tpl-{event}" for event in notify_templates.EVENTS},
    )
    item = items_with_phones(make, 1)[0]
    phone, _ = Phone.on_a_round(client, make, [item])
    gateway.failures = ["zns-error"]  # ZNS answers 200 with an unknown error (-100): tried again
    phone.deliver(item.id)
    phone.sync()
    the_worker_runs(app)
    the_worker_runs(app)
    (body,) = gateway.accepted
    assert body["phone"] == "84918245000" and body["template_id"] == "tpl-delivered"
    assert set(body["template_data"]) == {"code", "time", "date", "link"}
    assert body["template_data"]["code"] == item.code
    assert gateway.received[-1]["headers"]["access_token"] == gateway.token
    (row,) = rows(app, item.id)
    assert (row.status, row.channel, row.provider_id, row.attempts) == ("sent", "zns", "zns-1", 2)
    assert body["tracking_id"] == f"postround-{row.id}"


def test_the_tracking_link_is_the_agreed_one(app, make):
    item = make.item()
    with app.app_context():
        key = app.config["SECRET_KEY"].encode()
        digest = hmac.new(key, b"track:" + item.code.encode(), hashlib.sha256).digest()
        token = base64.urlsafe_b64encode(digest).decode().rstrip("=")[:22]
        assert tracking_link(item) == f"http://localhost:5000/track/?c={item.code}&k={token}"
        assert verify_link_token(item.code, token)
        assert not verify_link_token(item.code, token[:-1] + ("A" if token[-1] != "A" else "B"))
        assert not verify_link_token("RR000000000VN", token)


def test_quiet_hours_span_midnight_and_windows_fall_on_whole_hours():

    from zoneinfo import ZoneInfo

    hcm = ZoneInfo("Asia/Ho_Chi_Minh")
    night, morning = time(21), time(7)
    at = datetime(2026, 12, 1, 22, 30, tzinfo=hcm)
    assert notify_templates.quiet_until(at, night, morning) == datetime(2026, 12, 2, 7, tzinfo=hcm)
    assert notify_templates.quiet_until(at.replace(hour=5), night, morning) == datetime(
        2026, 12, 1, 7, tzinfo=hcm
    )
    assert notify_templates.quiet_until(at.replace(hour=12), night, morning) is None
    assert notify_templates.quiet_until(at, time(0), time(0)) is None
    start, end = notify_templates.window(
        datetime(2026, 12, 1, 10, 5, tzinfo=hcm), 120, datetime(2026, 12, 1, 7, 30, tzinfo=hcm)
    )
    assert (notify_templates.hm(start), notify_templates.hm(end)) == ("9:00", "11:00")


def test_a_citizen_who_answers_stop_from_the_link_gets_nothing_more(app, client, make, gateway):
    first, second = items_with_phones(make, 2)
    with app.app_context():
        db.session.get(Item, second.id).recipient_phone = first.recipient_phone  # the same citizen
        db.session.commit()
        link = tracking_link(first)
    code, token = re.search(r"c=(\w+)&k=([\w-]+)$", link).groups()
    wrong = client.post("/api/notifications/stop", json={"code": code, "k": "x" * 22})
    unknown = client.post("/api/notifications/stop", json={"code": "RR000000000VN", "k": token})
    assert wrong.status_code == unknown.status_code == 404
    assert wrong.get_json()["type"] == unknown.get_json()["type"]
    answer = client.post("/api/notifications/stop", json={"code": code.lower(), "k": token})
    assert answer.status_code == 200 and answer.get_json() == {"stopped": True}
    phone, _ = Phone.on_a_round(client, make, [first, second])
    phone.deliver(first.id)
    phone.deliver(second.id)
    phone.sync()
    the_worker_runs(app)
    assert gateway.received == []
    assert {r.status for r in rows(app, second.id)} == {"skipped"}


def test_the_citizen_stops_the_messages_on_the_tracking_page_and_can_take_them_back(
    app, client, make, gateway, auth, supervisor
):
    first, second = items_with_phones(make, 2)
    with app.app_context():
        db.session.get(Item, second.id).recipient_phone = first.recipient_phone  # the same citizen
        db.session.commit()
        path = tracking_link(first).removeprefix("http://localhost:5000")
    code, token = re.search(r"c=(\w+)&k=([\w-]+)$", path).groups()
    page = client.get(path).get_data(as_text=True)
    assert "Ngừng nhận tin nhắn" in page and 'action="/track/messages"' in page

    forged = client.post("/track/messages", data={"c": code, "k": "x" * 22, "stop": "1"})
    assert forged.status_code == 404
    stopped = client.post("/track/messages", data={"c": code, "k": token, "stop": "1"}, follow_redirects=True)
    html = stopped.get_data(as_text=True)
    assert "Đã ngừng nhận tin nhắn" in html and "Nhận tin nhắn trở lại" in html
    supervisor_view = client.get(f"/api/items/{first.id}/notifications", headers=auth(supervisor))
    assert supervisor_view.get_json()["opted_out"] is True

    phone, _ = Phone.on_a_round(client, make, [first, second])
    phone.deliver(first.id)
    phone.sync()
    the_worker_runs(app)
    assert told(gateway) == Counter()  # stopped: not told of the delivery, nor of the next stop

    english = client.post(
        "/track/messages", data={"c": code, "k": token, "stop": "0", "lang": "en"}, follow_redirects=True
    )
    assert "You will get the messages again" in english.get_data(as_text=True)
    phone.deliver(second.id)
    phone.sync()
    the_worker_runs(app)
    assert told(gateway) == Counter({(second.code, "delivered"): 1})  # taken back: told again


def test_a_real_worker_process_sends_them(app, client, make, gateway, tmp_path):
    """`flask --app wsgi worker`, as `make run` starts it, with the settings in its environment."""
    item = items_with_phones(make, 1)[0]
    phone, _ = Phone.on_a_round(client, make, [item])
    phone.deliver(item.id)
    phone.sync()
    settings = {key: str(value) for key, value in sms_settings(gateway).items()}
    worker = Consumer(app, tmp_path / "worker.log", **settings).start()
    try:
        with app.app_context():
            queue().enqueue_notify()  # the minute's run would do it too
        deadline = clock.monotonic() + 60
        while not gateway.accepted and clock.monotonic() < deadline:
            clock.sleep(0.2)
        with app.app_context():
            queue().enqueue_notify()  # a second run (another consumer, the next minute) sends nothing
        clock.sleep(2)
    finally:
        worker.stop()
    assert told(gateway) == Counter({(item.code, "delivered"): 1}), worker.log()
    (row,) = rows(app, item.id)
    assert row.status == "sent"


def test_one_run_sends_a_backlog_in_batches(app, make, gateway):
    items = items_with_phones(make, 5)
    with app.app_context():
        for item in items:
            row = db.session.get(Item, item.id)
            apply_event(row, Event.ASSIGN)
            apply_event(row, Event.DELIVER)
        db.session.commit()
        assert notifications.send_due(limit=2) == {"sent": 5}
    assert told(gateway) == Counter({(item.code, "delivered"): 1 for item in items})
