"""A supervisor exports the month's report: the dashboard starts a background job, shows its steps
while a real worker process (flask --app wsgi worker) builds the file, then downloads it."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from backend.timeutil import local_today
from tests.browser.test_dashboard_story import sign_in
from tests.jobs_helpers import Consumer
from tests.kit.phone import Phone


@pytest.fixture
def live_server_config(tmp_path):
    return {"TASK_QUEUE_URL": f"sqlite:///{tmp_path / 'queue.db'}"}


@pytest.fixture
def worker(server, tmp_path):
    consumer = Consumer(server.app, tmp_path / "worker.log").start()
    yield consumer
    consumer.stop()


@pytest.fixture
def delivered_day(server):
    """Lan's round of the day: two items returned to their citizens."""
    make = server.make
    agency = make.agency(name="Trung tâm PVHCC xã Châu Thành")
    lan = make.user("postman", full_name="Trần Thị Lan")
    items = [make.item(agency_id=agency.id) for _ in range(2)]
    make.round(lan, items=items)
    phone = Phone(server.app.test_client(), lan.username).login()
    phone.pull()
    for seed, item in enumerate(items, start=1):
        phone.deliver(item.id, seed=seed)
    phone.sync()
    return lan


def test_the_export_button_follows_the_job_then_downloads_the_file(
    page, server, worker, delivered_day, tmp_path
):
    supervisor = server.make.user("supervisor", full_name="Hồ Thị Giám Sát")
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    sign_in(page, server, supervisor)
    with server.app.app_context():
        today = local_today()
    first = today.replace(day=1)
    last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)

    page.click("nav a[data-route=reports]")
    page.fill("#report-from", first.isoformat())
    page.fill("#report-to", last.isoformat())
    page.select_option("select[name=period]", "month")
    page.select_option("select[name=group]", "postman")
    with page.expect_download(timeout=60_000) as download:
        page.click("#export-xlsx")
        expect(page.locator("#report-export-job")).to_be_visible()  # a job, not a long request
        expect(page.locator("#report-export-progress")).to_have_attribute("max", "5")
    expect(page.locator("#report-download-xlsx")).to_be_visible()
    path = tmp_path / download.value.suggested_filename
    download.value.save_as(path)

    assert path.name == f"bao-cao-month-postman-{first.isoformat()}-{last.isoformat()}.xlsx"
    rows = list(load_workbook(io.BytesIO(path.read_bytes()))["Báo cáo"].iter_rows(values_only=True))
    lan = next(row for row in rows if row[1] == "Trần Thị Lan")
    assert lan[3] == 2  # returned

    # A month with nothing in it: the job ends with the problem, shown in the page's language.
    page.fill("#report-from", "2020-01-01")
    page.fill("#report-to", "2020-01-31")
    page.click("#export-csv")
    expect(page.locator("#report-error")).to_contain_text("Không có dữ liệu để xuất", timeout=30_000)
    assert errors == []
