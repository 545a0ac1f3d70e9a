"""A supervisor's report export runs as a background job: 202, progress, then the file, for them alone.

The queue is real (Huey on a SQLite file); `run_queued` does what a consumer's worker does. The
synchronous GET /api/reports/export stays (tests/test_reports.py); the file the job makes is the same.
"""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from openpyxl import load_workbook

from backend.models.base import now_utc
from backend.services import jobs
from tests.jobs_helpers import job_row, run_queued
from tests.test_reports import PROBLEM, activity, month_range  # noqa: F401 (a pytest fixture)

pytestmark = pytest.mark.usefixtures("activity")  # a day's work on two rounds (tests/test_reports.py)


def start(client, headers, **query):
    return client.post("/api/reports/export-jobs", headers=headers, query_string=query)


def sheet_values(data: bytes) -> dict:
    book = load_workbook(io.BytesIO(data))
    return {name: list(book[name].iter_rows(values_only=True)) for name in book.sheetnames}


def test_an_export_is_queued_built_by_a_worker_and_downloaded_by_its_supervisor(
    app, client, auth, supervisor, today
):
    headers = auth(supervisor)
    query = {**month_range(today), "period": "month", "group_by": "postman", "format": "xlsx"}

    answer = start(client, headers, **query)

    assert answer.status_code == 202, answer.get_json()
    job = answer.get_json()
    assert (job["kind"], job["status"], job["rows_checked"], job["rows_total"]) == (
        "export-report",
        "queued",
        0,
        5,
    )
    assert job["file"] == f"bao-cao-month-postman-{query['date_from']}-{query['date_to']}.xlsx"
    assert answer.headers["Location"].endswith(f"/api/jobs/{job['id']}")
    early = client.get(f"/api/jobs/{job['id']}/file", headers=headers)
    assert early.status_code == 409 and early.get_json()["type"].endswith("/job-not-finished")

    assert run_queued(app) == 1
    done = client.get(answer.headers["Location"], headers=headers).get_json()
    assert done["status"] == "succeeded" and done["attempts"] == 1 and done["problem"] is None
    assert (done["rows_checked"], done["rows_total"]) == (5, 5)
    assert done["result"]["download"] == f"/api/jobs/{job['id']}/file" and done["result"]["rows"] == 2

    file = client.get(done["result"]["download"], headers=headers)
    assert file.status_code == 200 and file.mimetype == done["result"]["media_type"]
    assert file.headers["Content-Disposition"] == f'attachment; filename="{job["file"]}"'
    assert file.headers["Cache-Control"] == "private, no-store" and len(file.data) == done["result"]["bytes"]
    at_once = client.get("/api/reports/export", headers=headers, query_string=query)
    assert sheet_values(file.data) == sheet_values(at_once.data)  # the same figures as the request's file
    lan = next(row for row in sheet_values(file.data)["Báo cáo"] if row[1] == "Trần Thị Lan")
    assert lan[3] == 2  # returned


def test_a_csv_export_job_makes_the_same_bytes_as_the_request(app, client, auth, supervisor, today):
    headers = auth(supervisor)
    query = {**month_range(today), "period": "day", "group_by": "agency", "format": "csv"}
    job = start(client, headers, **query).get_json()
    run_queued(app)

    file = client.get(f"/api/jobs/{job['id']}/file", headers=headers)

    assert file.status_code == 200 and file.mimetype == "text/csv"
    assert file.data == client.get("/api/reports/export", headers=headers, query_string=query).data
    assert file.data.startswith(b"\xef\xbb\xbf")


def test_nobody_else_sees_the_export_or_its_file(app, client, auth, make, supervisor, today):
    job = start(client, auth(supervisor), **month_range(today)).get_json()
    run_queued(app)
    colleague = auth(make.user("supervisor"))  # the same office: still not their export
    foreign = auth(make.user("supervisor", offices=(make.office().id,)))
    admin = auth(make.user("admin"))
    postman = auth(make.user("postman"))

    for headers in (colleague, foreign, admin):
        for path in (f"/api/jobs/{job['id']}", f"/api/jobs/{job['id']}/file"):
            response = client.get(path, headers=headers)
            assert response.status_code == 404 and response.content_type == PROBLEM, path
    assert client.get(f"/api/jobs/{job['id']}/file", headers=postman).status_code == 403
    assert client.get(f"/api/jobs/{job['id']}/file").status_code == 401


def test_an_export_of_an_empty_range_ends_failed_with_the_empty_report_problem(app, client, auth, supervisor):
    headers = auth(supervisor)
    job = start(client, headers, date_from="2020-01-01", date_to="2020-01-31").get_json()
    run_queued(app)

    body = client.get(f"/api/jobs/{job['id']}", headers=headers).get_json()

    assert body["status"] == "failed" and body["problem"]["status"] == 422
    assert body["problem"]["type"].endswith("/empty-report")
    assert "Không có dữ liệu" in body["problem"]["detail"]  # both languages, as the request says it
    assert client.get(f"/api/jobs/{job['id']}/file", headers=headers).status_code == 409


def test_a_backwards_or_too_long_range_is_refused_before_anything_is_queued(app, client, auth, supervisor):
    headers = auth(supervisor)
    too_long = start(client, headers, date_from="2020-01-01", date_to="2026-01-01")
    backwards = start(client, headers, date_from="2026-02-01", date_to="2026-01-01")

    assert too_long.status_code == 422 and too_long.get_json()["type"].endswith("/range-too-long")
    assert backwards.status_code == 422
    assert run_queued(app) == 0


@pytest.fixture
def app_config():
    return {"JOB_STALE_SECONDS": 60, "JOB_MAX_ATTEMPTS": 2}


def test_an_export_whose_worker_died_is_requeued_by_the_sweep_and_finished_once(
    app, client, auth, supervisor, today
):
    headers = auth(supervisor)
    job = start(client, headers, **month_range(today), format="xlsx").get_json()
    assert app.extensions["postround.tasks"].huey.dequeue() is not None  # a worker took the task ...
    with app.app_context():
        assert jobs._claim(job["id"]) is not None  # ... claimed the job, and was killed
        assert jobs.sweep() == 0  # its heartbeat is fresh: it may still be working
        assert jobs.sweep(now_utc() + timedelta(seconds=61)) == 1

    assert job_row(app, job["id"]).status == "queued"
    assert run_queued(app) == 1
    body = client.get(f"/api/jobs/{job['id']}", headers=headers).get_json()
    assert body["status"] == "succeeded" and body["attempts"] == 2
    assert client.get(f"/api/jobs/{job['id']}/file", headers=headers).status_code == 200


def test_an_exports_file_is_kept_a_day_then_dropped_by_maintenance(app, client, auth, supervisor, today):
    from backend import maintenance

    headers = auth(supervisor)
    job = start(client, headers, **month_range(today)).get_json()
    run_queued(app)
    with app.app_context():
        assert maintenance.run(now_utc() + timedelta(hours=23))["dropped_exports"] == 0
        assert client.get(f"/api/jobs/{job['id']}/file", headers=headers).status_code == 200
        assert maintenance.run(now_utc() + timedelta(hours=25))["dropped_exports"] == 1

    gone = client.get(f"/api/jobs/{job['id']}/file", headers=headers)
    assert gone.status_code == 410 and gone.get_json()["type"].endswith("/job-output-missing")
    assert "hãy xuất lại" in gone.get_json()["detail"]
    assert client.get(f"/api/jobs/{job['id']}", headers=headers).get_json()["status"] == "succeeded"
