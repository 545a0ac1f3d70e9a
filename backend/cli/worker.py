"""`flask --app wsgi worker`: the task queue's consumer (backend.tasks), with its schedules."""

from __future__ import annotations

import logging

import click
from flask import current_app
from flask.cli import with_appcontext


@click.command("worker")
@click.option("--workers", type=click.IntRange(1, 32), default=None, help="Threads (default: TASK_WORKERS).")
@with_appcontext
def worker_command(workers: int | None) -> None:
    """Run background jobs (large imports) and the schedules (maintenance, the stale-job sweep)."""
    from backend.tasks import queue

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    config = current_app.config
    url = config["TASK_QUEUE_URL"]
    shown = url.split("@")[-1] if url.startswith("redis") else url  # never print a password
    consumer = queue().consumer(workers)
    click.echo(
        f"PostRound worker: queue {shown}, {consumer.workers} thread(s), maintenance every "
        f"{config['MAINTENANCE_EVERY_MINUTES']} min / Tiến trình nền: đang chạy",
        err=True,
    )
    consumer.run()
