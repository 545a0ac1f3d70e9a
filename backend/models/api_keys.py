"""Machine credentials of an agency's system, and the item creations it may retry."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from backend.extensions import db
from backend.models.base import UTCDateTime, now_utc


class ApiKey(db.Model):
    """One agency system's key. Only a SHA-256 of the key is stored; the key is shown once.

    The key acts as its own system account (`user`: role `agency`, of the key's agency, with no
    password), so every scope rule, audit entry and role check treats it exactly like an agency
    officer of that agency, and revoking the key refuses it at the next request.
    """

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    # The public part of the key ("prk_<prefix>_<secret>"): names it in lists, logs and revocation.
    prefix: Mapped[str] = mapped_column(String(16), unique=True)
    secret_hash: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(100))
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), unique=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Written at most once a minute (LAST_USED_EVERY), outside the request's transaction.
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    agency = relationship("Agency", lazy="joined")
    user = relationship("User", foreign_keys=[user_id])


class ItemCreation(db.Model):
    """An agency's creation of one item under an idempotency key: a retry with the same key and
    body is answered with that item, never a second one (docs/agency-api.md, "Retrying")."""

    __tablename__ = "item_creations"
    __table_args__ = (UniqueConstraint("agency_id", "idempotency_key", name="agency_idempotency_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    idempotency_key: Mapped[str] = mapped_column(String(255))
    body_hash: Mapped[str] = mapped_column(String(64))
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)

    item = relationship("Item")
