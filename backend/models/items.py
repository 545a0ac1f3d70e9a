"""Items (one dossier movement each) and the rounds that carry them."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    DDL,
    BigInteger,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    String,
    UniqueConstraint,
    event,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from backend.domain.round_status import RoundStatus
from backend.domain.status import Status
from backend.domain.text import phone_digits, search_text
from backend.extensions import db
from backend.models.base import UTCDateTime, now_utc

ROUND_STATUSES = tuple(s.value for s in RoundStatus)


class Round(db.Model):
    """A postman's round on one day: an ordered list of stops (items)."""

    __tablename__ = "rounds"
    __table_args__ = (UniqueConstraint("postman_id", "round_date", name="postman_day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    postman_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    round_date: Mapped[date] = mapped_column(Date, index=True)
    status: Mapped[str] = mapped_column(String(16), default=RoundStatus.PLANNED.value)
    note: Mapped[str | None] = mapped_column(String(500))
    office_id: Mapped[int | None] = mapped_column(ForeignKey("post_offices.id"), index=True)
    total_distance_m: Mapped[int | None]
    # The plan's version: one more at every planning change (backend.services.rounds.bump_version);
    # a change sent with If-Match of an older one is refused 412. A phone's outcome does not count.
    version: Mapped[int] = mapped_column(default=1, server_default="1")
    # The commit_log ticket of the transaction that last changed it (sync.changes).
    change_ticket: Mapped[int] = mapped_column("change_seq", BigInteger, default=0, index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc, onupdate=now_utc)

    postman = relationship("User", foreign_keys=[postman_id], lazy="joined")
    office = relationship("PostOffice")
    items = relationship("Item", back_populates="round", order_by="Item.stop_order")


class Item(db.Model):
    """One dossier movement: `collect` (citizen -> agency) or `return` (agency -> citizen)."""

    __tablename__ = "items"
    __table_args__ = (
        CheckConstraint("service_fee >= 0", name="service_fee_non_negative"),
        CheckConstraint("government_fee >= 0", name="government_fee_non_negative"),
        CheckConstraint("attempt_count >= 0", name="attempt_count_non_negative"),
        CheckConstraint("invitation_count >= 0", name="invitation_count_non_negative"),
        CheckConstraint("direction in ('collect', 'return')", name="direction_known"),
        Index("ix_items_round_stop", "round_id", "stop_order"),
        # What a report needs of each proof's item, in the index: the month's look-ups never visit the
        # items table (migration 0015_report_indexes, docs/scaling.md).
        Index("ix_items_report", "id", "office_id", "agency_id", "procedure_id", "due_date"),
        # The search box's LIKE '%word%' per folded word: a pg_trgm GIN index on PostgreSQL; on SQLite
        # a plain index of the same name (migration 0024_search_trigram, docs/dashboard.md).
        Index(
            "ix_items_search_trgm",
            "search_text",
            postgresql_using="gin",
            postgresql_ops={"search_text": "gin_trgm_ops"},
        ),
        # The search box's result order, newest change first: read in index order and stopped at the
        # page, never all matches sorted (migration 0029_search_lookup, docs/dashboard.md).
        Index("ix_items_updated", "updated_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(13), unique=True)  # UPU S10
    direction: Mapped[str] = mapped_column(String(8))
    dossier_code: Mapped[str | None] = mapped_column(String(64), index=True)
    procedure_id: Mapped[int] = mapped_column(ForeignKey("procedures.id"), index=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), index=True)
    office_id: Mapped[int | None] = mapped_column(ForeignKey("post_offices.id"), index=True)

    recipient_name: Mapped[str] = mapped_column(String(200))
    recipient_phone: Mapped[str | None] = mapped_column(String(20))
    address_line: Mapped[str] = mapped_column(String(300))
    commune: Mapped[str] = mapped_column(String(100), index=True)  # current commune/ward (post-2025)
    province: Mapped[str] = mapped_column(String(100))
    old_address: Mapped[str | None] = mapped_column(String(300))  # pre-2025 address, if known
    lat: Mapped[float | None]
    lon: Mapped[float | None]

    service_fee: Mapped[int] = mapped_column(default=0)  # VND
    government_fee: Mapped[int] = mapped_column(default=0)  # VND
    due_date: Mapped[date | None] = mapped_column(Date, index=True)
    attempt_count: Mapped[int] = mapped_column(default=0)  # every failed visit
    # Failed visits that count for the regulation (the first, then each one at least
    # REATTEMPT_SPACING_WORKING_DAYS working days after the last one that counted).
    invitation_count: Mapped[int] = mapped_column(default=0)
    last_invitation_on: Mapped[date | None] = mapped_column(Date)  # local date of that last one
    status: Mapped[str] = mapped_column(String(24), default=Status.REGISTERED.value, index=True)
    note: Mapped[str | None] = mapped_column(String(500))
    # The citizen's own answer from the tracking link (backend/services/citizen.py, docs/citizen.md):
    # `another_day` (on `citizen_day`), `stand_in` (`stand_in_name` will show an authorisation
    # letter), `pickup` at the post office, or `booked` for a collection the citizen asked for
    # (`citizen_day` the preferred day). Shown to the supervisor and sent to the phone on its pull.
    citizen_choice: Mapped[str | None] = mapped_column(String(16))
    citizen_day: Mapped[date | None] = mapped_column(Date)
    stand_in_name: Mapped[str | None] = mapped_column(String(200))
    citizen_choice_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    round_id: Mapped[int | None] = mapped_column(ForeignKey("rounds.id"), index=True)
    stop_order: Mapped[int | None]
    leg_distance_m: Mapped[int | None]  # geodesic distance from the previous stop

    # Diacritic-free, lower-case copy of the searchable text (see domain.text.fold).
    search_text: Mapped[str] = mapped_column(String(1000), default="")
    # The phone's digits only (0912345678 for "0912 345 678"): the search box's direct look-up of a
    # typed phone number, before the word search (backend/services/search.py).
    phone_digits: Mapped[str | None] = mapped_column(String(20), index=True)
    # The commit_log ticket of the transaction that last changed it (sync.changes).
    change_ticket: Mapped[int] = mapped_column("change_seq", BigInteger, default=0, index=True)
    version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc, onupdate=now_utc)

    __mapper_args__ = {"version_id_col": version}

    procedure = relationship("Procedure", lazy="joined")
    agency = relationship("Agency", lazy="joined")
    office = relationship("PostOffice")
    round = relationship("Round", back_populates="items")

    def refresh_search_text(self) -> None:
        self.search_text = search_text(
            [getattr(self, name) for name in SEARCHED_FIELDS], self.recipient_phone
        )
        self.phone_digits = phone_digits(self.recipient_phone)


# What the search box finds an item by (GET /api/search, GET /api/items?q=): kept folded in
# `search_text` on every insert and update (below); migration 0013 refilled it for existing rows.
SEARCHED_FIELDS = (
    "code",
    "dossier_code",
    "recipient_name",
    "recipient_phone",
    "address_line",
    "commune",
    "province",
    "old_address",
)


# create_all (tests) needs the extension the migration creates before the trigram index.
event.listen(
    Item.__table__,
    "before_create",
    DDL("CREATE EXTENSION IF NOT EXISTS pg_trgm").execute_if(dialect="postgresql"),
)


@event.listens_for(Item, "before_insert")
@event.listens_for(Item, "before_update")
def _fill_search_text(mapper, connection, item: Item) -> None:
    # Every write path (API, import, sync, CLI, seed) gets it, so no caller can forget it.
    item.refresh_search_text()
