"""Background jobs: the durable record of work done by the task queue (backend.tasks).

The queue (Huey) only carries a job's id; everything else lives here, so any app node can answer
a job's progress and a job taken by a worker that died is found and run again (the sweep).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from backend.extensions import db
from backend.models.base import UTCDateTime, new_uuid, now_utc


class BackgroundJob(db.Model):
    __tablename__ = "background_jobs"
    __table_args__ = (Index("ix_background_jobs_status_heartbeat", "status", "heartbeat_at"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_uuid)
    kind: Mapped[str] = mapped_column(String(32))  # "import-items", "export-report"
    status: Mapped[str] = mapped_column(String(16), default="queued")  # backend.domain.job_status
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    enqueued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)  # claims so far
    claim: Mapped[str | None] = mapped_column(String(36))  # the current claim's token
    params: Mapped[dict] = mapped_column(JSON, default=dict)
    # The uploaded file, kept only until the job ends (it names citizens); not loaded by a progress poll.
    input: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    # The file an export job made (CSV/XLSX), until it is purged; not loaded by a progress poll.
    output: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    rows_total: Mapped[int] = mapped_column(Integer, default=0)
    rows_checked: Mapped[int] = mapped_column(Integer, default=0)
    rows_imported: Mapped[int] = mapped_column(Integer, default=0)
    result: Mapped[dict | None] = mapped_column(JSON)
    problem: Mapped[dict | None] = mapped_column(JSON)  # the problem+json body of a failed job
