"""Messages to citizens (docs/notifications.md): the outbox, the log of every attempt, the opt-outs.

A row of `notifications` is written in the same transaction as the change that causes it (a result
from the door, the morning of a round), once per (item, key): the key names the event and what
makes it unique (`failed:2` for the second failed visit, `morning:2026-12-01` for that day's round).
The worker sends it later; every try, sent or not, is a row of `notification_attempts`.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from backend.extensions import db
from backend.models.base import UTCDateTime, now_utc


class Notification(db.Model):
    __tablename__ = "notifications"
    __table_args__ = (
        UniqueConstraint("item_id", "key"),
        Index("ix_notifications_status_due", "status", "due_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"), index=True)
    event: Mapped[str] = mapped_column(String(16))  # morning, near, delivered, failed, pickup
    key: Mapped[str] = mapped_column(String(64))  # the event and what makes it one: "failed:2"
    channel: Mapped[str] = mapped_column(String(8))  # sms, zns
    params: Mapped[dict] = mapped_column(JSON, default=dict)  # the template's parameters
    status: Mapped[str] = mapped_column(String(12), default="pending")  # pending, sent, failed, skipped
    due_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)  # not before (retry, quiet hours)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    claim: Mapped[str | None] = mapped_column(String(36))  # the sending worker's token
    provider_id: Mapped[str | None] = mapped_column(String(100))
    last_error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class NotificationAttempt(db.Model):
    __tablename__ = "notification_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    notification_id: Mapped[int] = mapped_column(ForeignKey("notifications.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    channel: Mapped[str] = mapped_column(String(8))
    phone: Mapped[str | None] = mapped_column(String(20))
    message: Mapped[str | None] = mapped_column(Text)  # the text as the citizen reads it
    outcome: Mapped[str] = mapped_column(String(12))  # sent, error, skipped, deferred
    http_status: Mapped[int | None]
    provider_id: Mapped[str | None] = mapped_column(String(100))
    error: Mapped[str | None] = mapped_column(String(500))


class NotificationOptOut(db.Model):
    """No message to this phone (the citizen's STOP) or about this item (a supervisor's flag)."""

    __tablename__ = "notification_opt_outs"

    id: Mapped[int] = mapped_column(primary_key=True)
    phone: Mapped[str | None] = mapped_column(String(20), unique=True)  # international digits, 84…
    item_id: Mapped[int | None] = mapped_column(ForeignKey("items.id"), unique=True)
    source: Mapped[str] = mapped_column(String(16))  # citizen, supervisor
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)


class ZnsToken(db.Model):
    """Zalo's OA tokens as they stand (one row, id 1): the access token expires (~25 h) and the
    refresh token is single-use, so both live here, not in the settings, once the first refresh has
    spent the configured ones. `claim` is the refreshing worker's token (a compare-and-set: one at a
    time); `seed` the hash of the configured pair, so an operator's new pair replaces the stored one."""

    __tablename__ = "zns_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    access_token: Mapped[str] = mapped_column(Text)
    refresh_token: Mapped[str | None] = mapped_column(Text)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # unknown for a configured token
    seed: Mapped[str] = mapped_column(String(64))
    claim: Mapped[str | None] = mapped_column(String(36))
    claim_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
