"""The one-stop systems' vocabulary: what an agency's system reads in our item answers.

Provincial one-stop systems (Decision 45/2016 Art. 13.8, Circular 17/2017 Art. 15; `../shared/DOMAIN.md`,
"Status back to the agency") keep each dossier's channel (1 in person, 2 online, 3 by public post), the
post's tracking number and a status code 1-10. This module maps our statuses to those codes, checks
dossier codes of the national format and gives the delivery deadline in working days after receipt (J+n,
Circular 17 Art. 7-8). No Flask here: the deadline table is a setting the caller passes
(DEADLINE_WORKING_DAYS, backend/config.py). docs/agency-api.md is this module's page.
"""

from __future__ import annotations

import re
from enum import IntEnum
from functools import lru_cache

from backend.domain.status import Direction, Status
from backend.domain.text import fold

CHANNEL_BY_POST = 3  # "3 - by public post" (1 in person, 2 online)


class OneStopStatus(IntEnum):
    NEW = 1
    ACCEPTED = 2
    REJECTED = 3
    PROCESSING = 4
    MORE_PAPERS_NEEDED = 5
    FINANCIAL_OBLIGATION = 6
    WITHDRAWN = 7
    STOPPED = 8
    DONE = 9
    RESULT_RETURNED = 10


ONESTOP_LABELS: dict[OneStopStatus, tuple[str, str]] = {
    OneStopStatus.NEW: ("Mới", "New"),
    OneStopStatus.ACCEPTED: ("Đã tiếp nhận", "Accepted"),
    OneStopStatus.REJECTED: ("Từ chối", "Rejected"),
    OneStopStatus.PROCESSING: ("Đang xử lý", "Processing"),
    OneStopStatus.MORE_PAPERS_NEEDED: ("Yêu cầu bổ sung", "More papers needed"),
    OneStopStatus.FINANCIAL_OBLIGATION: ("Thực hiện nghĩa vụ tài chính", "Financial obligation"),
    OneStopStatus.WITHDRAWN: ("Rút hồ sơ", "Withdrawn"),
    OneStopStatus.STOPPED: ("Dừng xử lý", "Stopped"),
    OneStopStatus.DONE: ("Đã giải quyết xong", "Done"),
    OneStopStatus.RESULT_RETURNED: ("Đã trả kết quả", "Result returned"),
}

S, C = Status, OneStopStatus
# What the post can say of a dossier; codes 3-6 are the agency's own decisions, never the post's.
# A dossier to collect is "new" until the agency has it ("accepted"); a citizen's cancelled pickup is
# "withdrawn", a pickup given up after the attempts "stopped". A result is "done" from the agency's
# handover until the citizen has it ("result returned"); one that went back to the agency stays "done".
ONESTOP_STATUS: dict[Direction, dict[Status, OneStopStatus]] = {
    Direction.COLLECT: {
        S.REGISTERED: C.NEW,
        S.ASSIGNED: C.NEW,
        S.FAILED_ATTEMPT: C.NEW,
        S.COLLECTED: C.NEW,
        S.AT_POST_OFFICE: C.NEW,
        S.HANDED_TO_AGENCY: C.ACCEPTED,
        S.RETURN_TO_AGENCY: C.STOPPED,
        S.RETURNED_TO_AGENCY: C.STOPPED,
        S.CANCELLED: C.WITHDRAWN,
        S.DELIVERED: C.ACCEPTED,  # not reachable for a dossier; kept so every pair has a code
    },
    Direction.RETURN: {
        S.REGISTERED: C.DONE,
        S.AT_POST_OFFICE: C.DONE,
        S.ASSIGNED: C.DONE,
        S.FAILED_ATTEMPT: C.DONE,
        S.DELIVERED: C.RESULT_RETURNED,
        S.RETURN_TO_AGENCY: C.DONE,
        S.RETURNED_TO_AGENCY: C.DONE,
        S.CANCELLED: C.DONE,
        S.COLLECTED: C.DONE,  # not reachable for a result
        S.HANDED_TO_AGENCY: C.DONE,  # not reachable for a result
    },
}


def onestop_status(direction: str, status: str) -> OneStopStatus:
    return ONESTOP_STATUS[Direction(direction)][Status(status)]


# The national dossier code (mã hồ sơ, Circular 01/2018/TT-VPCP): the receiving unit's electronic
# identifier (Decision 20/2020/QĐ-TTg, e.g. 000.21.30.H01), the day of receipt as yymmdd and a
# sequence number of that day: 000.21.30.H01-251201-0014.
DOSSIER_CODE = re.compile(
    r"^[A-Z0-9]{2,3}(?:\.[A-Z0-9]{2,3}){1,3}-\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])-\d{4,6}$"
)
DOSSIER_CODE_PATTERN = DOSSIER_CODE.pattern


DOSSIER_CODE_PROBLEM_VI = "cần dạng <mã đơn vị>-<yymmdd>-<số thứ tự>, ví dụ 000.21.30.H01-251201-0014"


def dossier_code_problem(code: str) -> str | None:
    """Why `code` is not a dossier code of the national format, or None (in Vietnamese:
    DOSSIER_CODE_PROBLEM_VI). (The day is checked by the pattern, month 01-12 and day 01-31, so that the
    OpenAPI pattern says all there is.) Callers check the code stripped and upper-cased."""
    if DOSSIER_CODE.match(code) is None:
        return "expected <unit code>-<yymmdd>-<number>, e.g. 000.21.30.H01-251201-0014"
    return None


# Circular 17 Art. 7-8: working days after receipt (J), without / with an appointment slip to bring
# back. "District" reads as the pre-2025 area or the commune pair since the 2025 reform.
ROUTES = ("local", "province", "national")
DEFAULT_DEADLINES = "local=1/2,province=2/4,national=4/8"


@lru_cache(maxsize=8)
def parse_deadlines(text: str) -> dict[str, tuple[int, int]]:
    """'local=1/2,province=2/4,national=4/8' -> {route: (days, days with a slip)}; ValueError if bad."""
    table: dict[str, tuple[int, int]] = {}
    for part in text.split(","):
        route, _, days = part.strip().partition("=")
        plain, _, slip = days.partition("/")
        if route not in ROUTES or not plain.isdigit() or not slip.isdigit() or route in table:
            raise ValueError(f"not 'route=days/days-with-slip': {part.strip()!r}")
        if not 1 <= int(plain) <= int(slip) <= 30:
            raise ValueError(f"days must be 1-30, the slip's no fewer: {part.strip()!r}")
        table[route] = (int(plain), int(slip))
    if set(table) != set(ROUTES):
        raise ValueError(f"give each of {', '.join(ROUTES)}")
    return table


def route_of(item_commune: str, item_province: str, agency_commune: str | None, agency_province: str) -> str:
    """Where the item goes from its agency: the same commune, the same province, or another province."""
    if fold(item_province) != fold(agency_province):
        return "national"
    if agency_commune and fold(item_commune) == fold(agency_commune):
        return "local"
    return "province"


def deadline_working_days(table: dict[str, tuple[int, int]], route: str, direction: str) -> int:
    """J+n for an item: a dossier collected brings the appointment slip back, so it has the slip's days."""
    plain, slip = table[route]
    return slip if Direction(direction) == Direction.COLLECT else plain
