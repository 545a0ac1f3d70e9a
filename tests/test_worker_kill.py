"""A job survives its worker being killed: SIGKILL a real consumer mid-import, start another, and the
15,000 rows are imported exactly once.

The consumer is `flask --app wsgi worker` in a process group of its own (as `make run` and
production start it). On SQLite the queue is a SQLite file (the two-command setup); on
PostgreSQL it is Redis, the production backend. The task a killed worker had taken is gone from
Huey's storage: the job row (backend.services.jobs) remembers it, the new consumer's sweep sends
it again once its heartbeat is stale, and the import's one transaction (which also ends the job)
means the dead worker left nothing behind.
"""

from __future__ import annotations

import os
import time
import uuid

import pytest
from sqlalchemy.orm import undefer

from backend.extensions import db
from backend.models import AuditEntry, BackgroundJob
from tests.jobs_helpers import Consumer, export, item_codes

ROWS = 15_000
STALE = 3  # seconds without a heartbeat before a running job is taken again


def _redis_up() -> bool:
    try:
        import redis

        return bool(redis.Redis(socket_connect_timeout=0.5).ping())
    except Exception:
        return False


@pytest.fixture
def queue_url(backend_name, tmp_path):
    if backend_name == "sqlite":
        return f"sqlite:///{tmp_path / 'queue.db'}", "postround"
    if not _redis_up():
        if os.environ.get("CI") == "true":
            pytest.fail("Redis is not running on 127.0.0.1:6379")
        pytest.skip("Redis is not running")
    return "redis://127.0.0.1:6379/0", f"postround-test-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def app_config(queue_url):
    url, name = queue_url
    return {
        "TASK_QUEUE_URL": url,
        "TASK_QUEUE_NAME": name,
        "IMPORT_QUEUE_ROWS": 1000,
        "JOB_STALE_SECONDS": STALE,
    }


def wait_for(app, job_id, condition, timeout, consumer):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with app.app_context():
            job = db.session.get(BackgroundJob, job_id, options=[undefer(BackgroundJob.input)])
            db.session.expunge(job)
            db.session.remove()
        if condition(job):
            return job
        assert consumer.process.poll() is None, consumer.log()
        time.sleep(0.05)
    raise AssertionError(
        f"job {job_id}: {job.status} {job.rows_checked}/{job.rows_total} after {timeout} s\n{consumer.log()}"
    )


@pytest.fixture
def consumers(app, tmp_path):
    started = []

    def start():
        started.append(Consumer(app, tmp_path / "worker.log", JOB_STALE_SECONDS=str(STALE)).start())
        return started[-1]

    yield start
    for consumer in started:
        consumer.stop()
    if app.config["TASK_QUEUE_URL"].startswith("redis"):
        app.extensions["postround.tasks"].huey.flush()  # this test's keys only (its own queue name)


def test_a_killed_worker_s_import_is_finished_by_the_next_worker_exactly_once(
    app, client, auth, supervisor, make, consumers
):
    make.agency(code="PVHCC-CHAUTHANH")
    make.procedure(code="1.001193", name="Đăng ký khai sinh", government_fee=0)
    answer = client.post(
        "/api/imports",
        query_string={"filename": "ca-tinh.csv"},
        data=export(ROWS),
        content_type="text/csv",
        headers=auth(supervisor),
    )
    assert answer.status_code == 202, answer.get_json()
    job_id = answer.get_json()["id"]

    first = consumers()
    wait_for(app, job_id, lambda job: job.status == "running" and job.rows_checked == ROWS, 60, first)
    time.sleep(0.3)  # well inside the import's one transaction (seconds for 15,000 rows)
    first.kill()

    with app.app_context():
        job = db.session.get(BackgroundJob, job_id)
        assert job.status == "running" and job.attempts == 1, "the kill came too late to prove anything"
        db.session.remove()
    assert item_codes(app) == []  # the dead worker's transaction left nothing behind

    second = consumers()
    job = wait_for(app, job_id, lambda job: job.status in ("succeeded", "failed"), 120, second)

    assert job.status == "succeeded", job.problem
    assert job.attempts == 2 and job.rows_imported == ROWS and job.input is None
    codes = item_codes(app)
    assert len(codes) == ROWS and len(set(codes)) == ROWS
    with app.app_context():
        imports = (
            db.session.execute(db.select(AuditEntry).where(AuditEntry.action == "items.imported"))
            .scalars()
            .all()
        )
        assert [entry.detail["count"] for entry in imports] == [ROWS]
    body = client.get(f"/api/jobs/{job_id}", headers=auth(supervisor)).get_json()
    assert body["status"] == "succeeded" and body["result"]["imported"] == ROWS
