"""The server's database goes away: the phone keeps the work and says so; the dashboard says so.

The live server's SQLite file is moved away (a real outage: every request that needs the
database answers 503 database-unavailable). The postman records a failed attempt; the phone's
sync gets the 503, keeps the attempt in its outbox and tells the postman in plain words. When the
database is back, "Sync now" sends it, and the server has it exactly once.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from playwright.sync_api import expect

from backend.extensions import db
from backend.models import DeliveryAttempt
from tests.browser.conftest import OUTBOX_COUNT_JS, sign_in_to_dashboard


def _take_the_database_away(server, tmp_path: Path) -> Path:
    with server.app.app_context():
        db.engine.dispose()
    away = tmp_path / "away"
    away.mkdir()
    for name in ("live.db", "live.db-wal", "live.db-shm"):
        if (tmp_path / name).exists():
            shutil.move(tmp_path / name, away / name)
    while True:  # SQLite cannot open a directory
        try:
            (tmp_path / "live.db").mkdir()
            return away
        except FileExistsError:  # a poll opened (so created) an empty database meanwhile: not ours
            for name in ("live.db", "live.db-wal", "live.db-shm"):
                if (tmp_path / name).is_file():
                    (tmp_path / name).unlink()


def _bring_it_back(server, tmp_path: Path, away: Path) -> None:
    (tmp_path / "live.db").rmdir()
    for moved in away.iterdir():
        shutil.move(moved, tmp_path / moved.name)
    with server.app.app_context():
        db.engine.dispose()


def test_a_database_outage_keeps_the_work_on_the_phone_and_says_so(
    phone, live_server, postman_day, pwa_for, tmp_path
):
    page = phone.new_page()
    pwa = pwa_for(page, live_server).on_the_round(postman_day.postman.username)
    answers = []
    page.on("response", lambda r: answers.append(r.status) if r.url.endswith("/api/sync/push") else None)

    away = _take_the_database_away(live_server, tmp_path)
    pwa.fail(postman_day.to_fail)
    page.click("#sync-indicator")
    expect(page.locator("p.warn")).to_contain_text("Máy chủ tạm thời không hoạt động", timeout=15_000)
    assert 503 in answers
    assert page.evaluate(OUTBOX_COUNT_JS) == 1  # the attempt is safe on the phone

    _bring_it_back(live_server, tmp_path, away)
    page.click('[data-action="sync-now"]')
    pwa.wait_until_synced()

    with live_server.app.app_context():
        attempts = (
            db.session.execute(
                db.select(DeliveryAttempt).where(DeliveryAttempt.item_id == postman_day.to_fail.id)
            )
            .scalars()
            .all()
        )
        assert [(a.outcome, a.reason_code) for a in attempts] == [("failed", "not_home")]


pytestmark = pytest.mark.server_settings(DASHBOARD_POLL_SECONDS=2)


def test_the_dashboard_says_plainly_that_the_database_is_down_and_recovers(page, live_server, tmp_path):
    supervisor = live_server.make.user("supervisor")
    sign_in_to_dashboard(page, live_server, supervisor)

    away = _take_the_database_away(live_server, tmp_path)

    alert = page.locator("main p.error[role=alert]").first
    expect(alert).to_contain_text("không kết nối được cơ sở dữ liệu", timeout=10_000)
    expect(alert).to_contain_text("Vui lòng thử lại")
    expect(alert).not_to_contain_text("Try again")  # worded from the code, no English tail

    _bring_it_back(live_server, tmp_path, away)

    expect(alert).to_have_text("", timeout=10_000)  # the next poll works again
