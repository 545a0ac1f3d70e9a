"""Flask CLI commands: `flask --app wsgi <command>`."""

from __future__ import annotations

from flask import Flask


def register_cli(app: Flask) -> None:
    from backend import maintenance
    from backend.cli import imports, keys, offices, retention, seed, users, webhooks, worker

    app.cli.add_command(users.create_user)
    app.cli.add_command(keys.keys_group)
    app.cli.add_command(offices.create_office)
    app.cli.add_command(offices.agency_bank_account)
    app.cli.add_command(seed.seed_demo)
    app.cli.add_command(imports.import_items_command)
    app.cli.add_command(retention.purge_photos)
    app.cli.add_command(retention.purge_expired_command)
    app.cli.add_command(maintenance.maintenance_command)
    app.cli.add_command(worker.worker_command)
    app.cli.add_command(webhooks.webhooks_group)
