"""What an agency's system is told (docs/agency-api.md): the agency events, written in the same
transaction as the change they describe (the outbox), the webhook endpoints an agency registered,
one delivery per endpoint and event, and every attempt at it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from backend.extensions import db
from backend.models.base import UTCDateTime, now_utc


class AgencyEvent(db.Model):
    """One change an agency's system sees (a status change, a failed visit, a handover record), in the
    transaction `ticket` (a CommitLog id): its place in the change feed is that row's seq, then `id`."""

    __tablename__ = "agency_events"
    __table_args__ = (Index("ix_agency_events_agency_ticket", "agency_id", "ticket"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    ticket: Mapped[int] = mapped_column(BigInteger, index=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    office_id: Mapped[int | None] = mapped_column(ForeignKey("post_offices.id"))
    item_id: Mapped[int | None] = mapped_column(ForeignKey("items.id"), index=True)
    handover_id: Mapped[int | None] = mapped_column(ForeignKey("handovers.id"))
    type: Mapped[str] = mapped_column(String(40))  # backend.services.agency_events.EVENT_TYPES
    data: Mapped[dict] = mapped_column(JSON)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)


class WebhookEndpoint(db.Model):
    """A URL of an agency's system that wants some event types, signed with its own secret."""

    __tablename__ = "webhook_endpoints"

    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), index=True)
    url: Mapped[str] = mapped_column(String(2000))
    description: Mapped[str | None] = mapped_column(String(200))
    # The Standard Webhooks secret, "whsec_" + base64 of 32 random bytes: shown once, kept to sign,
    # sealed at rest ("fernet:" + token under WEBHOOK_SECRET_KEY, backend/secretbox.py).
    secret_sealed: Mapped[str] = mapped_column(String(400), server_default="")
    events: Mapped[list] = mapped_column(JSON)
    active: Mapped[bool] = mapped_column(default=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    # One worker at a time sends to an endpoint (its deliveries go in event order): its lease.
    lease: Mapped[str | None] = mapped_column(String(36))
    leased_until: Mapped[datetime | None] = mapped_column(UTCDateTime)


class WebhookDelivery(db.Model):
    """One event for one endpoint (its `id` is the message's webhook-id, the same on every attempt).

    pending (due at `next_attempt_at`) -> sending (claimed by a worker) -> succeeded, or back to
    pending with a later time after a failure, or failed once out of attempts; a replay makes a
    delivery pending again, due now."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        UniqueConstraint("endpoint_id", "event_id", name="webhook_delivery_once"),
        Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)  # "msg_" + 32 hex digits
    endpoint_id: Mapped[int] = mapped_column(ForeignKey("webhook_endpoints.id"), index=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("agency_events.id"))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=now_utc)
    claim: Mapped[str | None] = mapped_column(String(36))
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_status_code: Mapped[int | None]
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)

    endpoint = relationship("WebhookEndpoint")
    event = relationship("AgencyEvent")


class WebhookAttempt(db.Model):
    """One try at sending a delivery: when, how long, the answer's status code or the error."""

    __tablename__ = "webhook_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    delivery_id: Mapped[str] = mapped_column(ForeignKey("webhook_deliveries.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    status_code: Mapped[int | None]
    duration_ms: Mapped[int] = mapped_column(default=0)
    error: Mapped[str | None] = mapped_column(Text)
    replay: Mapped[bool] = mapped_column(default=False)
