"""Importing items from one-stop-shop exports: validate every row, then import in one transaction.

Usable without the CLI (a dashboard upload calls the same two functions):

    result = parse_items_file("export.xlsx", data, agency_code="TTPVHCC-CT")
    if result.errors: show them (each has its spreadsheet line)
    else: import_items(result.rows_ok, actor_id=user.id, source=result.source)

Both need an app context (procedures, agencies and existing codes come from the database).
docs/import-format.md describes the columns and the rules.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy.exc import IntegrityError

from backend.audit import audit
from backend.auth.scope import unserved
from backend.domain import admin_units, import_parser, units
from backend.domain.import_parser import CellError, FileProblem
from backend.domain.onestop import DOSSIER_CODE_PROBLEM_VI, dossier_code_problem
from backend.domain.rules import DomainError
from backend.domain.s10 import s10_problem, s10_problem_vi
from backend.domain.status import Direction, Event, Status
from backend.domain.text import fold
from backend.extensions import db
from backend.models import Agency, Item, Procedure
from backend.services.item_events import apply_event

DEFAULT_SERVICE_FEE = 26_000  # VND per dossier, the post office's published price (DOMAIN.md)
_TEXT_LIMITS = {
    "dossier_code": 64,
    "procedure_code": 64,
    "agency_code": 32,
    "recipient_name": 200,
    "address_line": 300,
    "commune": 100,
    "province": 100,
    "old_address": 300,
    "note": 500,
}
_REQUIRED_TEXT = ("recipient_name", "address_line", "commune", "province")
EMPTY_VI = "không được để trống"  # "is empty"
PROGRESS_ROWS = 500  # a big file's job reports how far its check has got every this many rows


@dataclass(frozen=True)
class RowError:
    """One problem: `line` is the spreadsheet line (None for the file as a whole).

    `message` is English, `message_vi` the same in Vietnamese (the English one when not given);
    str() and `text_vi` add the line and column.
    """

    line: int | None
    message: str
    column: str | None = None  # the header as written in the file
    message_vi: str | None = None

    def __post_init__(self) -> None:
        if self.message_vi is None:
            object.__setattr__(self, "message_vi", self.message)

    def __str__(self) -> str:
        where = "File" if self.line is None else f"Line {self.line}"
        return f"{where}, {self.column}: {self.message}" if self.column else f"{where}: {self.message}"

    @property
    def text_vi(self) -> str:
        """'Dòng 3, Mã bưu gửi: …' / 'Tệp: …'."""
        where = "Tệp" if self.line is None else f"Dòng {self.line}"
        return f"{where}, {self.column}: {self.message_vi}" if self.column else f"{where}: {self.message_vi}"


@dataclass
class ImportRow:
    line: int
    values: dict  # Item fields, with procedure_id and agency_id resolved


@dataclass
class ImportResult:
    rows_ok: list[ImportRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    rows_total: int = 0
    description: str = ""  # e.g. "CSV (UTF-8), header on line 1"
    ignored_columns: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    warnings_vi: list[str] = field(default_factory=list)  # the same warnings in Vietnamese
    source: dict = field(default_factory=dict)  # file name and hash, for the audit entry
    agency_header: str | None = None  # the agency column as written, if the file has one

    @property
    def bad_lines(self) -> list[int]:
        return sorted({e.line for e in self.errors if e.line is not None})

    @property
    def file_error(self) -> bool:
        return any(e.line is None for e in self.errors)


@dataclass
class _Context:
    procedures: dict[str, Procedure]
    agencies: dict[str, Agency]
    default_agency: Agency | None
    chosen_agency: Agency | None  # the agency the import was started for, if one was named
    default_service_fee: int
    headers: dict[str, str]  # field -> header as written
    seen: dict[str, int] = field(default_factory=dict)  # code -> first line
    warnings: list[tuple[str, str]] = field(default_factory=list)  # (English, Vietnamese), per line


def parse_items_file(
    filename: str,
    data: bytes,
    *,
    agency_code: str | None = None,
    default_service_fee: int = DEFAULT_SERVICE_FEE,
    encoding: str | None = None,
    progress=None,
) -> ImportResult:
    """Read and validate a CSV or XLSX export; nothing is written.

    `progress(rows_checked, rows_total)`, if given, is called every PROGRESS_ROWS rows."""
    result = ImportResult(
        source={"file": filename, "sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}
    )
    try:
        table = import_parser.read_table(filename, data, encoding)
    except FileProblem as exc:
        result.errors.append(RowError(None, exc.message, message_vi=exc.message_vi))
        return result
    result.rows_total = len(table.rows)
    result.description = f"{table.kind} ({', '.join(table.notes)})" if table.notes else table.kind
    result.description += f", header on line {table.header_line}"
    result.ignored_columns = table.ignored
    result.warnings = [n[len("warning: ") :] for n in table.notes if n.startswith("warning: ")]
    result.warnings_vi = [import_parser.WARNINGS_VI.get(w, w) for w in result.warnings]
    if not table.rows:
        result.errors.append(
            RowError(
                None,
                "The file has a header but no rows.",
                message_vi="Tệp có dòng tiêu đề nhưng không có dòng dữ liệu nào.",
            )
        )
        return result

    agencies = {a.code.upper(): a for a in db.session.execute(db.select(Agency)).scalars()}
    default_agency, problem = _default_agency(agencies, agency_code, "agency_code" in table.columns)
    if problem:
        result.errors.append(RowError(None, problem[0], message_vi=problem[1]))
        return result
    ctx = _Context(
        procedures={p.code.strip().upper(): p for p in db.session.execute(db.select(Procedure)).scalars()},
        agencies=agencies,
        default_agency=default_agency,
        chosen_agency=default_agency if agency_code else None,
        default_service_fee=default_service_fee,
        headers={name: table.headers[i] for name, i in table.columns.items()},
    )
    result.agency_header = ctx.headers.get("agency_code")

    candidates = []
    for checked, (line, cells) in enumerate(table.rows, 1):
        if progress is not None and checked % PROGRESS_ROWS == 0:
            progress(checked, result.rows_total)
        values, errors = _check_row(line, cells, ctx)
        errors = _unseen(line, table, ctx) or errors
        result.errors.extend(errors)
        if values is not None and not errors:
            candidates.append(ImportRow(line, values))
    result.warnings += [english for english, _ in ctx.warnings]
    result.warnings_vi += [vietnamese for _, vietnamese in ctx.warnings]
    taken = _existing_codes([row.values["code"] for row in candidates])
    for row in candidates:
        if row.values["code"] in taken:
            result.errors.append(
                RowError(
                    row.line,
                    f"{row.values['code']} is already in the database",
                    ctx.headers["code"],
                    f"{row.values['code']} đã có trong cơ sở dữ liệu",
                )
            )
        else:
            result.rows_ok.append(row)
    position: dict[str | None, int] = {header: i for i, header in enumerate(table.headers)}
    result.errors.sort(key=lambda e: (e.line or 0, position.get(e.column, -1)))
    return result


def import_items(
    rows: list[ImportRow],
    *,
    actor_id: int | None = None,
    office_id: int | None = None,
    source: dict | None = None,
    before_commit=None,
) -> list[Item]:
    """Create the items of `office_id` in one transaction and audit the import; return items start at
    the post office.

    Raises DomainError (nothing written) if a code was taken meanwhile. `before_commit(items)` runs
    inside the same transaction (a job records its outcome there, so the two commit together).
    """
    foreign = unserved(office_id, {row.values["agency_id"] for row in rows})
    if foreign:
        lines = [row.line for row in rows if row.values["agency_id"] in foreign]
        raise DomainError(
            "agency-not-served",
            f"Lines {', '.join(map(str, lines))} name an agency this post office does not serve; "
            "nothing was imported. / Có dòng ghi cơ quan mà bưu cục này không phục vụ; chưa nhập gì.",
            status=422,
            errors={"lines": lines},
            params={"lines": ", ".join(map(str, lines[:20])) + ("…" if len(lines) > 20 else "")},
        )
    items = []
    for row in rows:
        item = Item(**row.values, office_id=office_id, status=Status.REGISTERED.value, attempt_count=0)
        db.session.add(item)
        audit(
            "item.created",
            "item",
            item.code,
            {"direction": item.direction, "source": "import", "line": row.line},
            actor_id=actor_id,
        )
        if item.direction == Direction.RETURN:
            # The export lists results the agency hands over with it: they are at the post office.
            apply_event(item, Event.RECEIVE_FROM_AGENCY, {"source": "import"}, actor_id=actor_id)
        items.append(item)
    source = dict(source or {})
    audit(
        "items.imported",
        "import",
        source.get("sha256"),
        {**source, "count": len(items), "codes": [i.code for i in items]},
        actor_id=actor_id,
    )
    try:
        if before_commit is not None:
            before_commit(items)
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise DomainError(
            "duplicate-item-code",
            "Another import or user added one of these item codes meanwhile; "
            "nothing was imported. Check the file again.",
        ) from None
    return items


def mark_unserved(result: ImportResult, office_id: int | None) -> None:
    """Move the rows naming an agency the office does not serve from the good rows to the problems, one
    per line (the preview shows them; an import refuses them with 422 agency-not-served)."""
    foreign = unserved(office_id, {row.values["agency_id"] for row in result.rows_ok})
    if not foreign:
        return
    codes = dict(db.session.execute(db.select(Agency.id, Agency.code).where(Agency.id.in_(foreign))).all())
    for row in result.rows_ok:
        if row.values["agency_id"] in foreign:
            code = codes[row.values["agency_id"]]
            result.errors.append(
                RowError(
                    row.line,
                    f"{code} is an agency this post office does not serve",
                    result.agency_header,
                    f"{code} là cơ quan mà bưu cục này không phục vụ",
                )
            )
    result.rows_ok = [row for row in result.rows_ok if row.values["agency_id"] not in foreign]
    result.errors.sort(key=lambda e: e.line or 0)


def check_same_file(previewed: str | None, sha256: str) -> None:
    """A confirmation must send the file that was previewed (its digest), when it names one."""
    if previewed and previewed != sha256:
        raise DomainError(
            "file-changed", "This is not the file that was previewed; preview it again.", status=409
        )


def check_importable(
    result: ImportResult, *, skip_bad: bool, sha256: str | None = None, office_id: int | None = None
) -> None:
    """Raise the DomainError that refuses this import (nothing is written), or return. With skip_bad,
    rows naming an agency `office_id` does not serve are skipped like the other bad rows (the preview
    listed them); without it import_items refuses them (422 agency-not-served)."""
    check_same_file(sha256, result.source["sha256"])
    if skip_bad:
        mark_unserved(result, office_id)
    by_line: dict[str, list[str]] = {}
    by_line_vi: dict[str, list[str]] = {}
    for error in result.errors:
        by_line.setdefault(str(error.line or "file"), []).append(str(error))
        by_line_vi.setdefault(str(error.line or "file"), []).append(error.text_vi)
    lines = {"lines": by_line, "lines_vi": by_line_vi}  # the same problems, in English and in Vietnamese
    if result.file_error:
        raise DomainError(
            "import-file-unreadable",
            "; ".join(str(e) for e in result.errors if e.line is None) + " Nothing was imported.",
            status=422,
            errors=lines,
        )
    if result.errors and not (skip_bad and result.rows_ok):
        bad = len(result.bad_lines)
        hint = "" if result.rows_ok else " No row is good."
        raise DomainError(
            "import-has-errors",
            f"{bad} of {result.rows_total} row(s) have problems, so nothing "
            f"was imported: fix them, or import only the good rows (skip_bad).{hint}",
            status=422,
            params={"bad": bad, "total": result.rows_total},
            errors=lines,
        )


def import_summary(items: list[Item], result: ImportResult) -> dict:
    """What an import did (the ImportResultSchema answer)."""
    directions = Counter(item.direction for item in items)
    return {
        "imported": len(items),
        "item_ids": [i.id for i in items],
        "codes": [i.code for i in items],
        "to_return": directions["return"],
        "to_collect": directions["collect"],
        "skipped_lines": result.bad_lines,
    }


def _default_agency(
    agencies: dict[str, Agency], code: str | None, has_column: bool
) -> tuple[Agency | None, tuple[str, str] | None]:
    """The agency for rows without one, or a problem as (English, Vietnamese)."""
    if code:
        agency = agencies.get(code.strip().upper())
        if agency is None:
            return None, (f"No agency with code {code}.", f"Không có cơ quan nào có mã {code}.")
        if not agency.active:
            return None, (
                f"The agency {agency.code} is inactive.",
                f"Cơ quan {agency.code} đã ngừng hoạt động.",
            )
        return agency, None
    active = [a for a in agencies.values() if a.active]
    if len(active) == 1:
        return active[0], None
    if has_column:
        return None, None  # each row names its agency
    return None, (
        "Say which agency handed these items over (--agency-code CODE on the command line), "
        "or add a 'Mã cơ quan' / agency_code column.",
        "Hãy chọn cơ quan đã bàn giao các bưu gửi này (--agency-code MÃ khi dùng dòng lệnh), "
        "hoặc thêm cột 'Mã cơ quan' / agency_code.",
    )


def _check_row(line: int, cells: dict, ctx: _Context) -> tuple[dict | None, list[RowError]]:
    errors: list[RowError] = []
    values: dict = {}

    def fail(name: str, message: str, message_vi: str | None) -> None:
        errors.append(RowError(line, message, ctx.headers.get(name, name), message_vi))

    def read(name: str, parse, *args):
        raw = cells.get(name)
        if import_parser.is_blank(raw):
            return None
        try:
            return parse(raw, *args)
        except CellError as exc:
            fail(name, exc.message, exc.message_vi)
            return None

    code = import_parser.item_code(cells.get("code"))
    if code is None:
        fail("code", "is empty", EMPTY_VI)
    elif problem := s10_problem(code):
        fail("code", f"{code}: {problem}", f"{code}: {s10_problem_vi(code)}")
    elif code in ctx.seen:
        fail(
            "code",
            f"{code} appears twice in the file (first on line {ctx.seen[code]})",
            f"{code} xuất hiện hai lần trong tệp (lần đầu ở dòng {ctx.seen[code]})",
        )
    else:
        ctx.seen[code] = line
    values["code"] = code

    texts = {name: read(name, import_parser.text, limit) for name, limit in _TEXT_LIMITS.items()}
    for name in (*_REQUIRED_TEXT, "procedure_code"):
        if import_parser.is_blank(cells.get(name)):
            fail(name, "is empty", EMPTY_VI)
    found = _check_units(texts["commune"], texts["province"], fail)
    if found is not None and found.status == "mapped" and found.name:
        column = ctx.headers.get("commune", "commune")
        ctx.warnings.append(
            (
                f"line {line}, {column}: changed the old '{found.written}' to the current '{found.name}'",
                f"dòng {line}, {column}: đã đổi '{found.written}' (cũ) thành '{found.name}' (hiện nay)",
            )
        )
        texts["commune"] = found.name
        texts["old_address"] = texts["old_address"] or found.old  # the old unit, for the postman
    if texts["dossier_code"]:  # the national format, as create and patch check it
        texts["dossier_code"] = texts["dossier_code"].strip().upper()
        if problem := dossier_code_problem(texts["dossier_code"]):
            shown = texts["dossier_code"]
            fail("dossier_code", f"{shown}: {problem}", f"{shown}: {DOSSIER_CODE_PROBLEM_VI}")

    procedure = _procedure(texts["procedure_code"], cells.get("procedure_code"), ctx, fail)
    agency = _agency(texts["agency_code"], ctx, fail)

    values["direction"] = "return"  # without a direction column, the export lists results to return
    if "direction" in ctx.headers:
        try:
            values["direction"] = import_parser.direction(cells.get("direction"))
        except CellError as exc:
            fail("direction", exc.message, exc.message_vi)
    values["recipient_phone"] = read("recipient_phone", import_parser.phone)
    lat, lon = read("lat", import_parser.coordinate, "lat"), read("lon", import_parser.coordinate, "lon")
    if import_parser.is_blank(cells.get("lat")) != import_parser.is_blank(cells.get("lon")):
        fail(
            "lat" if import_parser.is_blank(cells.get("lat")) else "lon",
            "give both latitude and longitude, or neither",
            "hãy ghi cả vĩ độ và kinh độ, hoặc bỏ trống cả hai",
        )
    service_fee = read("service_fee", import_parser.money)
    government_fee = read("government_fee", import_parser.money)
    values["due_date"] = read("due_date", import_parser.due_date)

    if errors:
        return None, errors
    assert procedure is not None and agency is not None  # a missing one has failed the row above
    values.update(
        dossier_code=texts["dossier_code"],
        recipient_name=texts["recipient_name"],
        address_line=texts["address_line"],
        commune=texts["commune"],
        province=texts["province"],
        old_address=texts["old_address"],
        note=texts["note"],
        lat=lat,
        lon=lon,
        procedure_id=procedure.id,
        agency_id=agency.id,
        service_fee=ctx.default_service_fee if service_fee is None else service_fee,
        government_fee=procedure.government_fee if government_fee is None else government_fee,
    )
    return values, errors


def _unseen(line: int, table: import_parser.Table, ctx: _Context) -> list[RowError]:
    """A hidden row, or cells whose formula has no stored value: reported, never imported as blanks."""
    errors = []
    if line in table.hidden_lines:
        errors.append(
            RowError(
                line,
                "is hidden in the workbook: unhide it and check it, or delete it (hidden rows are never "
                "imported)",
                message_vi="bị ẩn trong sổ tính: hãy hiện dòng này để kiểm tra, hoặc xóa nó (dòng ẩn "
                "không bao giờ được nhập)",
            )
        )
    for name in table.unevaluated.get(line, []):
        errors.append(
            RowError(
                line,
                "is a formula with no stored value: open the file in Excel and save it, so the value is "
                "computed and kept",
                ctx.headers.get(name, name),
                "là công thức chưa có giá trị: hãy mở tệp bằng Excel rồi lưu lại để giá trị được tính",
            )
        )
    return errors


def _check_units(commune: str | None, province: str | None, fail) -> admin_units.Resolution | None:
    """The commune and province are current units: not abolished (districts, merged provinces) and on
    the official list of units since 1 July 2025 (backend/domain/units.py). A pre-2025 commune, ward or
    town that became one current unit is taken as that one (backend/domain/admin_units.py): its
    resolution is returned, None when the row fails."""
    province_ok = False
    if province and (problem := import_parser.current_province_problem(province)):
        fail("province", problem, import_parser.current_province_problem_vi(province))
    elif province and (both := units.province_problem(province)):
        fail("province", *both)
    else:
        province_ok = province is not None
    if not commune:
        return None
    if fold(commune).startswith("huyen ") and (problem := import_parser.current_commune_problem(commune)):
        fail("commune", problem, import_parser.current_commune_problem_vi(commune))  # a district
        return None
    if not province_ok:
        return None
    found = admin_units.resolve(commune, province or "")
    if found.status in ("current", "mapped"):
        return found
    if found.status == "ambiguous":
        fail(
            "commune",
            f"'{commune}' is an old unit ({found.old}) now split between or shared by several current "
            f"ones: write one of {', '.join(found.choices)}",
            f"'{commune}' là đơn vị cũ ({found.old}) nay thuộc nhiều đơn vị hiện nay: hãy ghi một trong "
            f"{', '.join(found.choices)}",
        )
        return None
    if (problem := import_parser.current_commune_problem(commune)) is not None:
        fail("commune", problem, import_parser.current_commune_problem_vi(commune))
    elif both := units.commune_problem(commune, province or ""):
        fail("commune", *both)
    return None


def _procedure(code: str | None, raw: object, ctx: _Context, fail) -> Procedure | None:
    if code is None:  # blank or unreadable, reported already
        return None
    procedure = ctx.procedures.get(code.upper())
    if procedure is None:
        number = isinstance(raw, int | float)
        hint = (
            " (the cell holds a number: format the column as Text so codes like 2.000490 keep their zeros)"
            if number
            else ""
        )
        hint_vi = (
            " (ô đang chứa một số: hãy định dạng cột là Văn bản (Text) để các mã như 2.000490 "
            "giữ nguyên các số 0)"
            if number
            else ""
        )
        fail(
            "procedure_code",
            f"no procedure with code {code}{hint}",
            f"không có thủ tục nào có mã {code}{hint_vi}",
        )
        return None
    if not procedure.allowed_by_post:
        fail(
            "procedure_code",
            f"{code} '{procedure.name}' needs the citizen in person; it cannot go by post",
            f"{code} '{procedure.name}' yêu cầu công dân đến trực tiếp; không thể gửi qua bưu chính",
        )
        return None
    return procedure


def _agency(code: str | None, ctx: _Context, fail) -> Agency | None:
    if code is None:
        if ctx.default_agency is None:
            fail(
                "agency_code",
                "is empty and no --agency-code was given",
                "để trống và chưa chọn cơ quan bàn giao (--agency-code)",
            )
        return ctx.default_agency
    agency = ctx.agencies.get(code.upper())
    if ctx.chosen_agency is not None and code.upper() != ctx.chosen_agency.code.upper():
        # The file says another agency than the one the import is for: never a silent override.
        fail(
            "agency_code",
            f"names the agency {code}, but this import is for {ctx.chosen_agency.code}",
            f"ghi cơ quan {code}, nhưng lần nhập này dành cho {ctx.chosen_agency.code}",
        )
        return None
    if agency is None:
        fail("agency_code", f"no agency with code {code}", f"không có cơ quan nào có mã {code}")
    elif not agency.active:
        fail(
            "agency_code",
            f"the agency {agency.code} is inactive",
            f"cơ quan {agency.code} đã ngừng hoạt động",
        )
        return None
    return agency


def _existing_codes(codes: list[str]) -> set[str]:
    taken: set[str] = set()
    for start in range(0, len(codes), 500):
        chunk = codes[start : start + 500]
        taken.update(db.session.execute(db.select(Item.code).where(Item.code.in_(chunk))).scalars())
    return taken
