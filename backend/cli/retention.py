"""Retention: what is kept how long (docs/security.md, "Retention"), and the purge that follows it.

Circular 17/2017/TT-BTTTT Art. 14 keeps electronic records of the public postal service at least
five years; Decree 13/2023 keeps personal data no longer than needed. So every period is a
setting (backend.config.RETENTION_SETTINGS) that start-up refuses below the legal minimum, and
the purge deletes only what has outlived its own period:

- files, by the kinds of proof that name them: door photos (PHOTO_RETENTION_DAYS), ID-card and
  authorisation-letter photos (ID_PHOTO_RETENTION_DAYS), signatures (SIGNATURE_RETENTION_DAYS).
  A file named under several kinds is kept for the longest of their periods, counted from the
  newest proof that names it. The bytes go; the row stays (purged_at) as the record that it was.
- the sync ledger's copy of each mutation (LEDGER_PAYLOAD_RETENTION_DAYS): the payload is
  reduced to its id, seq and type; the row and its outcome stay, so a late retry is still a
  duplicate and never applies twice.
- the audit log (AUDIT_RETENTION_DAYS) is append-only (database triggers): the app never deletes
  it and only reports how many entries are past their period, for an archive by the DBA.

Proofs (delivery attempts), fee entries and handover records are the evidence itself and are
never deleted by the app.

Operational logs are kept only as long as they serve (settings with no legal minimum):
webhook attempts and succeeded deliveries (WEBHOOK_LOG_RETENTION_DAYS), the agency change feed's
events (AGENCY_EVENT_RETENTION_DAYS; an older cursor gets `cursor-expired`), notification attempts
with their phone numbers and texts, and the finished notifications' parameters
(NOTIFICATION_RETENTION_DAYS).
"""

from __future__ import annotations

from datetime import timedelta

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import delete, func, or_, select

from backend.audit import audit
from backend.extensions import db
from backend.models import (
    AgencyEvent,
    Attachment,
    AuditEntry,
    CommitLog,
    DeliveryAttempt,
    Notification,
    NotificationAttempt,
    ProofAttachment,
    SyncMutation,
    WebhookAttempt,
    WebhookDelivery,
)
from backend.models.base import now_utc

# Attachment kind -> the setting that says how long files of that kind are kept.
FILE_RETENTION = {
    "photo": "PHOTO_RETENTION_DAYS",
    "id_photo": "ID_PHOTO_RETENTION_DAYS",
    "authorisation_letter": "ID_PHOTO_RETENTION_DAYS",
    "signature": "SIGNATURE_RETENTION_DAYS",
    "postman_signature": "SIGNATURE_RETENTION_DAYS",
}
PHOTO_KINDS = ("photo", "id_photo", "authorisation_letter")


def _days(kind: str) -> int:
    return current_app.config[FILE_RETENTION.get(kind, "SIGNATURE_RETENTION_DAYS")]


def expired_files(now=None, kinds=None) -> list[Attachment]:
    """Verified, not yet purged files whose every kind's retention period has passed since the newest
    proof naming them. `kinds` limits the purge to files named only under those kinds."""
    now = now or now_utc()
    shortest = min(_days(k) for k in FILE_RETENTION)
    uses = db.session.execute(
        db.select(ProofAttachment.sha256, ProofAttachment.kind, func.max(DeliveryAttempt.server_time))
        .join(DeliveryAttempt, DeliveryAttempt.id == ProofAttachment.attempt_id)
        .join(Attachment, Attachment.sha256 == ProofAttachment.sha256)
        .where(Attachment.verified.is_(True), Attachment.purged_at.is_(None))
        .group_by(ProofAttachment.sha256, ProofAttachment.kind)
        .having(func.max(DeliveryAttempt.server_time) < now - timedelta(days=shortest))
    ).all()
    by_file: dict[str, list] = {}
    for sha256, kind, newest in uses:
        by_file.setdefault(sha256, []).append((kind, newest))
    due = []
    for sha256, named in by_file.items():
        if kinds is not None and any(kind not in kinds for kind, _ in named):
            continue
        newest = max(when for _, when in named)
        if newest < now - timedelta(days=max(_days(kind) for kind, _ in named)):
            due.append(sha256)
    if not due:
        return []
    # A file also named by a newer proof under a kind still inside its period was excluded by the
    # HAVING above only for that kind; re-check every use of the due files.
    recent = set(
        db.session.execute(
            db.select(ProofAttachment.sha256)
            .join(DeliveryAttempt, DeliveryAttempt.id == ProofAttachment.attempt_id)
            .where(ProofAttachment.sha256.in_(due))
            .where(DeliveryAttempt.server_time >= now - timedelta(days=shortest))
        ).scalars()
    )
    return list(
        db.session.execute(
            db.select(Attachment).where(Attachment.sha256.in_([d for d in due if d not in recent]))
        ).scalars()
    )


def expired_photos(now=None) -> list[Attachment]:
    """Photo files (door, ID card, authorisation letter) past their retention period."""
    return expired_files(now, kinds=PHOTO_KINDS)


def purge_files(files: list[Attachment]) -> int:
    store = current_app.extensions["postround.store"]
    for attachment in files:
        store.remove(attachment.sha256)
        attachment.purged_at = now_utc()
    return len(files)


def purge_ledger_payloads(now=None) -> int:
    """Reduce ledger payloads older than LEDGER_PAYLOAD_RETENTION_DAYS to their id, seq and type."""
    cutoff = (now or now_utc()) - timedelta(days=current_app.config["LEDGER_PAYLOAD_RETENTION_DAYS"])
    rows = (
        db.session.execute(db.select(SyncMutation).where(SyncMutation.received_at < cutoff)).scalars().all()
    )
    count = 0
    for row in rows:
        payload = row.payload if isinstance(row.payload, dict) else {}
        if payload.get("purged_at"):
            continue
        row.payload = {
            "id": row.id,
            "seq": row.device_seq,
            "type": row.type,
            "purged_at": now_utc().isoformat(),
        }
        count += 1
    return count


def audit_past_retention(now=None) -> int:
    cutoff = (now or now_utc()) - timedelta(days=current_app.config["AUDIT_RETENTION_DAYS"])
    return db.session.execute(db.select(func.count(AuditEntry.id)).where(AuditEntry.at < cutoff)).scalar_one()


def purge_expired(now=None, dry_run: bool = False) -> dict:
    """Everything past its retention period, in one transaction. Returns the counts."""
    files = expired_files(now)
    counts = {
        "files": len(files),
        "ledger_payloads": 0,
        "audit_entries_past_retention": audit_past_retention(now),
    }
    if dry_run:
        counts["ledger_payloads"] = db.session.execute(
            db.select(func.count(SyncMutation.id)).where(
                SyncMutation.received_at
                < (now or now_utc()) - timedelta(days=current_app.config["LEDGER_PAYLOAD_RETENTION_DAYS"])
            )
        ).scalar_one()
        db.session.rollback()
        return counts
    purge_files(files)
    counts["ledger_payloads"] = purge_ledger_payloads(now)
    if counts["files"] or counts["ledger_payloads"]:
        audit(
            "retention.purged",
            "retention",
            None,
            {
                **counts,
                **{
                    name: current_app.config[name]
                    for name in sorted(set(FILE_RETENTION.values())) + ["LEDGER_PAYLOAD_RETENTION_DAYS"]
                },
            },
        )
    db.session.commit()
    return counts


@click.command("purge-photos")
@click.option("--dry-run", is_flag=True, help="Only count what would be deleted.")
@with_appcontext
def purge_photos(dry_run: bool) -> None:
    """Delete proof photos past PHOTO_RETENTION_DAYS / ID_PHOTO_RETENTION_DAYS; signatures and records stay."""
    expired = expired_photos()
    if not dry_run:
        purge_files(expired)
        if expired:
            audit(
                "attachments.purged",
                "attachment",
                None,
                {"count": len(expired), "days": current_app.config["PHOTO_RETENTION_DAYS"]},
            )
        db.session.commit()
    verb = "would delete" if dry_run else "deleted"
    click.echo(
        f"{verb} {len(expired)} photo(s) past their retention period "
        f"/ {'sẽ xóa' if dry_run else 'đã xóa'} {len(expired)} ảnh đã hết thời hạn lưu"
    )


@click.command("purge-expired")
@click.option("--dry-run", is_flag=True, help="Only count what would be deleted.")
@with_appcontext
def purge_expired_command(dry_run: bool) -> None:
    """Delete files and ledger payloads past their retention periods (docs/security.md, "Retention")."""
    counts = purge_expired(dry_run=dry_run)
    verb = "would purge" if dry_run else "purged"
    click.echo(
        f"{verb} {counts['files']} file(s), {counts['ledger_payloads']} ledger payload(s); "
        f"{counts['audit_entries_past_retention']} audit entrie(s) past retention (kept: append-only) / "
        f"{'sẽ xóa' if dry_run else 'đã xóa'} {counts['files']} tệp, {counts['ledger_payloads']} bản ghi "
        f"đồng bộ; {counts['audit_entries_past_retention']} mục nhật ký quá hạn (giữ nguyên)"
    )


# Operational logs (not records of the postal service): kept only as long as they serve --------


def _cutoff(now, setting: str):
    return (now or now_utc()) - timedelta(days=current_app.config[setting])


def prune_webhook_log(now=None) -> dict:
    """Webhook attempts older than WEBHOOK_LOG_RETENTION_DAYS, and succeeded deliveries delivered
    before it (with their attempts); pending, sending and failed deliveries stay (replayable)."""
    cutoff = _cutoff(now, "WEBHOOK_LOG_RETENTION_DAYS")
    delivered = select(WebhookDelivery.id).where(
        WebhookDelivery.status == "succeeded", WebhookDelivery.delivered_at < cutoff
    )
    attempts = db.session.execute(
        delete(WebhookAttempt).where(
            or_(WebhookAttempt.at < cutoff, WebhookAttempt.delivery_id.in_(delivered))
        )
    ).rowcount
    deliveries = db.session.execute(
        delete(WebhookDelivery).where(WebhookDelivery.id.in_(delivered.scalar_subquery()))
    ).rowcount
    return {"webhook_attempts": attempts or 0, "webhook_deliveries": deliveries or 0}


def prune_agency_events(now=None) -> int:
    """Agency events committed before AGENCY_EVENT_RETENTION_DAYS (the change feed's promise: an
    older cursor is refused as `cursor-expired`), with their finished deliveries; an event still
    pending or being sent to an endpoint stays until that delivery ends."""
    cutoff = _cutoff(now, "AGENCY_EVENT_RETENTION_DAYS")
    old = (
        select(AgencyEvent.id)
        .join(CommitLog, CommitLog.id == AgencyEvent.ticket)
        .where(CommitLog.committed_at < cutoff)
        .where(
            ~select(WebhookDelivery.id)
            .where(
                WebhookDelivery.event_id == AgencyEvent.id,
                WebhookDelivery.status.in_(("pending", "sending")),
            )
            .exists()
        )
    )
    ids = list(db.session.execute(old).scalars())
    count = 0
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        deliveries = select(WebhookDelivery.id).where(WebhookDelivery.event_id.in_(chunk))
        db.session.execute(delete(WebhookAttempt).where(WebhookAttempt.delivery_id.in_(deliveries)))
        db.session.execute(delete(WebhookDelivery).where(WebhookDelivery.event_id.in_(chunk)))
        count += db.session.execute(delete(AgencyEvent).where(AgencyEvent.id.in_(chunk))).rowcount or 0
    return count


def prune_notifications(now=None) -> dict:
    """Notification attempts (the phone number and the text as the citizen read it) older than
    NOTIFICATION_RETENTION_DAYS are deleted; finished notifications created before it keep their
    event, channel, status and times (what was told, when) but lose their parameters (names,
    addresses in the message)."""
    cutoff = _cutoff(now, "NOTIFICATION_RETENTION_DAYS")
    attempts = db.session.execute(delete(NotificationAttempt).where(NotificationAttempt.at < cutoff)).rowcount
    params = 0
    for notification in db.session.execute(
        select(Notification).where(
            Notification.created_at < cutoff, Notification.status.in_(("sent", "failed", "skipped"))
        )
    ).scalars():
        if notification.params:
            notification.params = {}
            params += 1
    return {"notification_attempts": attempts or 0, "notification_params": params}


def prune_operational(now=None) -> dict:
    """Every operational log past its period (maintenance runs it beside the purge of files)."""
    counts = {**prune_webhook_log(now), "agency_events": prune_agency_events(now), **prune_notifications(now)}
    if any(counts.values()):
        audit(
            "retention.pruned",
            "retention",
            None,
            {
                **counts,
                **{
                    name: current_app.config[name]
                    for name in (
                        "WEBHOOK_LOG_RETENTION_DAYS",
                        "AGENCY_EVENT_RETENTION_DAYS",
                        "NOTIFICATION_RETENTION_DAYS",
                    )
                },
            },
        )
    db.session.commit()
    return counts
