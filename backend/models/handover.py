"""Handover records (biên bản bàn giao) between an agency and the post office."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, String, UniqueConstraint, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from backend.extensions import db
from backend.models.base import FileLink, UTCDateTime, now_utc

HANDOVER_DIRECTIONS = ("agency_to_post", "post_to_agency")
# A record typed from paper is `signed` at once; an electronic one waits for the other side's
# signature (`awaiting_post`, `awaiting_agency`) and is `signed` when it lands, or `withdrawn` by the side
# that drew it up before that (backend.domain.handover_rules).
HANDOVER_STATUSES = ("signed", "awaiting_post", "awaiting_agency", "withdrawn")


class Handover(db.Model):
    __tablename__ = "handovers"
    __table_args__ = (
        CheckConstraint("direction in ('agency_to_post', 'post_to_agency')", name="direction_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    client_mutation_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    direction: Mapped[str] = mapped_column(String(16))
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), index=True)
    office_id: Mapped[int | None] = mapped_column(ForeignKey("post_offices.id"), index=True)
    postman_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    officer_name: Mapped[str | None] = mapped_column(String(200))
    result_ready_date: Mapped[date | None] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(String(1000))
    # The number on the seal of the bag handed over (records from before 0020 have it in `note`).
    seal_number: Mapped[str | None] = mapped_column(String(64))
    # Set when the officer's signature, arriving after the record, turns out blank ("blank-signature"):
    # the record is kept (the papers moved) and shown flagged to a supervisor, like a proof.
    flag_reason: Mapped[str | None] = mapped_column(String(64))
    device_time: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc, index=True)
    status: Mapped[str] = mapped_column(String(16), default="signed", server_default="signed")
    # Electronic records: when the second signature landed (server time), the record's legal time.
    signed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    signed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    signer_name: Mapped[str | None] = mapped_column(String(200))  # who signed second, as they typed it

    lines = relationship("HandoverLine", back_populates="handover", order_by="HandoverLine.id")
    attachments = relationship(
        "HandoverAttachment", back_populates="handover", order_by="HandoverAttachment.id"
    )
    agency = relationship("Agency")

    @property
    def fee_total(self) -> int:
        return sum(line.fee_passed_on for line in self.lines)


# When a record passed what it lists on: its legal time (the second signature) for an electronic
# record, when it was typed for one copied from signed paper. Every fee figure dates handovers by it.
handed_over_at = func.coalesce(Handover.signed_at, Handover.created_at)


class HandoverLine(db.Model):
    __tablename__ = "handover_lines"
    __table_args__ = (
        UniqueConstraint("handover_id", "item_id", name="handover_item"),
        CheckConstraint("originals >= 0 AND copies >= 0", name="counts_non_negative"),
        CheckConstraint("fee_passed_on >= 0", name="fee_non_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    handover_id: Mapped[int] = mapped_column(ForeignKey("handovers.id"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"), index=True)
    originals: Mapped[int] = mapped_column(default=0)
    copies: Mapped[int] = mapped_column(default=0)
    fee_passed_on: Mapped[int] = mapped_column(default=0)  # VND

    handover = relationship("Handover", back_populates="lines")
    item = relationship("Item")


class HandoverAttachment(FileLink, db.Model):
    """Evidence a handover record keeps: the agency officer's signature, a photo (the phone's
    `handover` mutation), linked by digest like a proof's files (FileLink)."""

    __tablename__ = "handover_attachments"
    __table_args__ = (UniqueConstraint("handover_id", "sha256", "kind", name="handover_file_kind"),)

    handover_id: Mapped[int] = mapped_column(ForeignKey("handovers.id"), index=True)

    handover = relationship("Handover", back_populates="attachments")


CASH_STATUSES = ("declared", "received")


class CashHandover(db.Model):
    """Cash a postman handed to their post office at the end of a day (backend.domain.handover_rules,
    "Cash handed to the office"): service fees and government fees in cash, separately. From the
    phone (sync `cash_handover`, `declared` until a supervisor confirms receiving it) or recorded by
    the supervisor who took it (`received`)."""

    __tablename__ = "cash_handovers"
    __table_args__ = (
        CheckConstraint(
            "service_fee_cash >= 0 AND government_fee_cash >= 0", name="cash_amounts_non_negative"
        ),
        CheckConstraint("status in ('declared', 'received')", name="cash_status_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    client_mutation_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    office_id: Mapped[int | None] = mapped_column(ForeignKey("post_offices.id"), index=True)
    postman_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    day: Mapped[date] = mapped_column(Date, index=True)  # the local day whose cash it is
    service_fee_cash: Mapped[int] = mapped_column(default=0)  # VND
    government_fee_cash: Mapped[int] = mapped_column(default=0)  # VND
    status: Mapped[str] = mapped_column(String(16))
    # Set when the phone's record carried more than the postman held (the money moved: kept, flagged).
    flag_reason: Mapped[str | None] = mapped_column(String(32))
    note: Mapped[str | None] = mapped_column(String(1000))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    received_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    received_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    device_time: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)

    postman = relationship("User", foreign_keys=[postman_id])
    received_by = relationship("User", foreign_keys=[received_by_id])

    @property
    def total(self) -> int:
        return self.service_fee_cash + self.government_fee_cash


ITEM_REQUEST_KINDS = ("hold", "cancel")
ITEM_REQUEST_STATUSES = ("open", "done", "declined")


class ItemRequest(db.Model):
    """An agency asks the post to hold or cancel one of its items; a supervisor acts on it
    (backend.services.handovers, "Requests from the agency")."""

    __tablename__ = "item_requests"
    __table_args__ = (
        CheckConstraint("kind in ('hold', 'cancel')", name="item_request_kind_known"),
        CheckConstraint("status in ('open', 'done', 'declined')", name="item_request_status_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"), index=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(16), default="open", index=True)
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    note: Mapped[str | None] = mapped_column(String(500))

    item = relationship("Item")
