"""Post offices: a province unit and the commune post offices under it (DOMAIN.md, "Since the 2025
reform"). Items, rounds and handover records carry their office; supervisors and postmen belong to
one or more offices; who sees which office is backend.auth.scope."""

from __future__ import annotations

from datetime import datetime, time

from sqlalchemy import BigInteger, Column, ForeignKey, String, Table, Time
from sqlalchemy.orm import Mapped, mapped_column, relationship

from backend.extensions import db
from backend.models.base import UTCDateTime, now_utc

OFFICE_KINDS = ("province", "commune")

office_agencies = Table(
    "office_agencies",
    db.metadata,
    Column("office_id", ForeignKey("post_offices.id"), primary_key=True),
    Column("agency_id", ForeignKey("agencies.id"), primary_key=True, index=True),
)

user_offices = Table(
    "user_offices",
    db.metadata,
    Column("user_id", ForeignKey("users.id"), primary_key=True),
    Column("office_id", ForeignKey("post_offices.id"), primary_key=True, index=True),
)


class PostOffice(db.Model):
    """A province unit (kind `province`) or a commune post office (kind `commune`, `parent_id` its
    province unit). A commune office's position is where its rounds start; its bank account is the
    VietQR payee for fees collected at the door; its hours are local time."""

    __tablename__ = "post_offices"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16), default="commune")
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("post_offices.id"), index=True)
    address: Mapped[str | None] = mapped_column(String(300))
    lat: Mapped[float | None]
    lon: Mapped[float | None]
    phone: Mapped[str | None] = mapped_column(String(20))
    bank_bin: Mapped[str | None] = mapped_column(String(8))  # NAPAS bank BIN, six digits
    bank_account: Mapped[str | None] = mapped_column(String(32))
    bank_account_name: Mapped[str | None] = mapped_column(String(100))
    opens_at: Mapped[time | None] = mapped_column(Time)
    closes_at: Mapped[time | None] = mapped_column(Time)
    active: Mapped[bool] = mapped_column(default=True)
    # The commit_log ticket of the transaction that last changed it (sync.changes): its bank account,
    # position or hours reach the phones of its rounds on their next incremental pull.
    change_ticket: Mapped[int] = mapped_column("change_seq", BigInteger, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)

    parent = relationship("PostOffice", remote_side=[id], lazy="joined")
    agencies = relationship("Agency", secondary=office_agencies, order_by="Agency.code")

    @property
    def position(self) -> tuple[float, float] | None:
        return None if self.lat is None or self.lon is None else (self.lat, self.lon)
