"""A supervisor imports a month's export of 3,000 rows: the dashboard shows the background job's
progress and then the result, with a real worker process (flask --app wsgi worker) doing the work."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.test_dashboard_story import sign_in
from tests.jobs_helpers import Consumer, export, item_codes

ROWS = 3_000


@pytest.fixture
def live_server_config(tmp_path):
    return {"IMPORT_QUEUE_ROWS": 1000, "TASK_QUEUE_URL": f"sqlite:///{tmp_path / 'queue.db'}"}


@pytest.fixture
def worker(server, tmp_path):
    consumer = Consumer(server.app, tmp_path / "worker.log").start()
    yield consumer
    consumer.stop()


def is_the_import(response) -> bool:
    return response.request.method == "POST" and response.url.split("?")[0].endswith("/api/imports")


def test_a_big_export_is_imported_by_the_worker_with_its_progress_on_the_page(page, server, worker):
    server.make.agency(code="PVHCC-CT", name="Trung tâm PVHCC xã Châu Thành")
    server.make.procedure(code="1.001193", name="Cấp giấy khai sinh")
    supervisor = server.make.user("supervisor", full_name="Hồ Thị Giám Sát")
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    sign_in(page, server, supervisor)

    page.click("nav a[data-route=import]")
    page.set_input_files(
        "#import-file", files=[{"name": "ca-thang-12.csv", "mimeType": "text/csv", "buffer": export(ROWS)}]
    )
    page.click("#preview-button")
    expect(page.locator("#import-summary")).to_contain_text(f"{ROWS} dòng: {ROWS} hợp lệ, 0 có lỗi.")
    # A job, not a long request: the POST answers 202 before any row is written. How long a loaded
    # machine takes to read the 3,000 rows and queue them is not what this proves (it took over the
    # page's 10 s once in CI), so the answer has longer; the job's card then shows at once.
    with page.expect_response(is_the_import, timeout=30_000) as posted:
        page.click("#import-button")
    assert posted.value.status == 202
    expect(page.locator("#import-job")).to_be_visible()
    expect(page.locator("#import-progress-text")).to_contain_text("3.000")  # Vietnamese thousands
    expect(page.locator("#import-done")).to_contain_text(f"Đã nhập {ROWS} bưu gửi", timeout=90_000)
    assert len(item_codes(server.app)) == ROWS
    assert errors == []


def test_a_job_that_failed_before_problems_carried_numbers_is_said_without_a_blank(page, server):
    """A job stored by an older server: its problem has the code's type but no `params` (the number
    of times the worker stopped). The page says the words without the number, never "{attempts}"."""
    from backend.extensions import db
    from backend.models import BackgroundJob

    server.make.agency(code="PVHCC-CT", name="Trung tâm PVHCC xã Châu Thành")
    server.make.procedure(code="1.001193", name="Cấp giấy khai sinh")
    sign_in(page, server, server.make.user("supervisor", full_name="Hồ Thị Giám Sát"))
    page.click("nav a[data-route=import]")
    page.set_input_files(
        "#import-file", files=[{"name": "ca-cu.csv", "mimeType": "text/csv", "buffer": export(1_200)}]
    )
    page.click("#preview-button")
    expect(page.locator("#import-summary")).to_contain_text("1200 dòng")
    page.click("#import-button")
    expect(page.locator("#import-job")).to_be_visible()  # queued: no worker runs in this test

    with server.app.app_context():  # the job as an older server left it: failed, no params
        job = db.session.execute(db.select(BackgroundJob)).scalar_one()
        job.status, job.input = "failed", None
        job.problem = {
            "type": "https://postround.example/problems/job-abandoned",
            "title": "Job abandoned",
            "status": 500,
            "detail": "The job's worker stopped 3 time(s) while running it; it was given up.",
        }
        db.session.commit()
    alert = page.locator("#import-message [role=alert], [role=alert]").first
    expect(alert).to_have_text("Tiến trình nền đã dừng nhiều lần khi xử lý tệp này; chưa nhập gì.")
    assert "{" not in page.locator("main").inner_text()
