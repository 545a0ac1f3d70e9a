"""A supervisor's note that an exception on the dashboard was seen and handled."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from backend.extensions import db
from backend.models.base import UTCDateTime, now_utc


class ExceptionAck(db.Model):
    """`subject` names what the exception is about (see services/dashboard.py: a proof, an item and
    its due date, a postman's silence since a time), so a new occurrence is a new exception."""

    __tablename__ = "exception_acks"
    __table_args__ = (UniqueConstraint("kind", "subject", name="exception_ack_subject"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    subject: Mapped[str] = mapped_column(String(96))
    note: Mapped[str | None] = mapped_column(String(1000))
    acknowledged_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    acknowledged_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
