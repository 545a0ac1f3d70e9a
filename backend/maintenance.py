"""The one scheduled entry point: `run()` does every periodic clean-up, in order.

The task queue's worker runs it every MAINTENANCE_EVERY_MINUTES (backend.tasks); `flask --app wsgi
maintenance` runs it by hand. Each step is safe to repeat and to interrupt (every worker's
scheduler enqueues it, so with several workers it may run more than once an hour).
"""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from backend.cli.retention import prune_operational, purge_expired
from backend.services.jobs import drop_old_exports
from sync.attachments import expire_uploads


def run(now=None) -> dict:
    """Expire unfinished uploads (UPLOAD_EXPIRY_HOURS), drop export files past EXPORT_KEEP_HOURS, then
    purge what is past its retention period and prune the operational logs past theirs (webhook
    log, agency events, notification attempts: backend.cli.retention.prune_operational)."""
    expired = expire_uploads(current_app.extensions["postround.store"], now)
    return {
        "expired_uploads": expired,
        "dropped_exports": drop_old_exports(now),
        **purge_expired(now),
        **prune_operational(now),
    }


@click.command("maintenance")
@with_appcontext
def maintenance_command() -> None:
    """Expire unfinished uploads and purge data past its retention period (the worker runs it on a schedule)."""
    counts = run()
    click.echo(" ".join(f"{key}={value}" for key, value in counts.items()))
