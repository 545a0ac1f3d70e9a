"""The one state machine for a background job's status (`backend.models.BackgroundJob`).

A job is queued, claimed by a worker (running), and ends succeeded or failed. A running job whose
worker stopped sending heartbeats (killed, machine gone) is requeued by the sweep, up to
JOB_MAX_ATTEMPTS claims; then it fails. Claims are conditional UPDATEs on these statuses, so two
workers can never both hold a job.
"""

from __future__ import annotations

from enum import StrEnum


class JobStatus(StrEnum):
    QUEUED = "queued"  # waiting for a worker (again, after a requeue)
    RUNNING = "running"  # a worker holds it and sends heartbeats
    SUCCEEDED = "succeeded"  # done; `result` says what it did
    FAILED = "failed"  # done; `problem` says why (the problem+json shape)


class JobEvent(StrEnum):
    CLAIM = "claim"  # a worker takes it
    REQUEUE = "requeue"  # its worker stopped answering
    SUCCEED = "succeed"
    FAIL = "fail"


J = JobStatus
TRANSITIONS: dict[JobEvent, tuple[frozenset[JobStatus], JobStatus]] = {
    JobEvent.CLAIM: (frozenset({J.QUEUED}), J.RUNNING),
    JobEvent.REQUEUE: (frozenset({J.RUNNING}), J.QUEUED),
    JobEvent.SUCCEED: (frozenset({J.RUNNING}), J.SUCCEEDED),
    JobEvent.FAIL: (frozenset({J.QUEUED, J.RUNNING}), J.FAILED),
}
FINISHED = frozenset({J.SUCCEEDED, J.FAILED})


def sources(event: JobEvent) -> list[str]:
    """The statuses `event` may leave, as stored (for a conditional UPDATE)."""
    return sorted(status.value for status in TRANSITIONS[event][0])


def target(event: JobEvent) -> str:
    return TRANSITIONS[event][1].value
