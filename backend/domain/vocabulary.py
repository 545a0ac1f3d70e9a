"""The words for every code people see: one Vietnamese and one English label per code, kept once.

The codes are the domain's own definitions (backend/domain/status.py: Status, Event, Direction,
FailureReason, Outcome; backend/domain/round_status.py: RoundStatus; backend/domain/handover_rules.py: CashStatus); this table only gives them words. Everything that shows a code uses it:
the CSV/XLSX reports (backend/services/reports.py) and, through a generated module, both web
apps (web/common/vocabulary.js, written by `python -m backend.domain.vocabulary`, which
scripts/setup.sh runs before the front-end builds). tests/test_vocabulary.py fails when a code
lacks a word in either language or when the generated module is out of date.

Wording follows Vietnamese postal usage (VNPost tracking: "Đang phát", "Phát không thành công").
"""

from __future__ import annotations

import json
import sys
from enum import StrEnum

from backend.domain.generated import REPO, js_module, write_generated
from backend.domain.handover_rules import CashStatus
from backend.domain.round_status import RoundStatus
from backend.domain.status import Direction, Event, FailureReason, Outcome, Status

LANGUAGES = ("vi", "en")

# family -> the enum whose members are its codes
FAMILIES: dict[str, type[StrEnum]] = {
    "status": Status,
    "event": Event,
    "direction": Direction,
    "reason": FailureReason,
    "outcome": Outcome,
    "round": RoundStatus,
    "cash_status": CashStatus,
}

LABELS: dict[str, dict[str, tuple[str, str]]] = {
    "status": {
        Status.REGISTERED: ("Đã đăng ký", "Registered"),
        Status.AT_POST_OFFICE: ("Tại bưu cục", "At the post office"),
        Status.ASSIGNED: ("Đang phát", "Out for delivery"),
        Status.FAILED_ATTEMPT: ("Phát không thành công", "Failed attempt"),
        Status.DELIVERED: ("Đã phát", "Delivered"),
        Status.COLLECTED: ("Đã thu gom", "Collected"),
        Status.HANDED_TO_AGENCY: ("Đã bàn giao cơ quan", "Handed to the agency"),
        Status.RETURN_TO_AGENCY: ("Chờ trả cơ quan", "To return to the agency"),
        Status.RETURNED_TO_AGENCY: ("Đã trả cơ quan", "Returned to the agency"),
        Status.CANCELLED: ("Đã hủy", "Cancelled"),
    },
    "event": {
        Event.RECEIVE_FROM_AGENCY: ("Nhận từ cơ quan", "Received from the agency"),
        Event.ASSIGN: ("Phân công", "Put on a round"),
        Event.UNASSIGN: ("Bỏ khỏi chuyến", "Taken off the round"),
        Event.DELIVER: ("Phát thành công", "Delivered"),
        Event.COLLECT: ("Thu gom hồ sơ", "Dossier collected"),
        Event.FAIL: ("Phát không thành công", "Failed attempt"),
        Event.GIVE_UP: ("Hết số lần phát", "Attempt limit reached"),
        Event.HAND_TO_AGENCY: ("Bàn giao cơ quan", "Handed to the agency"),
        Event.RETURN_TO_AGENCY: ("Trả cơ quan", "Returned to the agency"),
        Event.CANCEL: ("Hủy", "Cancelled"),
        Event.ACCEPT_PROOF: ("Chấp nhận bằng chứng phát", "Proof accepted"),
    },
    "direction": {
        Direction.RETURN: ("Trả kết quả", "Return result"),
        Direction.COLLECT: ("Thu gom hồ sơ", "Collect dossier"),
    },
    "reason": {
        FailureReason.NOT_HOME: ("Vắng nhà", "Not home"),
        FailureReason.REFUSED: ("Từ chối nhận", "Refused"),
        FailureReason.WRONG_ADDRESS: ("Sai địa chỉ", "Wrong address"),
        FailureReason.MOVED: ("Đã chuyển đi", "Moved away"),
        FailureReason.NO_VALID_ID: ("Không có giấy tờ tùy thân hợp lệ", "No valid ID document"),
        FailureReason.NO_AUTHORISATION: ("Không có giấy ủy quyền", "No authorisation letter"),
        FailureReason.CANNOT_PAY: ("Không trả được phí", "Cannot pay the fees"),
        FailureReason.UNSAFE_ACCESS: ("Không tiếp cận được an toàn", "No safe access"),
        FailureReason.OTHER: ("Lý do khác", "Other reason"),
    },
    "outcome": {
        Outcome.DELIVERED: ("Phát thành công", "Delivered"),
        Outcome.COLLECTED: ("Thu gom", "Collected"),
        Outcome.FAILED: ("Phát không thành công", "Failed attempt"),
    },
    "round": {
        RoundStatus.PLANNED: ("Chưa đi", "Planned"),
        RoundStatus.IN_PROGRESS: ("Đang đi", "In progress"),
        RoundStatus.COMPLETED: ("Đã đi xong", "Completed"),
        RoundStatus.CLOSED: ("Đã chốt", "Closed"),
    },
    "cash_status": {
        CashStatus.DECLARED: ("Chờ giám sát xác nhận", "Awaiting a supervisor"),
        CashStatus.RECEIVED: ("Bưu cục đã nhận", "Received by the post office"),
    },
}

GENERATED = REPO / "web" / "common" / "vocabulary.js"


def label(family: str, code: str, lang: str = "vi") -> str:
    """The word for a code; an unknown code shows itself (easy to spot, never a crash)."""
    words = LABELS[family].get(code)
    return words[LANGUAGES.index(lang)] if words else str(code)


def bilingual(family: str, code: str) -> str:
    """'Vắng nhà / Not home', for exports read in either language."""
    return f"{label(family, code, 'vi')} / {label(family, code, 'en')}"


def as_dict() -> dict:
    """{family: {"vi": {code: word}, "en": {code: word}}}, codes in the enums' order."""
    return {
        family: {
            lang: {c.value: LABELS[family][c][n] for c in codes if c in LABELS[family]}
            for n, lang in enumerate(LANGUAGES)
        }
        for family, codes in FAMILIES.items()
    }


HEADER = (
    "// GENERATED by `python -m backend.domain.vocabulary` from backend/domain/vocabulary.py: do not edit.\n"
    "// The codes of the domain (status, event, direction, failure reason, outcome) and their words.\n"
)


def render_module() -> str:
    return js_module(HEADER, "VOCABULARY", json.dumps(as_dict(), ensure_ascii=False, indent=2))


def main(argv: list[str]) -> int:
    return write_generated(argv, GENERATED, render_module)


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
