"""Reports per day or month, by agency, procedure or postman: aggregate SQL on SQLite and PostgreSQL.

Four GROUP BY queries (attempts by outcome and reason, on-time deliveries, fees collected,
fees handed over), each grouped by (period, key); their rows are merged here. Definitions:

- returned / collected / failed: proofs (delivery attempts) by outcome, by the local date the
  server received them. Flagged proofs (the item was reassigned or cancelled meanwhile) are left
  out: they did not move the item; they are on the exceptions list instead.
- on time: among results delivered whose item has a due date, those whose proof's local server
  date is on or before the due date.
- fees collected: FeeEntry (service fee and government fee) by the local date received, the
  item's agency and procedure, and the postman who collected; of them, the part paid by VietQR
  transfer (straight to the payee's account) and the rest, paid in cash to the postman.
- fees handed over: HandoverLine.fee_passed_on on signed records (not one still awaiting the other
  side's signature, nor a withdrawn one: the items export counts the same) by the local date of the
  record's legal time (its second signature; when it was typed, for one copied from paper), the
  item's agency and procedure, and the handover's postman.
- complaints: citizens' complaints by the local date filed, the item's agency and procedure (and,
  by postman, the postman of the item's round); of them, those answered by their deadline
  (Circular 17 Art. 13 asks for them in the quarterly report: `period=quarter`).

Local dates: PostgreSQL converts with its time-zone database; SQLite shifts by the zone's UTC
offset at the start of the range (exact for Asia/Ho_Chi_Minh, which has no daylight saving).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time
from operator import itemgetter
from typing import Any

from flask import current_app
from sqlalchemy import Date, Integer, String, case, cast, func, select
from sqlalchemy.sql import ColumnElement

from backend.auth.scope import in_offices
from backend.domain.rules import DomainError
from backend.domain.status import DUE_BINDS
from backend.domain.vocabulary import bilingual, label
from backend.domain.workdays import working_days_left
from backend.exports import XLSX, csv_bytes, sheet_append, xlsx_bytes
from backend.extensions import db
from backend.models import (
    Agency,
    Complaint,
    DeliveryAttempt,
    FeeEntry,
    Handover,
    HandoverLine,
    Item,
    Procedure,
    Round,
    User,
)
from backend.models.handover import handed_over_at
from backend.models.proofs import FAILURE_REASONS
from backend.services.handovers import government_fees_collected
from backend.timeutil import day_bounds, local_today, local_zone

PERIODS = ("day", "month", "quarter")
GROUPS = ("agency", "procedure", "postman")
MEASURES = (
    "returned",
    "collected",
    "failed",
    "delivered_with_due",
    "delivered_on_time",
    "service_fees_collected",
    "government_fees_collected",
    "service_fees_by_transfer",
    "government_fees_by_transfer",
    "fees_handed_over",
    "complaints",
    "complaints_answered_on_time",
)


@dataclass(frozen=True)
class ReportRange:
    period: str
    group_by: str
    date_from: date
    date_to: date

    @property
    def bounds(self) -> tuple[datetime, datetime]:
        return day_bounds(self.date_from, self.date_to)


def check_range(period: str, group_by: str, date_from: date, date_to: date) -> ReportRange:
    if date_from > date_to:
        raise DomainError(
            "bad-range",
            f"The range starts ({date_from}) after it ends ({date_to}).",
            status=422,
            params={"date_from": date_from.isoformat(), "date_to": date_to.isoformat()},
            errors={"date_to": ["Must be on or after date_from."]},
        )
    limit = current_app.config["REPORT_MAX_DAYS"]
    if (date_to - date_from).days + 1 > limit:
        raise DomainError(
            "range-too-long",
            f"A report covers at most {limit} days.",
            status=422,
            errors={"date_to": [f"At most {limit} days after date_from."]},
            params={"limit": limit},
        )
    return ReportRange(period, group_by, date_from, date_to)


# Local dates in SQL -------------------------------------------------------------------------------


def _sqlite_offset(rng: ReportRange) -> str:
    offset = datetime.combine(rng.date_from, time(12), local_zone()).utcoffset()
    assert offset is not None  # an aware datetime has one
    return f"{int(offset.total_seconds()):+d} seconds"


def _local_text(column, rng: ReportRange, period: str) -> ColumnElement:
    """The local day ('YYYY-MM-DD'), month ('YYYY-MM') or quarter ('YYYY-Q1') of a UTC timestamp column."""
    if period == "quarter":
        if db.engine.dialect.name == "postgresql":
            return func.to_char(func.timezone(current_app.config["TIMEZONE"], column), 'YYYY-"Q"Q')
        month = cast(func.strftime("%m", column, _sqlite_offset(rng)), Integer)
        year = func.strftime("%Y", column, _sqlite_offset(rng))
        return year.concat("-Q").concat(
            cast((month + 2).self_group().op("/")(3), String)
        )  # SQLite's integer division
    if db.engine.dialect.name == "postgresql":
        return func.to_char(
            func.timezone(current_app.config["TIMEZONE"], column),
            "YYYY-MM-DD" if period == "day" else "YYYY-MM",
        )
    return func.strftime("%Y-%m-%d" if period == "day" else "%Y-%m", column, _sqlite_offset(rng))


def _local_date(column, rng: ReportRange) -> ColumnElement:
    """The local date of a UTC timestamp, comparable with a Date column on both databases."""
    if db.engine.dialect.name == "postgresql":
        return cast(func.timezone(current_app.config["TIMEZONE"], column), Date)
    return func.date(column, _sqlite_offset(rng))  # 'YYYY-MM-DD', as SQLite stores dates


# The four aggregates --------------------------------------------------------------------------------


def _axes(rng: ReportRange, time_column, postman_column) -> tuple[datetime, datetime, ColumnElement, Any]:
    """What every aggregate bounds and groups by: the range's UTC bounds, the period of `time_column`, and
    the row's key (the item's agency or procedure, or the postman in `postman_column`)."""
    start, end = rng.bounds
    key = {"agency": Item.agency_id, "procedure": Item.procedure_id, "postman": postman_column}[rng.group_by]
    return start, end, _local_text(time_column, rng, rng.period), key


def _attempts(rng: ReportRange, user: User):
    start, end, period, key = _axes(rng, DeliveryAttempt.server_time, DeliveryAttempt.postman_id)
    return db.session.execute(
        select(period, key, DeliveryAttempt.outcome, DeliveryAttempt.reason_code, func.count())
        .join(Item, DeliveryAttempt.item_id == Item.id)
        .where(in_offices(Item.office_id, user))
        .where(
            DeliveryAttempt.server_time >= start, DeliveryAttempt.server_time < end, DeliveryAttempt.counted()
        )
        .group_by(period, key, DeliveryAttempt.outcome, DeliveryAttempt.reason_code)
    ).all()


def _on_time(rng: ReportRange, user: User):
    start, end, period, key = _axes(rng, DeliveryAttempt.server_time, DeliveryAttempt.postman_id)
    on_time = func.sum(case((_local_date(DeliveryAttempt.server_time, rng) <= Item.due_date, 1), else_=0))
    return db.session.execute(
        select(period, key, func.count(), on_time)
        .join(Item, DeliveryAttempt.item_id == Item.id)
        .where(in_offices(Item.office_id, user))
        .where(
            DeliveryAttempt.server_time >= start,
            DeliveryAttempt.server_time < end,
            DeliveryAttempt.counted(),
            DeliveryAttempt.outcome == "delivered",
            Item.due_date.is_not(None),
        )
        .group_by(period, key)
    ).all()


def _fees(rng: ReportRange, user: User):
    start, end, period, key = _axes(rng, FeeEntry.server_time, FeeEntry.postman_id)

    def by_transfer(amount, method):
        return func.sum(case((method == "transfer", amount), else_=0))

    return db.session.execute(
        select(
            period,
            key,
            func.sum(FeeEntry.service_fee),
            func.sum(FeeEntry.government_fee),
            by_transfer(FeeEntry.service_fee, FeeEntry.service_fee_payment),
            by_transfer(FeeEntry.government_fee, FeeEntry.government_fee_payment),
        )
        .join(Item, FeeEntry.item_id == Item.id)
        .where(in_offices(Item.office_id, user))
        .where(FeeEntry.server_time >= start, FeeEntry.server_time < end)
        .group_by(period, key)
    ).all()


def _handed_over(rng: ReportRange, user: User):
    start, end, period, key = _axes(rng, handed_over_at, Handover.postman_id)
    return db.session.execute(
        select(period, key, func.sum(HandoverLine.fee_passed_on))
        .join(Handover, HandoverLine.handover_id == Handover.id)
        .join(Item, HandoverLine.item_id == Item.id)
        .where(in_offices(Item.office_id, user))
        .where(
            Handover.status == "signed"
        )  # a record still awaiting a signature, or withdrawn, passes nothing on
        .where(handed_over_at >= start, handed_over_at < end)
        .group_by(period, key)
    ).all()


def _complaints(rng: ReportRange, user: User):
    start, end, period, key = _axes(rng, Complaint.filed_at, Round.postman_id)
    in_time = func.sum(
        case(
            (
                Complaint.answered_at.is_not(None)
                & (_local_date(Complaint.answered_at, rng) <= Complaint.due_on),
                1,
            ),
            else_=0,
        )
    )
    return db.session.execute(
        select(period, key, func.count(), in_time)
        .join(Item, Complaint.item_id == Item.id)
        .outerjoin(Round, Item.round_id == Round.id)
        .where(in_offices(Complaint.office_id, user))
        .where(Complaint.filed_at >= start, Complaint.filed_at < end)
        .group_by(period, key)
    ).all()


# Putting it together ----------------------------------------------------------------------------------


def _empty_row(period: str, key) -> dict:
    return {"period": period, "key": key, **dict.fromkeys(MEASURES, 0), "failed_by_reason": {}}


STEPS = 4  # the four aggregates build_report runs, one after the other


def build_report(rng: ReportRange, user: User, progress: Callable[[int], None] | None = None) -> dict:
    """Rows per (period, key), totals, and the labels of the keys: of the items of the user's offices.
    `progress(n)` is told after each of the STEPS aggregates (a background export shows it)."""
    rows: dict[tuple, dict] = {}
    step = progress or (lambda n: None)

    def row(period, key) -> dict:
        return rows.setdefault((period, key), _empty_row(period, key))

    for period, key, outcome, reason, count in _attempts(rng, user):
        target = row(period, key)
        measure = {"delivered": "returned", "collected": "collected", "failed": "failed"}[outcome]
        target[measure] += count
        if outcome == "failed":
            reason = reason or "other"
            target["failed_by_reason"][reason] = target["failed_by_reason"].get(reason, 0) + count
    step(1)
    for period, key, delivered, on_time in _on_time(rng, user):
        row(period, key).update(delivered_with_due=delivered, delivered_on_time=int(on_time or 0))
    step(2)
    for period, key, service, government, service_transfer, government_transfer in _fees(rng, user):
        row(period, key).update(
            service_fees_collected=int(service or 0),
            government_fees_collected=int(government or 0),
            service_fees_by_transfer=int(service_transfer or 0),
            government_fees_by_transfer=int(government_transfer or 0),
        )
    step(3)
    for period, key, passed_on in _handed_over(rng, user):
        row(period, key)["fees_handed_over"] = int(passed_on or 0)
    for period, key, filed, in_time in _complaints(rng, user):
        row(period, key).update(complaints=filed, complaints_answered_on_time=int(in_time or 0))
    step(4)

    labels = _labels(rng.group_by, {key for _, key in rows})
    ordered = sorted(rows.values(), key=lambda r: (r["period"], labels.get(r["key"], ""), r["key"] or 0))
    for entry in ordered:
        entry["label"] = labels.get(entry["key"], "—")
        _derive(entry)
    totals = _empty_row("", None)
    for entry in ordered:
        for measure in MEASURES:
            totals[measure] += entry[measure]
        for reason, count in entry["failed_by_reason"].items():
            totals["failed_by_reason"][reason] = totals["failed_by_reason"].get(reason, 0) + count
    totals["label"] = "Tổng cộng / Total"
    _derive(totals)
    return {
        "period": rng.period,
        "group_by": rng.group_by,
        "date_from": rng.date_from,
        "date_to": rng.date_to,
        "timezone": current_app.config["TIMEZONE"],
        "empty": not ordered,
        "rows": ordered,
        "totals": totals,
        "reasons": [r for r in FAILURE_REASONS if totals["failed_by_reason"].get(r)],
    }


def _derive(entry: dict) -> None:
    with_due = entry["delivered_with_due"]
    entry["on_time_share"] = round(entry["delivered_on_time"] / with_due, 4) if with_due else None
    entry["fees_collected"] = entry["service_fees_collected"] + entry["government_fees_collected"]
    entry["fees_by_transfer"] = entry["service_fees_by_transfer"] + entry["government_fees_by_transfer"]
    entry["fees_in_cash"] = entry["fees_collected"] - entry["fees_by_transfer"]
    # A government fee paid by transfer went to the agency's account: only the cash is handed over.
    government_cash = entry["government_fees_collected"] - entry["government_fees_by_transfer"]
    entry["fees_not_handed_over"] = government_cash - entry["fees_handed_over"]


def _labels(group_by: str, keys: set) -> dict:
    keys = {k for k in keys if k is not None}
    if not keys:
        return {}
    groups: dict[str, tuple[type[Agency | Procedure | User], Any]] = {
        "agency": (Agency, Agency.name),
        "procedure": (Procedure, Procedure.name),
        "postman": (User, User.full_name),
    }
    model, column = groups[group_by]
    return dict(db.session.execute(select(model.id, column).where(model.id.in_(keys))).all())


def require_rows(report: dict) -> None:
    """An export of a range with nothing in it is refused with a clear message, not an empty file."""
    if report["empty"]:
        raise DomainError(
            "empty-report",
            f"Nothing happened between {report['date_from']} and {report['date_to']}: no deliveries, "
            "collections, failed attempts, fees or handovers. Nothing to export; choose another range. "
            "/ Không có dữ liệu trong khoảng thời gian này.",
            status=422,
            params={"date_from": str(report["date_from"]), "date_to": str(report["date_to"])},
        )


# Exports ---------------------------------------------------------------------------------------------

GROUP_HEADERS = {
    "agency": "Cơ quan / Agency",
    "procedure": "Thủ tục / Procedure",
    "postman": "Bưu tá / Postman",
}


# The columns after the first three, each a measure of the row: (heading, measure); the failure reasons
# of the report stand after "failed".
_COUNTS = (
    ("Đã trả kết quả / Returned", "returned"),
    ("Đã thu gom / Collected", "collected"),
    ("Phát không thành công / Failed attempts", "failed"),
)
_MEASURES_AFTER_REASONS = (
    ("Có hạn trả / Delivered with due date", "delivered_with_due"),
    ("Đúng hạn / On time", "delivered_on_time"),
    ("Tỉ lệ đúng hạn / On-time share", "on_time_share"),
    ("Phí dịch vụ đã thu (VND) / Service fees collected", "service_fees_collected"),
    ("Lệ phí đã thu (VND) / Government fees collected", "government_fees_collected"),
    ("Phí DV chuyển khoản (VND) / Service fees by transfer", "service_fees_by_transfer"),
    ("Lệ phí chuyển khoản (VND) / Government fees by transfer", "government_fees_by_transfer"),
    ("Tiền mặt đã thu (VND) / Collected in cash", "fees_in_cash"),
    ("Lệ phí đã bàn giao (VND) / Fees handed over", "fees_handed_over"),
    ("Lệ phí chưa bàn giao (VND) / Not yet handed over", "fees_not_handed_over"),
    ("Khiếu nại / Complaints", "complaints"),
    ("Khiếu nại trả lời đúng hạn / Complaints answered on time", "complaints_answered_on_time"),
)


def _failed_by(reason: str) -> Callable[[dict], object]:
    return lambda r: r["failed_by_reason"].get(reason, 0)


def _columns(report: dict) -> list[tuple[str, Callable[[dict], object]]]:
    cols: list[tuple[str, Callable[[dict], object]]] = [
        ("Kỳ / Period", itemgetter("period")),
        (GROUP_HEADERS[report["group_by"]], itemgetter("label")),
        ("Mã / Id", itemgetter("key")),
    ]
    cols += [(heading, itemgetter(measure)) for heading, measure in _COUNTS]
    cols += [
        (f"KTC: {label('reason', reason)} / Failed: {reason}", _failed_by(reason))
        for reason in report["reasons"]
    ]
    cols += [(heading, itemgetter(measure)) for heading, measure in _MEASURES_AFTER_REASONS]
    return cols


def _table(report: dict) -> tuple[list[str], list[list]]:
    cols = _columns(report)
    body = [[get(r) for _, get in cols] for r in [*report["rows"], report["totals"]]]
    return [name for name, _ in cols], body


def to_csv(report: dict) -> bytes:
    """UTF-8 with a BOM so Excel shows Vietnamese letters; the share as a decimal fraction."""
    headers, body = _table(report)
    return csv_bytes([headers, *body])


def to_xlsx(report: dict) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    headers, body = _table(report)
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Báo cáo"
    sheet_append(sheet, headers)
    for line in body:
        sheet_append(sheet, line)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for cell in sheet[sheet.max_row]:
        cell.font = Font(bold=True)
    share_column = headers.index("Tỉ lệ đúng hạn / On-time share") + 1
    for row in sheet.iter_rows(min_row=2):
        for cell in row[3:]:
            cell.number_format = "0.0%" if cell.column == share_column else "#,##0"
    sheet.freeze_panes = "A2"
    for index, name in enumerate(headers, start=1):
        sheet.column_dimensions[sheet.cell(1, index).column_letter].width = max(12, min(len(name) * 0.6, 40))
    about = workbook.create_sheet("Thông tin")
    for pair in (
        ("Từ ngày / From", report["date_from"].isoformat()),
        ("Đến ngày / To", report["date_to"].isoformat()),
        ("Theo / Period", report["period"]),
        ("Nhóm theo / Group by", report["group_by"]),
        ("Múi giờ / Time zone", report["timezone"]),
    ):
        sheet_append(about, pair)
    return xlsx_bytes(workbook)


MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": XLSX,
}


def file_name(rng: ReportRange, extension: str) -> str:
    return (
        f"bao-cao-{rng.period}-{rng.group_by}-{rng.date_from.isoformat()}"
        f"-{rng.date_to.isoformat()}.{extension}"
    )


def export_file(report: dict, extension: str) -> bytes:
    """The report as a file (refused with 422 empty-report if nothing happened in the range)."""
    require_rows(report)
    return to_csv(report) if extension == "csv" else to_xlsx(report)


# An agency's items, as a file (the agency portal's export) -------------------------------------------

ITEM_EXPORT_LIMIT = 10_000
ITEM_HEADERS = (
    "Mã bưu gửi / Item code",
    "Số hồ sơ / Dossier",
    "Thủ tục / Procedure",
    "Người nhận / Citizen",
    "Trạng thái / Status",
    "Hạn trả / Due",
    "Ngày làm việc còn lại (âm: quá hạn) / Working days left (negative: overdue)",
    "Số lần phát / Attempts",
    "Lệ phí phải thu / Government fee due",
    "Lệ phí đã thu / Government fee collected",
    "Đã chuyển cơ quan / Passed on to the agency",
)


def items_table(items: list) -> list[list]:
    """One row per item with the government fee due, collected for the agency and passed on to it
    (on handover records to the agency), and a totals row."""
    ids = [item.id for item in items]
    today = local_today()
    collected = government_fees_collected(ids)
    passed = dict(
        db.session.execute(
            select(HandoverLine.item_id, func.sum(HandoverLine.fee_passed_on))
            .join(Handover, HandoverLine.handover_id == Handover.id)
            .where(HandoverLine.item_id.in_(ids), Handover.direction == "post_to_agency")
            .where(Handover.status == "signed")
            .group_by(HandoverLine.item_id)
        ).all()
    )
    rows = [
        [
            item.code,
            item.dossier_code,
            item.procedure.name,
            item.recipient_name,
            bilingual("status", item.status),
            item.due_date.strftime("%d/%m/%Y") if item.due_date else None,
            _working_days_left(item, today),
            item.attempt_count,
            item.government_fee,
            int(collected.get(item.id) or 0),
            int(passed.get(item.id) or 0),
        ]
        for item in items
    ]
    totals = [sum(row[i] for row in rows) for i in (8, 9, 10)]
    return [list(ITEM_HEADERS), *rows, ["Tổng cộng / Total", *[None] * 7, *totals]]


def _working_days_left(item, today: date) -> int | None:
    """The one lateness rule (backend/domain/workdays.py), as the item answers' working_days_left."""
    if item.due_date is None or item.status not in DUE_BINDS:
        return None
    return working_days_left(item.due_date, today)


def items_file(items: list, fmt: str) -> bytes:
    table = items_table(items)
    if fmt == "csv":
        return csv_bytes(table)
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Bưu gửi"
    for row in table:
        sheet_append(sheet, row)
    sheet.freeze_panes = "A2"
    return xlsx_bytes(workbook)
