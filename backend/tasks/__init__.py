"""The one task queue (Huey) for work that must not run inside a request, and its schedules.

- `TASK_QUEUE_URL` says where the queue lives: a SQLite file under instance/ by default (the
  two-command setup needs no server), `redis://…` in production, `immediate` only for a test
  that explicitly wants tasks to run inline.
- `flask --app wsgi worker` is the consumer (`make run` starts one beside the web server).
- Tasks run inside the app's context, with the app's settings and database.
- The queue carries only a job's id; the job itself lives in the database (backend.services.jobs),
  because a task a killed worker had taken is gone from Huey's storage. The sweep puts such
  jobs back on the queue.

Schedules (on every consumer; each step is safe to repeat):
- `backend.maintenance.run` every MAINTENANCE_EVERY_MINUTES (expires unfinished uploads, purges
  what is past retention): nothing needs cron any more;
- the stale-job sweep every minute, and once JOB_STALE_SECONDS after a consumer starts;
- the webhook deliveries due, every minute (a nudge lost after a commit, a retry whose scheduled
  task was lost): backend.services.webhooks.
- messages to citizens every minute (backend.services.notifications: the morning's, then what is
  due; a row is claimed before it is sent, so consumers never send one twice).
"""

from __future__ import annotations

import logging

from flask import Flask, current_app
from huey import Huey, MemoryHuey, RedisHuey, SqliteHuey

log = logging.getLogger(__name__)
EXTENSION = "postround.tasks"


class TaskQueue:
    """The app's Huey instance, built on first use (a create_app that never enqueues opens nothing)."""

    def __init__(self, app: Flask):
        self.app = app
        self._huey: Huey | None = None
        self.run_job = self.sweep = self.maintenance = self.deliver_webhooks = self.notify = None

    @property
    def huey(self) -> Huey:
        if self._huey is None:
            self._huey = _make_huey(self.app.config["TASK_QUEUE_URL"], self.app.config["TASK_QUEUE_NAME"])
            self._register(self._huey)
        return self._huey

    def _register(self, huey: Huey) -> None:
        app = self.app
        every = app.config["MAINTENANCE_EVERY_MINUTES"]

        @huey.task(name="postround.run_job")
        def run_job(job_id: str) -> None:
            from backend.services import jobs

            with app.app_context():
                jobs.run(job_id)

        @huey.periodic_task(lambda when: True, name="postround.sweep_jobs")
        def sweep() -> int:
            from backend.services import jobs

            with app.app_context():
                return jobs.sweep()

        @huey.periodic_task(
            lambda when: (when.hour * 60 + when.minute) % every == 0, name="postround.maintenance"
        )
        def maintenance() -> dict:
            from backend import maintenance as steps

            with app.app_context():
                counts = steps.run()
                log.info("maintenance: %s", counts)
                return counts

        @huey.task(name="postround.deliver_webhooks")
        def deliver_webhooks() -> int:
            from backend.services import webhooks

            with app.app_context():
                return webhooks.deliver_due()

        @huey.periodic_task(lambda when: True, name="postround.sweep_webhooks")
        def sweep_webhooks() -> int:
            from backend.services import webhooks

            with app.app_context():
                return webhooks.deliver_due()

        @huey.task(name="postround.notify")
        def notify() -> dict:
            from backend.services import notifications

            with app.app_context():
                notifications.plan_morning()
                return notifications.send_due()

        @huey.periodic_task(lambda when: True, name="postround.notify_every_minute")
        def notify_every_minute() -> dict:
            return notify.call_local()

        self.run_job, self.sweep, self.maintenance = run_job, sweep, maintenance
        self.deliver_webhooks, self.notify = deliver_webhooks, notify

    def enqueue_job(self, job_id: str) -> None:
        self.huey  # noqa: B018  (registers the tasks)
        self.run_job(job_id)

    def send_webhooks(self, delay: float | None = None) -> None:
        """Send the webhook deliveries due (now, or after `delay` seconds: a retry's backoff)."""
        self.huey  # noqa: B018  (registers the tasks)
        if delay:
            self.deliver_webhooks.schedule(delay=delay)
        else:
            self.deliver_webhooks()

    def enqueue_notify(self) -> None:
        """Send the citizens' messages that are due now, on a worker (the minute's run does it anyway)."""
        self.huey  # noqa: B018  (registers the tasks)
        self.notify()

    def consumer(self, workers: int | None = None):
        """A Huey consumer for this app: threads, the periodic schedules, a first sweep once stale."""
        huey = self.huey
        self.sweep.schedule(delay=self.app.config["JOB_STALE_SECONDS"] + 1)
        return huey.create_consumer(
            workers=workers or self.app.config["TASK_WORKERS"],
            worker_type="thread",
            periodic=True,
            initial_delay=0.05,
            backoff=1.5,
            max_delay=1.0,
            check_worker_health=True,
        )


def _make_huey(url: str, name: str) -> Huey:
    if url == "immediate":
        return MemoryHuey(name, immediate=True, results=False)
    if url.startswith(("redis://", "rediss://")):
        return RedisHuey(name, url=url, results=False)
    return SqliteHuey(name, filename=url[len("sqlite:///") :], results=False)


def init_app(app: Flask) -> None:
    app.extensions[EXTENSION] = TaskQueue(app)


def queue() -> TaskQueue:
    return current_app.extensions[EXTENSION]
