"""Working days in Vietnam: the one calendar behind re-attempt spacing, the phone's next-attempt
date and the deadlines of later work (Circular 17 counts them in working days).

A working day is Monday to Friday and not a public holiday (Tết included) as the `holidays`
package knows them for Vietnam. No Flask here: callers pass the spacing they read from config.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

import holidays

WEEKEND = (5, 6)  # Saturday, Sunday
MAX_SPAN_DAYS = 366 * 2  # a guard: no working-day count walks further than this


@lru_cache(maxsize=32)
def _holidays_of(year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays("VN", years=year))


def holiday_name(day: date) -> str | None:
    return holidays.country_holidays("VN", years=day.year).get(day)


def is_working_day(day: date) -> bool:
    return day.weekday() not in WEEKEND and day not in _holidays_of(day.year)


def add_working_days(day: date, count: int) -> date:
    """The date `count` working days after `day` (day itself not counted); `count` >= 0.

    add_working_days(Mon, 2) is Wed; from a Friday it is the Tuesday after; over Tết it skips
    the whole holiday.
    """
    if count < 0:
        raise ValueError("count must be >= 0")
    current = day
    for _ in range(MAX_SPAN_DAYS):
        if count == 0:
            return current
        current += timedelta(days=1)
        if is_working_day(current):
            count -= 1
    raise ValueError("working-day span too long")


def working_days_between(start: date, end: date) -> int:
    """Working days after `start` up to and including `end` (0 when end <= start)."""
    count, current = 0, start
    while current < end and (current - start).days < MAX_SPAN_DAYS:
        current += timedelta(days=1)
        count += is_working_day(current)
    return count


def next_working_day_from(day: date) -> date:
    """`day` itself if it is a working day, else the first working day after it."""
    return day if is_working_day(day) else add_working_days(day, 1)


# Due and overdue (the one rule behind the portal's list and filters, the items export, the one-stop
# block and the supervisor's overdue exceptions). A due date that falls on a weekend or a holiday moves
# to the next working day (Civil Code 2015 Art. 148.5). An open item is overdue once a working day has
# gone by after its (moved) due date: one due on a Friday is not yet overdue on the Saturday after, it
# is overdue by 1 on the Monday. Weekends and holidays never count, in either direction.


def working_days_left(due: date, today: date) -> int:
    """Working days from `today` to `due`: > 0 left, 0 due now, < 0 overdue by that many."""
    moved = next_working_day_from(due)
    if moved >= today:
        return working_days_between(today, moved)
    return -working_days_between(moved, today)


def overdue_on_or_before(today: date) -> date:
    """The latest due date that is overdue `today`: an item is overdue iff due_date <= this day
    (the same answer as working_days_left(due, today) < 0, as a column comparison)."""
    return overdue_by(today, 1)


def overdue_by(today: date, count: int) -> date:
    """The latest due date that is `count` (>= 1) working days overdue `today`."""
    return working_day_before(today + timedelta(days=1), count + 1)


def due_on_or_before(today: date, within: int) -> date:
    """The latest due date with at most `within` working days left `today` (0: due now), so that
    overdue_on_or_before(today) < due_date <= this day is "due within `within` working days"."""
    return working_day_before(add_working_days(today, within + 1))


def working_day_before(day: date, count: int = 1) -> date:
    """The `count`-th working day before `day` (day itself not counted)."""
    for _ in range(MAX_SPAN_DAYS):
        day -= timedelta(days=1)
        if is_working_day(day):
            count -= 1
            if count <= 0:
                return day
    raise ValueError("working-day span too long")


def holidays_between(first: date, last: date) -> list[date]:
    """Public holidays on weekdays in [first, last]: what a phone needs to count offline."""
    days = []
    for year in range(first.year, last.year + 1):
        days += [d for d in _holidays_of(year) if first <= d <= last and d.weekday() not in WEEKEND]
    return sorted(days)


# Re-attempts (Decision 45 / Circular 17): invite at least twice, the invitations spaced -------------

REQUIRED_INVITATIONS = 2


def next_invitation_from(last_invitation_on: date | None, spacing: int) -> date | None:
    """The earliest day a new failed visit counts as the regulation's next invitation."""
    return None if last_invitation_on is None else add_working_days(last_invitation_on, spacing)


def counts_as_invitation(last_invitation_on: date | None, visit_on: date, spacing: int) -> bool:
    """The first failed visit always counts; a later one only `spacing` working days after the
    last one that counted. A sooner visit is still evidence and still counts as an attempt."""
    earliest = next_invitation_from(last_invitation_on, spacing)
    return earliest is None or visit_on >= earliest


def phone_calendar(today: date, spacing: int, attempt_limit: int, days_ahead: int = 60) -> dict:
    """What a phone needs to date a re-attempt offline: the spacing, the attempt limit and the
    weekday holidays from yesterday to `days_ahead` (Saturdays and Sundays are never working days)."""
    first, last = today - timedelta(days=1), today + timedelta(days=days_ahead)
    return {
        "reattempt_spacing_working_days": spacing,
        "failed_attempt_limit": attempt_limit,
        "required_invitations": REQUIRED_INVITATIONS,
        "from": first.isoformat(),
        "to": last.isoformat(),
        "holidays": [d.isoformat() for d in holidays_between(first, last)],
    }
