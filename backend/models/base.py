"""Shared column helpers."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, String, TypeDecorator
from sqlalchemy.orm import Mapped, declared_attr, mapped_column, relationship


def now_utc() -> datetime:
    return datetime.now(UTC)


def new_uuid() -> str:
    return str(uuid.uuid4())


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC datetimes on both SQLite (which drops tzinfo) and PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime stored; use timezone-aware UTC")
        return value.astimezone(UTC)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class FileLink:
    """A record's file by its digest and kind: a proof's (ProofAttachment) or a handover's
    (HandoverAttachment). The file may arrive after the record: the digest has no foreign key, the
    file is a read-only join. Columns: id first, then the record's key, then sha256 and kind."""

    id: Mapped[int] = mapped_column(primary_key=True, sort_order=-1)
    sha256: Mapped[str] = mapped_column(String(64), index=True, sort_order=1)  # may arrive before the file
    kind: Mapped[str] = mapped_column(String(32), sort_order=1)

    @declared_attr
    def file(cls: type) -> Mapped[Any]:
        return relationship(
            "Attachment",
            primaryjoin=f"foreign({cls.__name__}.sha256) == Attachment.sha256",
            viewonly=True,
            lazy="joined",
        )
