"""A supervisor's big export is imported by a background job: 202, progress from any node, one result.

The queue is real (Huey on a SQLite file); `run_queued` does what a consumer's worker does (take
the task off the queue and execute it). tests/test_worker_kill.py runs real consumer processes.
"""

from __future__ import annotations

import hashlib
import os
import time
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from backend.extensions import db
from backend.models import AuditEntry, BackgroundJob
from backend.models.base import now_utc
from backend.services import jobs
from tests.jobs_helpers import export, item_codes, job_row, run_queued

ROWS = 40


@pytest.fixture
def app_config():
    return {"IMPORT_QUEUE_ROWS": 25, "JOB_STALE_SECONDS": 60, "JOB_MAX_ATTEMPTS": 2}


@pytest.fixture
def office(make):
    return {
        "agency": make.agency(code="PVHCC-CHAUTHANH"),
        "birth": make.procedure(code="1.001193", name="Đăng ký khai sinh", government_fee=0),
    }


@pytest.fixture
def staff(auth, supervisor):
    return auth(supervisor)


def send(client, headers, data: bytes, **query):
    query.setdefault("filename", "ket-qua-thang-12.csv")
    return client.post(
        "/api/imports", query_string=query, data=data, content_type="text/csv", headers=headers
    )


def test_a_big_export_is_queued_then_imported_once_with_its_result(app, client, staff, office):
    data = export(ROWS)
    answer = send(client, staff, data, sha256=hashlib.sha256(data).hexdigest())

    assert answer.status_code == 202, answer.get_json()
    job = answer.get_json()
    assert job["status"] == "queued" and job["kind"] == "import-items" and job["rows_total"] == ROWS
    assert answer.headers["Location"].endswith(f"/api/jobs/{job['id']}")
    assert item_codes(app) == []  # nothing is imported inside the request
    assert client.get(answer.headers["Location"], headers=staff).get_json()["status"] == "queued"

    assert run_queued(app) == 1
    done = client.get(f"/api/jobs/{job['id']}", headers=staff)
    assert done.status_code == 200 and done.headers["Cache-Control"].startswith("private")
    body = done.get_json()
    assert body["status"] == "succeeded" and body["problem"] is None and body["attempts"] == 1
    assert (body["rows_checked"], body["rows_imported"]) == (ROWS, ROWS)
    assert body["result"]["imported"] == ROWS and body["result"]["to_collect"] == ROWS // 3
    assert sorted(body["result"]["codes"]) == sorted(item_codes(app)) and len(item_codes(app)) == ROWS
    stored = job_row(app, job["id"])
    assert stored.input is None  # the file (citizens' names) is not kept once the job has ended
    with app.app_context():
        summary = db.session.execute(
            db.select(AuditEntry).where(AuditEntry.action == "items.imported")
        ).scalar_one()
        assert summary.detail["via"] == "job" and summary.detail["job"] == job["id"]
        assert summary.actor_id is not None


def test_a_big_export_with_bad_lines_ends_failed_with_every_line_in_both_languages(
    app, client, staff, office
):
    job = send(client, staff, export(ROWS, bad=frozenset({3, 17}))).get_json()
    run_queued(app)

    body = client.get(f"/api/jobs/{job['id']}", headers=staff).get_json()
    assert body["status"] == "failed" and body["result"] is None
    problem = body["problem"]
    assert problem["type"].endswith("/import-has-errors") and problem["status"] == 422
    assert problem["title"] and problem["detail"].startswith("2 of 40 row(s) have problems")
    assert set(problem["errors"]["lines"]) == {"4", "18"}  # spreadsheet lines: the header is line 1
    assert "không có thủ tục nào có mã 9.999999" in problem["errors"]["lines_vi"]["4"][0]
    assert item_codes(app) == []


def test_skip_bad_imports_the_good_rows_of_a_big_export(app, client, staff, office):
    job = send(client, staff, export(ROWS, bad=frozenset({5})), skip_bad="true").get_json()
    run_queued(app)

    body = client.get(f"/api/jobs/{job['id']}", headers=staff).get_json()
    assert body["status"] == "succeeded" and body["result"]["skipped_lines"] == [6]
    assert len(item_codes(app)) == ROWS - 1


def test_a_confirmation_with_another_files_digest_is_refused_before_anything_is_queued(
    app, client, staff, office
):
    answer = send(client, staff, export(ROWS), sha256="0" * 64)
    assert answer.status_code == 409 and answer.get_json()["type"].endswith("/file-changed")
    with app.app_context():
        assert db.session.execute(db.select(BackgroundJob)).scalars().all() == []


def test_a_small_export_is_still_imported_in_the_request(app, client, staff, office):
    answer = send(client, staff, export(10))
    assert answer.status_code == 201 and answer.get_json()["imported"] == 10


def test_a_task_delivered_twice_imports_once(app, client, staff, office):
    job = send(client, staff, export(ROWS)).get_json()
    with app.app_context():
        app.extensions["postround.tasks"].enqueue_job(job["id"])  # e.g. the sweep re-sent it
    assert run_queued(app) == 2
    assert len(item_codes(app)) == ROWS and job_row(app, job["id"]).attempts == 1


def test_a_job_whose_worker_died_is_requeued_by_the_sweep_and_given_up_after_its_attempts(
    app, client, staff, office
):
    job = send(client, staff, export(ROWS)).get_json()
    huey = app.extensions["postround.tasks"].huey
    assert huey.dequeue() is not None  # a worker took the task ...
    with app.app_context():
        assert jobs._claim(job["id"]) is not None  # ... claimed the job, and was killed
        assert jobs.sweep() == 0  # its heartbeat is fresh: it may still be working
        later = now_utc() + timedelta(seconds=61)
        assert jobs.sweep(later) == 1
    assert job_row(app, job["id"]).status == "queued"
    assert run_queued(app) == 1  # the requeued task
    assert job_row(app, job["id"]).status == "succeeded" and len(item_codes(app)) == ROWS

    second = send(client, staff, export(ROWS, start=53_000_000)).get_json()
    huey.dequeue()
    with app.app_context():
        for attempt in range(2):  # JOB_MAX_ATTEMPTS: killed twice
            assert jobs._claim(second["id"]) is not None
            jobs.sweep(now_utc() + timedelta(seconds=61 * (attempt + 1)))
    body = client.get(f"/api/jobs/{second['id']}", headers=staff).get_json()
    assert body["status"] == "failed" and body["problem"]["type"].endswith("/job-abandoned")
    assert body["attempts"] == 2 and len(item_codes(app)) == ROWS


def test_a_queued_job_whose_task_was_lost_is_sent_again(app, client, staff, office):
    job = send(client, staff, export(ROWS)).get_json()
    app.extensions["postround.tasks"].huey.flush()  # the queue lost it (a Redis restart without persistence)
    with app.app_context():
        assert jobs.sweep(now_utc() + timedelta(seconds=61)) == 1
    run_queued(app)
    assert job_row(app, job["id"]).status == "succeeded"


def test_jobs_are_for_staff_and_an_unknown_job_is_a_404(app, client, staff, office, make, auth):
    job = send(client, staff, export(ROWS)).get_json()
    postman = auth(make.user("postman"))
    assert client.get(f"/api/jobs/{job['id']}", headers=postman).status_code == 403
    missing = client.get("/api/jobs/00000000-0000-4000-8000-000000000000", headers=staff)
    assert missing.status_code == 404 and missing.get_json()["type"].endswith("/not-found")


def test_the_schedules_run_maintenance_on_the_queue(app):
    tasks = app.extensions["postround.tasks"]
    tasks.huey  # noqa: B018
    hourly = tasks.maintenance.task_class()
    assert hourly.validate_datetime(datetime(2026, 12, 1, 9, 0))  # MAINTENANCE_EVERY_MINUTES: 60
    assert not hourly.validate_datetime(datetime(2026, 12, 1, 9, 30))
    partial = Path(app.config["STORAGE_DIR"]) / "partial" / "7" / f"{'a' * 64}.part"
    partial.parent.mkdir(parents=True)
    partial.write_bytes(b"half a photo")
    stale = time.time() - (app.config["UPLOAD_EXPIRY_HOURS"] * 3600 + 60)
    os.utime(partial, (stale, stale))
    tasks.maintenance()  # what the consumer's scheduler enqueues on the hour
    assert run_queued(app) == 1 and not partial.exists()
