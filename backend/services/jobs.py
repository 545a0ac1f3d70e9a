"""Background jobs: start one, run it exactly once on some worker, sweep up after dead workers.

The queue (backend.tasks) carries a job's id and nothing else. Running a job:
1. claim it: a conditional UPDATE (queued -> running, a new claim token, attempts + 1); a worker
   that loses the race, or finds the job finished, does nothing;
2. while it runs, a heartbeat thread stamps `heartbeat_at` every few seconds;
3. the work's effect and the job's end (succeeded, with its result) commit in ONE transaction,
   and only while the claim is still ours: a worker killed at any moment leaves either nothing
   or everything, never half an import, and never the same import twice.
The sweep (every minute on every consumer, and once after a consumer starts) puts running jobs
whose heartbeat is older than JOB_STALE_SECONDS back on the queue, and fails them after
JOB_MAX_ATTEMPTS claims (a file that kills its worker every time must not loop forever).
"""

from __future__ import annotations

import logging
import threading
import uuid
from datetime import timedelta

from flask import current_app
from sqlalchemy import update
from sqlalchemy.orm import undefer
from werkzeug.http import HTTP_STATUS_CODES

from backend.audit import audit
from backend.auth.scope import check_visible, not_found
from backend.domain import import_parser
from backend.domain.job_status import JobEvent, JobStatus, sources, target
from backend.domain.rules import DomainError
from backend.errors import PROBLEM_TYPE_BASE
from backend.extensions import db
from backend.models import BackgroundJob, User
from backend.models.base import new_uuid, now_utc
from backend.tasks import queue

log = logging.getLogger(__name__)
IMPORT = "import-items"
EXPORT = "export-report"
HEARTBEAT_SHARE = 4  # heartbeats per JOB_STALE_SECONDS


def rows_in(filename: str, data: bytes, encoding: str | None = None) -> int:
    """How many rows the file has (0 if it cannot be read: the request path then says why)."""
    try:
        return len(import_parser.read_table(filename, data, encoding).rows)
    except import_parser.FileProblem:
        return 0


def start_import(filename: str, data: bytes, options: dict, *, actor_id: int | None) -> BackgroundJob:
    """Record an import job (the file is kept with it until it ends) and put it on the queue."""
    job = BackgroundJob(
        id=new_uuid(),
        kind=IMPORT,
        status=JobStatus.QUEUED.value,
        created_by_id=actor_id,
        params={"file": filename, **options},
        input=data,
        attempts=0,
        rows_total=rows_in(filename, data, options.get("encoding")),
        rows_checked=0,
        rows_imported=0,
    )
    db.session.add(job)
    audit(
        "job.queued", "job", job.id, {"kind": IMPORT, "file": filename, "bytes": len(data)}, actor_id=actor_id
    )
    db.session.commit()
    queue().enqueue_job(job.id)  # after the commit: a worker must find the row
    return job


def start_export(rng, extension: str, *, actor: User) -> BackgroundJob:
    """Record a report export job (the report is built by a worker, as `actor` sees the offices) and
    put it on the queue. Only its creator follows it and downloads its file (`visible_job`)."""
    from backend.services.reports import STEPS, file_name

    job = BackgroundJob(
        id=new_uuid(),
        kind=EXPORT,
        status=JobStatus.QUEUED.value,
        created_by_id=actor.id,
        params={
            "file": file_name(rng, extension),
            "format": extension,
            "period": rng.period,
            "group_by": rng.group_by,
            "date_from": rng.date_from.isoformat(),
            "date_to": rng.date_to.isoformat(),
        },
        attempts=0,
        rows_total=STEPS + 1,  # the four aggregates, then the file
        rows_checked=0,
        rows_imported=0,
    )
    db.session.add(job)
    audit("job.queued", "job", job.id, {"kind": EXPORT, "file": job.params["file"]}, actor_id=actor.id)
    db.session.commit()
    queue().enqueue_job(job.id)
    return job


def visible_job(user: User, job_id: str, *, undefer_output: bool = False) -> BackgroundJob:
    """The job, if `user` may follow it: an import of an office they see; an export they started
    (it holds their offices' figures as they see them). Otherwise missing (404), like no job."""
    options = [undefer(BackgroundJob.output)] if undefer_output else []
    job = db.session.get(BackgroundJob, job_id, options=options)
    if job is None or (job.kind == EXPORT and job.created_by_id != user.id):
        raise not_found("job", job_id)
    if job.kind != EXPORT:
        check_visible(user, job.params.get("office_id"), "job", job_id)
    return job


def output_of(job: BackgroundJob) -> bytes:
    """The finished export's file; 409 while it is not finished, 410 once it is no longer kept."""
    if job.kind != EXPORT or job.status != JobStatus.SUCCEEDED:
        raise DomainError(
            "job-not-finished",
            f"The job is {job.status}: it has no file (yet). / Công việc chưa xong hoặc không tạo tệp.",
            status=409,
        )
    if job.output is None:
        raise DomainError(
            "job-output-missing",
            "The export's file is no longer kept; start the export again. "
            "/ Tệp xuất không còn được lưu; hãy xuất lại.",
            status=410,
        )
    return job.output


def describe(job: BackgroundJob) -> dict:
    """The JobSchema answer: status, progress, and the result or the problem once it has ended."""
    phase = None
    if job.status == JobStatus.RUNNING and job.kind == EXPORT:
        phase = "building"
    elif job.status == JobStatus.RUNNING:
        phase = "checking" if job.rows_checked < job.rows_total else "importing"
    return {
        "id": job.id,
        "kind": job.kind,
        "status": job.status,
        "phase": phase,
        "file": job.params.get("file"),
        "rows_total": job.rows_total,
        "rows_checked": job.rows_checked,
        "rows_imported": job.rows_imported,
        "attempts": job.attempts,
        "created_at": job.created_at,
        "started_at": job.started_at,
        "finished_at": job.finished_at,
        "result": job.result,
        "problem": job.problem,
    }


# Running ------------------------------------------------------------------------------------------


def _rowcount(result) -> int:
    """Rows an UPDATE changed (the CursorResult it returns has them; its static type does not say so)."""
    return result.rowcount


def _claim(job_id: str) -> str | None:
    token = str(uuid.uuid4())
    now = now_utc()
    claimed = _rowcount(
        db.session.execute(
            update(BackgroundJob)
            .where(BackgroundJob.id == job_id, BackgroundJob.status.in_(sources(JobEvent.CLAIM)))
            .values(
                status=target(JobEvent.CLAIM),
                claim=token,
                attempts=BackgroundJob.attempts + 1,
                started_at=now,
                heartbeat_at=now,
            )
        )
    )
    db.session.commit()
    return token if claimed else None


def _stamp(engine, job_id: str, token: str, **values) -> None:
    """Write progress or a heartbeat on a connection of its own (visible to every node at once)."""
    try:
        with engine.begin() as connection:
            connection.execute(
                update(BackgroundJob)
                .where(
                    BackgroundJob.id == job_id,
                    BackgroundJob.claim == token,
                    BackgroundJob.status == JobStatus.RUNNING.value,
                )
                .values(heartbeat_at=now_utc(), **values)
            )
    except Exception:  # a busy SQLite file or a blip: the next stamp tries again
        log.warning("job %s: could not record progress", job_id, exc_info=True)


class _Heartbeat(threading.Thread):
    def __init__(self, engine, job_id: str, token: str, every: float):
        super().__init__(name=f"heartbeat-{job_id}", daemon=True)
        self.engine, self.job_id, self.token, self.every = engine, job_id, token, every
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.wait(self.every):
            _stamp(self.engine, self.job_id, self.token)


def _finish(job_id: str, token: str, event: JobEvent, **values) -> bool:
    """End the job inside the current transaction, if the claim is still ours."""
    return bool(
        _rowcount(
            db.session.execute(
                update(BackgroundJob)
                .where(
                    BackgroundJob.id == job_id,
                    BackgroundJob.claim == token,
                    BackgroundJob.status.in_(sources(event)),
                )
                .values(status=target(event), finished_at=now_utc(), input=None, **values)
            )
        )
    )


def problem_body(error: DomainError) -> dict:
    """The problem+json body (backend/errors.py's shape) of a job that ended refused."""
    body = {
        "type": PROBLEM_TYPE_BASE + error.kind,
        "title": HTTP_STATUS_CODES.get(error.status, "Error"),
        "status": error.status,
        "detail": error.detail,
    }
    if error.errors:
        body["errors"] = error.errors
    return body


def run(job_id: str) -> None:
    """Run one job, if it is still waiting for a worker. Called by the queue's task."""
    token = _claim(job_id)
    if token is None:
        log.info("job %s: already taken or finished", job_id)
        return
    engine = db.engine
    heartbeat = _Heartbeat(
        engine, job_id, token, max(current_app.config["JOB_STALE_SECONDS"] / HEARTBEAT_SHARE, 0.5)
    )
    heartbeat.start()
    try:
        job = db.session.get_one(BackgroundJob, job_id)
        try:
            RUNNERS[job.kind](job, token, engine)
        except DomainError as error:
            db.session.rollback()
            if _finish(job_id, token, JobEvent.FAIL, problem=problem_body(error)):
                audit("job.failed", "job", job_id, {"kind": error.kind}, actor_id=None)
            db.session.commit()
    finally:
        heartbeat.stopped.set()
        heartbeat.join(5)


def _run_import(job: BackgroundJob, token: str, engine) -> None:
    from backend.services.item_import import check_importable, import_items, import_summary, parse_items_file

    options, data, job_id = dict(job.params), job.input, job.id
    if data is None:  # the file is kept with the job until it ends
        raise DomainError(
            "job-input-missing", "The import's file is no longer kept with this job.", status=410
        )

    def progress(checked: int, total: int) -> None:
        _stamp(engine, job_id, token, rows_checked=checked, rows_total=total)

    result = parse_items_file(
        options["file"],
        data,
        agency_code=options.get("agency_code"),
        default_service_fee=options["service_fee"],
        encoding=options.get("encoding"),
        progress=progress,
    )
    _stamp(engine, job_id, token, rows_checked=result.rows_total, rows_total=result.rows_total)
    check_importable(
        result,
        skip_bad=bool(options.get("skip_bad")),
        sha256=options.get("sha256"),
        office_id=options.get("office_id"),
    )

    def record(items) -> None:
        db.session.flush()
        summary = import_summary(items, result)
        if not _finish(
            job_id,
            token,
            JobEvent.SUCCEED,
            rows_imported=len(items),
            rows_checked=result.rows_total,
            result=summary,
        ):
            raise _LostClaim
        audit(
            "job.succeeded",
            "job",
            job_id,
            {"kind": IMPORT, "imported": len(items)},
            actor_id=job.created_by_id,
        )

    try:
        import_items(
            result.rows_ok,
            actor_id=job.created_by_id,
            office_id=options.get("office_id"),
            before_commit=record,
            source={**result.source, "skipped_lines": result.bad_lines, "via": "job", "job": job_id},
        )
    except _LostClaim:
        db.session.rollback()
        log.warning("job %s: another worker took it over; this run wrote nothing", job_id)


class _LostClaim(Exception):
    """The sweep gave the job to another worker while this one was slow: write nothing."""


def _run_export(job: BackgroundJob, token: str, engine) -> None:
    """Build the report as its creator sees it, write the file, and end the job with it, in one commit.
    A worker killed meanwhile leaves the job running with nothing written; the sweep sends it again."""
    from datetime import date

    from backend.services import reports

    options, job_id = dict(job.params), job.id
    creator = db.session.get(User, job.created_by_id) if job.created_by_id else None
    if creator is None or not creator.active:
        raise DomainError("job-owner-gone", "The export's owner can no longer sign in.", status=410)
    rng = reports.check_range(
        options["period"],
        options["group_by"],
        date.fromisoformat(options["date_from"]),
        date.fromisoformat(options["date_to"]),
    )
    report = reports.build_report(
        rng, creator, progress=lambda n: _stamp(engine, job_id, token, rows_checked=n)
    )
    data = reports.export_file(report, options["format"])
    result = {
        "file": options["file"],
        "media_type": reports.MEDIA_TYPES[options["format"]],
        "bytes": len(data),
        "rows": len(report["rows"]),
        "download": f"/api/jobs/{job_id}/file",
    }
    if not _finish(job_id, token, JobEvent.SUCCEED, rows_checked=job.rows_total, output=data, result=result):
        db.session.rollback()
        log.warning("job %s: another worker took it over; this run wrote nothing", job_id)
        return
    audit("job.succeeded", "job", job_id, {"kind": EXPORT, "bytes": len(data)}, actor_id=creator.id)
    db.session.commit()


RUNNERS = {IMPORT: _run_import, EXPORT: _run_export}


# The sweep ----------------------------------------------------------------------------------------


def sweep(now=None) -> int:
    """Requeue running jobs whose worker stopped sending heartbeats; fail those out of attempts.

    Also re-sends queued jobs that have waited longer than JOB_STALE_SECONDS (the enqueue after the
    commit may have been lost); a second copy of a task is harmless, the claim lets one through."""
    now = now or now_utc()
    stale = now - timedelta(seconds=current_app.config["JOB_STALE_SECONDS"])
    limit = current_app.config["JOB_MAX_ATTEMPTS"]
    running = BackgroundJob.status == JobStatus.RUNNING.value
    dead = db.session.execute(
        db.select(BackgroundJob.id, BackgroundJob.attempts, BackgroundJob.claim).where(
            running, BackgroundJob.heartbeat_at < stale
        )
    ).all()
    waiting = (
        db.session.execute(
            db.select(BackgroundJob.id).where(
                BackgroundJob.status == JobStatus.QUEUED.value, BackgroundJob.enqueued_at < stale
            )
        )
        .scalars()
        .all()
    )
    again = list(waiting)
    for job_id, attempts, claim in dead:
        where = (BackgroundJob.id == job_id, BackgroundJob.claim == claim, running)
        if attempts >= limit:
            error = DomainError(
                "job-abandoned",
                f"The job's worker stopped {attempts} time(s) while running it; "
                "it was given up. / Tiến trình xử lý đã dừng giữa chừng nhiều lần; công việc bị hủy.",
                status=500,
                params={"attempts": attempts},
            )
            db.session.execute(
                update(BackgroundJob)
                .where(*where)
                .values(
                    status=target(JobEvent.FAIL), finished_at=now, input=None, problem=problem_body(error)
                )
            )
            continue
        if _rowcount(
            db.session.execute(
                update(BackgroundJob)
                .where(*where)
                .values(status=target(JobEvent.REQUEUE), claim=None, enqueued_at=now)
            )
        ):
            again.append(job_id)
    if again:
        db.session.execute(update(BackgroundJob).where(BackgroundJob.id.in_(waiting)).values(enqueued_at=now))
    db.session.commit()
    for job_id in again:
        queue().enqueue_job(job_id)
    if again or dead:
        log.warning("sweep: requeued %d job(s), %d stale", len(again), len(dead))
    return len(again)


def drop_old_exports(now=None) -> int:
    """Drop the files of exports finished more than EXPORT_KEEP_HOURS ago (the job stays; its file
    then answers 410). A maintenance step (backend.maintenance)."""
    keep = timedelta(hours=current_app.config["EXPORT_KEEP_HOURS"])
    dropped = _rowcount(
        db.session.execute(
            update(BackgroundJob)
            .where(
                BackgroundJob.kind == EXPORT,
                BackgroundJob.output.is_not(None),
                BackgroundJob.finished_at < (now or now_utc()) - keep,
            )
            .values(output=None)
        )
    )
    db.session.commit()
    return dropped
