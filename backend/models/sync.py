"""What the offline sync protocol keeps on the server (see docs/sync-protocol.md)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, String, UniqueConstraint, event
from sqlalchemy.orm import Mapped, mapped_column

from backend.extensions import db
from backend.models.base import UTCDateTime, now_utc


class SyncClock(db.Model):
    """A single row whose counter is the pull cursor: the seq of the last committed change.

    A writing transaction bumps it once, as the last thing it does before COMMIT (sync.changes), and
    holds the row lock only for that commit: seq order is commit order, so a reader that sees
    sequence N has seen every change numbered N or less. Never a clock: phones' clocks may be hours off.
    """

    __tablename__ = "sync_clock"

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, default=0)


@event.listens_for(SyncClock.__table__, "after_create")
def _seed_clock(table, connection, **kwargs) -> None:
    # create_all (tests) gets the row the migration creates in production.
    connection.execute(table.insert().values(id=1, seq=0))


class CommitLog(db.Model):
    """One row per writing transaction: its ticket (`id`), taken at its first change, and its `seq`.

    Changed rows carry the ticket (no contention: every transaction inserts its own row). `seq`
    stays NULL until the transaction commits: it is taken from the SyncClock just before COMMIT,
    so readers, which join on `seq`, never see a change before everything numbered below it.
    Rows changed before the commit log existed carry their old sequence number as a ticket whose
    row has seq = ticket (migration 0010), so cursors phones hold stay valid.
    """

    __tablename__ = "commit_log"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    seq: Mapped[int | None] = mapped_column(BigInteger, unique=True)
    committed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ScopeRemoval(db.Model):
    """An item left a postman's phone (reassigned away or cancelled) in the transaction `ticket`
    (a CommitLog id: the removal's commit sequence is that row's seq)."""

    __tablename__ = "sync_scope_removals"
    __table_args__ = (Index("ix_sync_scope_removals_postman_seq", "postman_id", "seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket: Mapped[int] = mapped_column("seq", BigInteger)
    postman_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"), index=True)
    reason: Mapped[str] = mapped_column(String(32))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)


class SyncMutation(db.Model):
    """The ledger: one row per client mutation ever received, with the outcome sent back.

    Written in the same transaction as the mutation's effect, so a replay finds it
    and gets the stored outcome instead of a second effect.
    """

    __tablename__ = "sync_mutations"
    __table_args__ = (
        UniqueConstraint("device_id", "device_seq", name="device_seq"),
        Index("ix_sync_mutations_device_received", "device_id", "received_at"),  # a phone's day (dashboard)
    )

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # client-generated
    device_id: Mapped[str] = mapped_column(ForeignKey("devices.id"))
    device_seq: Mapped[int] = mapped_column(BigInteger)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    type: Mapped[str] = mapped_column(String(32))
    item_id: Mapped[int | None] = mapped_column(ForeignKey("items.id"), index=True)
    outcome: Mapped[str] = mapped_column(String(16))  # applied | rejected
    reason: Mapped[str | None] = mapped_column(String(64))
    result: Mapped[dict] = mapped_column(JSON)
    # The mutation exactly as received: evidence even when it was rejected.
    payload: Mapped[dict] = mapped_column(JSON)
    # SHA-256 of the mutation as received, canonical JSON (sync.push.payload_hash): a retry must match
    # it to be a duplicate. NULL for mutations recorded before it existed (treated as matching).
    payload_hash: Mapped[str | None] = mapped_column(String(64))
    app_version: Mapped[str | None] = mapped_column(String(32))
    device_time: Mapped[datetime | None] = mapped_column(UTCDateTime)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
