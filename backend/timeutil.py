"""Times are stored in UTC and shown in the configured zone (Asia/Ho_Chi_Minh)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app


def local_zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["TIMEZONE"])


def local_today() -> date:
    """Today's date where the post office is (rounds are planned by local date)."""
    return datetime.now(local_zone()).date()


def day_start(day: date) -> datetime:
    """The UTC instant at which a local day begins."""
    return datetime.combine(day, time.min, local_zone()).astimezone(UTC)


def day_bounds(first: date, last: date | None = None) -> tuple[datetime, datetime]:
    """UTC instants [start, end) covering the local days `first` to `last` (default: `first` alone)."""
    return day_start(first), day_start((last or first) + timedelta(days=1))
