"""Times are stored in UTC and shown in the configured zone (Asia/Ho_Chi_Minh)."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import current_app


def local_zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["TIMEZONE"])


def local_today() -> date:
    """Today's date where the post office is (rounds are planned by local date)."""
    return datetime.now(local_zone()).date()
