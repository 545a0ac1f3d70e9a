"""purge-photos: delete proof photos older than PHOTO_RETENTION_DAYS (Decree 13/2023: keep personal data
only as long as needed). Signatures are kept: they are the evidence of delivery."""

from __future__ import annotations

from datetime import timedelta

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import func

from backend.audit import audit
from backend.extensions import db
from backend.models import Attachment, DeliveryAttempt, ProofAttachment
from backend.models.base import now_utc

PHOTO_KINDS = ("photo", "id_photo", "authorisation_letter")


def expired_photos(now=None) -> list[Attachment]:
    """Verified photo files whose newest proof is older than the retention period."""
    cutoff = (now or now_utc()) - timedelta(days=current_app.config["PHOTO_RETENTION_DAYS"])
    newest_use = (db.select(ProofAttachment.sha256, func.max(DeliveryAttempt.server_time).label("newest"))
                  .join(DeliveryAttempt, DeliveryAttempt.id == ProofAttachment.attempt_id)
                  .group_by(ProofAttachment.sha256).subquery())
    only_photos = ~db.exists().where(ProofAttachment.sha256 == Attachment.sha256,
                                     ProofAttachment.kind.not_in(PHOTO_KINDS))
    return list(db.session.execute(
        db.select(Attachment).join(newest_use, newest_use.c.sha256 == Attachment.sha256)
        .where(Attachment.verified.is_(True), Attachment.purged_at.is_(None), newest_use.c.newest < cutoff,
               only_photos)).scalars())


@click.command("purge-photos")
@click.option("--dry-run", is_flag=True, help="Only count what would be deleted.")
@with_appcontext
def purge_photos(dry_run: bool) -> None:
    """Delete proof photos older than PHOTO_RETENTION_DAYS; signatures and records stay."""
    store = current_app.extensions["postround.store"]
    expired = expired_photos()
    if not dry_run:
        for attachment in expired:
            store.remove(attachment.sha256)
            attachment.purged_at = now_utc()
        if expired:
            audit("attachments.purged", "attachment", None, {"count": len(expired),
                                                            "days": current_app.config["PHOTO_RETENTION_DAYS"]})
        db.session.commit()
    verb = "would delete" if dry_run else "deleted"
    click.echo(f"{verb} {len(expired)} photo(s) older than {current_app.config['PHOTO_RETENTION_DAYS']} days "
               f"/ {'sẽ xóa' if dry_run else 'đã xóa'} {len(expired)} ảnh")
