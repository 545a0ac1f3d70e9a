"""A citizen's complaint about one item (Circular 17 Art. 13: settled within 5 working days inside a
province, 7 between provinces; counted in the quarterly report)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from backend.extensions import db
from backend.models.base import UTCDateTime, now_utc


class Complaint(db.Model):
    __tablename__ = "complaints"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"), index=True)
    office_id: Mapped[int | None] = mapped_column(ForeignKey("post_offices.id"), index=True)
    text: Mapped[str] = mapped_column(String(2000))
    filed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc, index=True)
    due_on: Mapped[date] = mapped_column(Date)  # the last working day to answer it
    answer: Mapped[str | None] = mapped_column(String(2000))
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    item = relationship("Item", lazy="joined")
