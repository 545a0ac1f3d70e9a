"""Agencies (one-stop shops) and the procedures they handle."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, CheckConstraint, String
from sqlalchemy.orm import Mapped, mapped_column

from backend.extensions import db
from backend.models.base import UTCDateTime, now_utc

AGENCY_KINDS = ("district_office", "commune_centre", "provincial_department", "other")


class Agency(db.Model):
    """An office whose one-stop shop hands items to the post: generic on purpose (see DOMAIN.md)."""

    __tablename__ = "agencies"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(32), default="commune_centre")
    province: Mapped[str] = mapped_column(String(100))
    commune: Mapped[str | None] = mapped_column(String(100))
    address: Mapped[str | None] = mapped_column(String(300))
    lat: Mapped[float | None]
    lon: Mapped[float | None]
    active: Mapped[bool] = mapped_column(default=True)
    # The VietQR payee for the government fee paid at the door (migration 0017_agency_bank_account).
    bank_bin: Mapped[str | None] = mapped_column(String(8))  # NAPAS bank BIN, six digits
    bank_account: Mapped[str | None] = mapped_column(String(32))
    bank_account_name: Mapped[str | None] = mapped_column(String(100))
    # The commit_log ticket of the transaction that last changed it (sync.changes): a new bank
    # account reaches the phones on their next incremental pull.
    change_ticket: Mapped[int] = mapped_column("change_seq", BigInteger, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)


class Procedure(db.Model):
    """An administrative procedure; `checklist` lists its papers, each an original or a copy."""

    __tablename__ = "procedures"
    __table_args__ = (CheckConstraint("government_fee >= 0", name="government_fee_non_negative"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(300))
    allowed_by_post: Mapped[bool] = mapped_column(default=True)
    government_fee: Mapped[int] = mapped_column(default=0)
    # [{"name": str, "form": "original"|"copy", "required": bool}, ...]
    checklist: Mapped[list] = mapped_column(JSON, default=list)
    # The commit_log ticket of the transaction that last changed it (sync.changes).
    change_ticket: Mapped[int] = mapped_column("change_seq", BigInteger, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
