"""Delivery attempts (proof of delivery) and their attachments: legal evidence."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, CheckConstraint, Date, ForeignKey, Index, String, UniqueConstraint, func, or_
from sqlalchemy.orm import Mapped, mapped_column, relationship

from backend.domain.status import FailureReason, Outcome
from backend.extensions import db
from backend.models.base import FileLink, UTCDateTime, now_utc

OUTCOMES = tuple(outcome.value for outcome in Outcome)
RECEIVER_RELATIONS = ("self", "authorised")
FAILURE_REASONS = tuple(reason.value for reason in FailureReason)
ATTACHMENT_KINDS = ("signature", "postman_signature", "photo", "id_photo", "authorisation_letter")


class DeliveryAttempt(db.Model):
    """One attempt at an item's address, successful or not. Never updated after the fact
    except for flags and attachment completeness."""

    __tablename__ = "delivery_attempts"
    __table_args__ = (
        CheckConstraint("fee_collected >= 0", name="fee_non_negative"),
        CheckConstraint("government_fee_collected >= 0", name="gov_fee_non_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # The phone's id for the mutation that created it: the exactly-once key.
    client_mutation_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"), index=True)
    postman_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    device_id: Mapped[str | None] = mapped_column(ForeignKey("devices.id"))
    # Indexed: the dashboard looks up the proofs of a day's rounds (migration 0011).
    round_id: Mapped[int | None] = mapped_column(ForeignKey("rounds.id"), index=True)
    outcome: Mapped[str] = mapped_column(String(16))
    reason_code: Mapped[str | None] = mapped_column(String(32))
    note: Mapped[str | None] = mapped_column(String(1000))
    next_attempt_date: Mapped[date | None] = mapped_column(Date)

    receiver_name: Mapped[str | None] = mapped_column(String(200))
    receiver_relation: Mapped[str | None] = mapped_column(String(16))
    id_number_masked: Mapped[str | None] = mapped_column(String(32))  # e.g. ********1234
    id_number_hash: Mapped[str | None] = mapped_column(String(64))  # keyed hash, for matching only
    # Which ID_HASH_KEY made the hash (ID_HASH_KEY_ID); "legacy" for hashes made with the old
    # token-signing key before 0007, which cannot be re-keyed without the clear number.
    id_number_hash_key: Mapped[str | None] = mapped_column(String(16))

    lat: Mapped[float | None]
    lon: Mapped[float | None]
    accuracy_m: Mapped[float | None]
    device_time: Mapped[datetime | None] = mapped_column(UTCDateTime)
    server_time: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc, index=True)

    fee_collected: Mapped[int] = mapped_column(default=0)
    government_fee_collected: Mapped[int] = mapped_column(default=0)
    receipt_number: Mapped[str | None] = mapped_column(String(64))

    # Dossier collection
    checklist: Mapped[list | None] = mapped_column(JSON)
    missing_papers: Mapped[str | None] = mapped_column(String(1000))
    seal_number: Mapped[str | None] = mapped_column(String(64))

    # Set when the item was reassigned or cancelled before this proof arrived.
    flagged: Mapped[bool] = mapped_column(default=False, index=True)
    flag_reason: Mapped[str | None] = mapped_column(String(64))
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # when it was reviewed
    # A supervisor's decision on a flagged proof: NULL (pending), accepted or rejected.
    review: Mapped[str | None] = mapped_column(String(16))
    review_note: Mapped[str | None] = mapped_column(String(1000))
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # A failed visit: whether it counted as one of the regulation's invitations (None otherwise).
    counts_as_invitation: Mapped[bool | None]
    complete: Mapped[bool] = mapped_column(default=True)  # all attachments verified

    item = relationship("Item")
    attachments = relationship("ProofAttachment", back_populates="attempt")

    @classmethod
    def counted(cls):
        """SQL: the proofs that moved their item (not flagged, or flagged and then accepted)."""
        return or_(cls.flagged.is_(False), cls.review == "accepted")


class Attachment(db.Model):
    """Content-addressed file: stored once however often it is sent."""

    __tablename__ = "attachments"
    __table_args__ = (CheckConstraint("size_bytes >= 0", name="size_non_negative"),)

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size_bytes: Mapped[int]
    media_type: Mapped[str] = mapped_column(String(64))
    storage_path: Mapped[str] = mapped_column(String(300))
    received_bytes: Mapped[int] = mapped_column(default=0)  # resumable upload progress
    verified: Mapped[bool] = mapped_column(default=False)
    width: Mapped[int | None]
    height: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Files are deleted after their retention period (docs/security.md); the row stays as a record.
    purged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Share of pixels that differ from the background (a signature needs SIGNATURE_MIN_INK).
    ink_share: Mapped[float | None]


class AttachmentUpload(db.Model):
    """Who has sent the whole of a verified file (proof of possession). A proof counts a file only
    once its own postman has uploaded it; bytes are stored once however many have."""

    __tablename__ = "attachment_uploads"
    __table_args__ = (UniqueConstraint("sha256", "user_id", name="attachment_upload_once"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    size_bytes: Mapped[int]
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)


class ProofAttachment(FileLink, db.Model):
    __tablename__ = "proof_attachments"
    __table_args__ = (UniqueConstraint("attempt_id", "sha256", "kind", name="attempt_file_kind"),)

    attempt_id: Mapped[int] = mapped_column(ForeignKey("delivery_attempts.id"), index=True)

    attempt = relationship("DeliveryAttempt", back_populates="attachments")


PAYMENT_METHODS = ("cash", "transfer")  # how a fee was paid at the door; absent in a mutation = cash


class FeeEntry(db.Model):
    """Money a postman collected: one entry per proof (or per separate fee mutation). Each fee kind was
    paid in cash (the postman holds it until the handover) or by VietQR transfer (straight to the
    payee's account); PAYMENT_METHODS."""

    __tablename__ = "fee_entries"
    __table_args__ = (
        CheckConstraint("service_fee >= 0 AND government_fee >= 0", name="amounts_non_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    client_mutation_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"), index=True)
    attempt_id: Mapped[int | None] = mapped_column(ForeignKey("delivery_attempts.id"))
    postman_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    service_fee: Mapped[int] = mapped_column(default=0)  # VND
    government_fee: Mapped[int] = mapped_column(default=0)  # VND
    service_fee_payment: Mapped[str] = mapped_column(String(8), default="cash", server_default="cash")
    government_fee_payment: Mapped[str] = mapped_column(String(8), default="cash", server_default="cash")
    receipt_number: Mapped[str | None] = mapped_column(String(64))
    device_time: Mapped[datetime | None] = mapped_column(UTCDateTime)
    server_time: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc, index=True)
    handed_over_id: Mapped[int | None] = mapped_column(ForeignKey("handovers.id"))


# When a fee's money changed hands: the phone's time of the proof, else the server's. A day's cash per
# postman is read by it (backend.services.cash); the index keeps that read flat as the years of fees
# grow (migration 0021_fee_taken_index, docs/scaling.md).
fee_taken_at = func.coalesce(FeeEntry.device_time, FeeEntry.server_time)
Index("ix_fee_entries_taken", fee_taken_at)
