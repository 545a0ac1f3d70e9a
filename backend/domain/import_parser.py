"""Reading one-stop-shop exports (CSV or XLSX) into rows of cells, and parsing the cells.

Plain Python: no Flask, no database. `backend.services.item_import` validates the rows
against the database and imports them; docs/import-format.md describes the format.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from backend.domain.text import fold, nfc

# field -> header names accepted for it (compared after `header_key`).
COLUMNS: dict[str, tuple[str, ...]] = {
    "code": ("Mã bưu gửi", "Số hiệu bưu gửi", "Mã bưu phẩm", "Mã vận đơn", "code", "item_code"),
    "dossier_code": ("Số hồ sơ", "Mã hồ sơ", "dossier_code"),
    "procedure_code": ("Mã thủ tục", "Mã TTHC", "Mã thủ tục hành chính", "procedure_code"),
    "agency_code": ("Mã cơ quan", "Mã đơn vị", "agency_code"),
    "recipient_name": ("Họ tên", "Họ và tên", "Người nhận", "Tên người nhận", "recipient_name"),
    "recipient_phone": ("Điện thoại", "Số điện thoại", "SĐT", "recipient_phone", "phone"),
    "address_line": ("Địa chỉ", "Địa chỉ nhận", "address_line", "address"),
    "commune": ("Xã/Phường", "Xã, phường", "Xã", "Phường", "Phường/Xã", "commune", "ward"),
    "province": ("Tỉnh/Thành phố", "Tỉnh/TP", "Tỉnh", "Tỉnh, thành phố", "province"),
    "old_address": ("Địa chỉ cũ", "Địa chỉ trước sáp nhập", "old_address"),
    "lat": ("Vĩ độ", "lat", "latitude"),
    "lon": ("Kinh độ", "lon", "lng", "longitude"),
    "service_fee": ("Phí dịch vụ", "Cước", "Cước phí", "service_fee"),
    "government_fee": ("Lệ phí", "Phí, lệ phí", "government_fee"),
    "due_date": ("Hạn trả", "Ngày hẹn trả", "Hạn xử lý", "due_date"),
    "direction": ("Chiều", "direction"),
    "note": ("Ghi chú", "note"),
}
REQUIRED_COLUMNS = ("code", "procedure_code", "recipient_name", "address_line", "commune", "province")
HEADER_SEARCH_ROWS = 10  # title lines above the header are common in exports

MAX_VND = 1_000_000_000
# Vietnam's mainland and islands (Hoàng Sa, Trường Sa), so swapped or foreign positions stand out.
LAT_RANGE = (6.0, 24.0)
LON_RANGE = (102.0, 118.0)

_DIRECTIONS = {
    "return": "return",
    "tra": "return",
    "tra ket qua": "return",
    "tra kq": "return",
    "phat ket qua": "return",
    "collect": "collect",
    "thu gom": "collect",
    "thu gom ho so": "collect",
    "nhan ho so": "collect",
}


class BilingualError(ValueError):
    """A problem told in English (`str(exc)`, `message`) and in Vietnamese (`message_vi`)."""

    def __init__(self, message: str, message_vi: str | None = None):
        super().__init__(message)
        self.message = message
        self.message_vi = message if message_vi is None else message_vi


class CellError(BilingualError):
    """A cell that cannot be read; the message is shown to the user as is."""


class FileProblem(BilingualError):
    """The file as a whole cannot be read (encoding, format, no header)."""


# English warning (as in Table.notes, without "warning: ") -> the same in Vietnamese. Mis-decoded
# text is no longer a warning: it blocks the import (`mojibake_problem`).
WARNINGS_VI: dict[str, str] = {}
# UTF-8 read as Windows-1252/Latin-1: 'Nguyễn' becomes 'Nguyá»…n', 'Trường' 'TrÆ°á»\x9dng', 'Đ' 'Ä\x90'.
# Vietnamese never puts these letters before a Latin-1 symbol or control character.
_MOJIBAKE = re.compile(
    r"[ÃÄÅÆá][\u0080-\u00bf\u2018-\u203a\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u02c6\u02dc]"
)


def _vnd(amount: int) -> str:
    """1000000000 -> '1.000.000.000', as Vietnamese writes thousands."""
    return f"{amount:,}".replace(",", ".")


def header_key(text: str) -> str:
    """'Xã/Phường', 'xa phuong' and 'XA_PHUONG' all give 'xaphuong'."""
    return re.sub(r"[^a-z0-9]", "", fold(text))


_ALIASES = {header_key(alias): name for name, aliases in COLUMNS.items() for alias in aliases}


@dataclass
class Table:
    """The rows under the header, each with its spreadsheet line number (header line = header_line)."""

    kind: str  # "CSV" or "XLSX"
    header_line: int
    headers: list[str]
    columns: dict[str, int]  # field -> column index
    ignored: list[str]
    rows: list[tuple[int, dict[str, object]]]
    notes: list[str] = field(default_factory=list)
    hidden_lines: set[int] = field(default_factory=set)  # rows hidden in the workbook
    # line -> fields whose cell is a formula with no stored value (the file was never calculated)
    unevaluated: dict[int, list[str]] = field(default_factory=dict)


# ---- reading files --------------------------------------------------------------------------------------


def read_table(filename: str, data: bytes, encoding: str | None = None) -> Table:
    """Rows of a CSV or XLSX export, keyed by field; raises FileProblem."""
    if not data.strip():
        raise FileProblem(f"{filename} is empty.", f"Tệp {filename} trống.")
    if data.startswith(b"PK\x03\x04"):
        return _table("XLSX", _xlsx_rows(data), [], _xlsx_marks(data))
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise FileProblem(
            f"{filename} is an old Excel 97-2003 (.xls) workbook; save it as .xlsx "
            "or as 'CSV UTF-8' and import that.",
            f"{filename} là sổ tính Excel 97-2003 (.xls) kiểu cũ; hãy lưu lại thành .xlsx "
            "hoặc 'CSV UTF-8' rồi nhập tệp đó.",
        )
    if filename.lower().endswith((".xlsx", ".xlsm")):
        raise FileProblem(
            f"{filename} is not a valid .xlsx workbook.", f"{filename} không phải sổ tính .xlsx hợp lệ."
        )
    text, notes = decode_text(data, encoding)
    return _table("CSV", _csv_rows(text), notes)


def decode_text(data: bytes, encoding: str | None = None) -> tuple[str, list[str]]:
    """The text of a CSV file: UTF-8 (with or without BOM) or UTF-16 with BOM, unless told otherwise.

    Other encodings are refused rather than guessed: Windows-1258 and Latin-1 bytes decode
    "successfully" into the wrong letters, and wrong names on a certificate envelope are worse
    than an error.
    """
    if encoding:
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise FileProblem(
                f"Unknown encoding {encoding!r}.", f"Không biết bảng mã {encoding!r}."
            ) from None
        try:
            return data.decode(encoding).lstrip("\ufeff"), [f"read as {encoding}"]
        except UnicodeDecodeError as exc:
            line = data.count(b"\n", 0, exc.start) + 1
            raise FileProblem(
                f"The file cannot be read as {encoding}: {exc.reason} at byte {exc.start} (line {line}).",
                f"Không đọc được tệp theo bảng mã {encoding}: byte thứ {exc.start} "
                f"(dòng {line}) không hợp lệ ({exc.reason}).",
            ) from None
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16"), ["UTF-16"]
        except UnicodeDecodeError as exc:
            raise FileProblem(
                f"The file starts as UTF-16 but cannot be read as it: {exc.reason}.",
                f"Tệp bắt đầu như UTF-16 nhưng không đọc được theo UTF-16 ({exc.reason}).",
            ) from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise FileProblem(
            f"The file is not UTF-8: byte 0x{data[exc.start]:02X} on line {line} is not valid UTF-8. "
            "It was probably saved in a legacy encoding such as Windows-1258 (Excel's plain 'CSV'). "
            "Save it again as 'CSV UTF-8 (Comma delimited)' and import that "
            "(or, if you are sure of the encoding, name it: --encoding cp1258). "
            "/ Tệp không phải UTF-8: hãy lưu lại bằng 'CSV UTF-8' rồi nhập lại.",
            f"Tệp không phải UTF-8: byte 0x{data[exc.start]:02X} ở dòng {line} không hợp lệ trong UTF-8. "
            "Có lẽ tệp được lưu bằng bảng mã cũ như Windows-1258 (kiểu 'CSV' thường của Excel). "
            "Hãy lưu lại bằng 'CSV UTF-8 (Comma delimited)' rồi nhập lại "
            "(hoặc, nếu chắc chắn về bảng mã, hãy ghi rõ: --encoding cp1258).",
        ) from None
    notes = ["UTF-8 with BOM" if data.startswith(codecs.BOM_UTF8) else "UTF-8"]
    return text, notes


def _csv_rows(text: str) -> list[tuple[int, list[str]]]:
    sample = text.splitlines()[:HEADER_SEARCH_ROWS]
    delimiter = max((",", ";", "\t"), key=lambda d: sum(line.count(d) for line in sample))
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        # The record number is the row number a spreadsheet shows, even with line breaks inside cells.
        return list(enumerate(reader, start=1))
    except csv.Error as exc:
        raise FileProblem(f"The CSV file is malformed: {exc}.", f"Tệp CSV sai định dạng: {exc}.") from None


def _xlsx_rows(data: bytes) -> list[tuple[int, list[object]]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise FileProblem(f"The workbook cannot be read: {exc}.", f"Không đọc được sổ tính: {exc}.") from None
    try:
        if not workbook.worksheets:
            raise FileProblem("The workbook has no sheets.", "Sổ tính không có trang tính nào.")
        sheet = workbook.worksheets[0]
        sheet.reset_dimensions()  # some writers store a wrong size; read every row there is
        return [(number, list(values)) for number, values in enumerate(sheet.iter_rows(values_only=True), 1)]
    finally:
        workbook.close()


def _xlsx_marks(data: bytes) -> tuple[set[int], set[tuple[int, int]]]:
    """The first sheet's hidden rows and its formula cells with no stored value, as (row numbers,
    {(row, column index)}), read from the sheet's XML (openpyxl's values hide both: a hidden row
    reads like any other, an uncalculated formula like a blank)."""
    from xml.etree import ElementTree

    main = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
    rel = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            sheet = ElementTree.fromstring(archive.read("xl/workbook.xml")).find(f"{main}sheets/{main}sheet")
            rels = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
            target = next(
                r.get("Target", "") for r in rels if sheet is not None and r.get("Id") == sheet.get(rel)
            )
            path = target.lstrip("/") if target.startswith("/") else "xl/" + target
            hidden, unevaluated = set(), set()
            with archive.open(path) as stream:
                for _, element in ElementTree.iterparse(stream):
                    if element.tag == f"{main}row" and element.get("hidden") in ("1", "true"):
                        hidden.add(int(element.get("r", "0")))
                    elif element.tag == f"{main}c":
                        value = element.find(f"{main}v")
                        if element.find(f"{main}f") is not None and (value is None or not value.text):
                            unevaluated.add(_cell_position(element.get("r", "")))
                        element.clear()
    except (KeyError, StopIteration, ElementTree.ParseError, zipfile.BadZipFile, ValueError):
        return set(), set()  # an unusual workbook: openpyxl has read its values, nothing more to tell
    return hidden, unevaluated


def _cell_position(reference: str) -> tuple[int, int]:
    """'C12' -> (12, 2)."""
    letters = re.match(r"[A-Z]+", reference)
    if letters is None:
        raise ValueError(reference)
    column = 0
    for letter in letters.group():
        column = column * 26 + ord(letter) - ord("A") + 1
    return int(reference[letters.end() :]), column - 1


def mojibake_problem(rows: Sequence[tuple[int, Sequence[object]]]) -> FileProblem | None:
    """Text that was decoded in the wrong encoding ('Nguyá»…n' for 'Nguyễn') blocks the import: its
    names would go wrong onto envelopes and records."""
    for number, cells in rows:
        for cell in cells:
            if isinstance(cell, str) and (found := _MOJIBAKE.search(cell)):
                sample = cell.strip()[:40]
                return FileProblem(
                    f"Line {number}: the text looks mis-decoded ('{sample}': '{found.group()}' is how "
                    "Vietnamese letters look when UTF-8 was read as another encoding); nothing was imported. "
                    "Export the file again as 'CSV UTF-8' or .xlsx from the original data.",
                    f"Dòng {number}: văn bản có vẻ bị sai bảng mã ('{sample}'); chưa nhập gì. Hãy xuất lại "
                    "tệp dạng 'CSV UTF-8' hoặc .xlsx từ dữ liệu gốc.",
                )
    return None


def _find_header(rows: Sequence[tuple[int, Sequence[object]]]) -> tuple[int, list[str], list[str | None]]:
    """The first row naming at least three known columns: (its index, headers, field per header)."""
    for index, (_, cells) in enumerate(rows[:HEADER_SEARCH_ROWS]):
        headers = [nfc(str(c)) if c is not None else "" for c in cells]
        keys = [_ALIASES.get(header_key(h)) for h in headers]
        if sum(k is not None for k in keys) >= 3:
            return index, headers, keys
    raise FileProblem(
        "No header row found in the first lines: name the columns, e.g. "
        "'Mã bưu gửi, Mã thủ tục, Họ tên, Địa chỉ, Xã/Phường, Tỉnh/Thành phố' "
        "(see docs/import-format.md).",
        "Không tìm thấy dòng tiêu đề ở các dòng đầu: hãy đặt tên các cột, ví dụ "
        "'Mã bưu gửi, Mã thủ tục, Họ tên, Địa chỉ, Xã/Phường, Tỉnh/Thành phố' "
        "(xem docs/import-format.md).",
    )


def _table(
    kind: str,
    rows: Sequence[tuple[int, Sequence[object]]],
    notes: list[str],
    marks: tuple[set[int], set[tuple[int, int]]] = (set(), set()),
) -> Table:
    if problem := mojibake_problem(rows):
        raise problem
    hidden, formulas = marks
    index, headers, keys = _find_header(rows)
    line = rows[index][0]
    columns: dict[str, int] = {}
    problems, problems_vi, ignored = [], [], []
    for position, (header, key) in enumerate(zip(headers, keys, strict=True)):
        if key is None:
            if header:
                ignored.append(header)
        elif key in columns:
            problems.append(f"two columns mean {key}: '{headers[columns[key]]}' and '{header}'")
            problems_vi.append(f"hai cột cùng là {key}: '{headers[columns[key]]}' và '{header}'")
        else:
            columns[key] = position
    missing = [name for name in REQUIRED_COLUMNS if name not in columns]
    if missing:
        named = ", ".join(f"{COLUMNS[m][0]} ({m})" for m in missing)
        problems.append("missing column(s): " + named)
        problems_vi.append("thiếu cột: " + named)
    if problems:
        raise FileProblem(
            f"Line {line}: " + "; ".join(problems) + ".", f"Dòng {line}: " + "; ".join(problems_vi) + "."
        )
    body = []
    unevaluated: dict[int, list[str]] = {}
    for number, cells in rows[index + 1 :]:
        values = {name: (cells[i] if i < len(cells) else None) for name, i in columns.items()}
        missing_values = [name for name, i in columns.items() if (number, i) in formulas]
        if missing_values:
            unevaluated[number] = missing_values
        if all(is_blank(v) for v in values.values()) and not missing_values:
            continue  # blank, or only a pre-numbered STT left in a template
        body.append((number, values))
    hidden_lines = {number for number, values in body if number in hidden}
    return Table(kind, line, headers, columns, ignored, body, notes, hidden_lines, unevaluated)


# ---- parsing cells --------------------------------------------------------------------------------------


def is_blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def text(value: object, max_length: int) -> str | None:
    """NFC text on one line, or None when blank; numbers written as numbers (no '.0')."""
    if is_blank(value):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    result = nfc(" ".join(str(value).split()))
    if len(result) > max_length:
        raise CellError(
            f"is {len(result)} characters long; at most {max_length}",
            f"dài {len(result)} ký tự; tối đa {max_length} ký tự",
        )
    return result


def item_code(value: object) -> str | None:
    """An S10 code as written on labels, spaces allowed: 'rr 123 456 785 vn' -> 'RR123456785VN'."""
    if is_blank(value):
        return None
    return "".join(str(value).split()).upper()


def money(value: object) -> int:
    """Whole VND: 26000, '26.000', '26,000', '26 000 đ'; no fractions, nothing negative."""
    if isinstance(value, bool):
        raise CellError("is not an amount", "không phải số tiền")
    if isinstance(value, float):
        if not value.is_integer():
            raise CellError(
                f"{value:g} is not whole đồng: fractions are not allowed",
                f"{value:g} không phải số đồng chẵn: không được có phần lẻ",
            )
        value = int(value)
    if isinstance(value, int):
        amount = value
    else:
        raw = nfc(str(value))
        compact = re.sub(r"\s", "", raw)
        compact = re.sub(r"(vnđ|vnd|đồng|đ|₫)$", "", compact, flags=re.IGNORECASE)
        negative = compact[:1] in ("-", "−")
        digits = compact[1:] if negative else compact
        if re.fullmatch(r"\d+|\d{1,3}(\.\d{3})+|\d{1,3}(,\d{3})+", digits):
            amount = int(re.sub(r"[.,]", "", digits))
        elif re.fullmatch(r"[\d.,]+", digits) and any(ch.isdigit() for ch in digits):
            raise CellError(
                f"'{raw}' is not whole đồng: fractions are not allowed (write thousands as 26.000 or 26,000)",
                f"'{raw}' không phải số đồng chẵn: không được có phần lẻ "
                "(viết hàng nghìn là 26.000 hoặc 26,000)",
            )
        else:
            raise CellError(f"'{raw}' is not an amount in đồng", f"'{raw}' không phải số tiền (đồng)")
        amount = -amount if negative else amount
    if amount < 0:
        raise CellError(f"{amount} is negative", f"{amount} là số âm")
    if amount > MAX_VND:
        raise CellError(f"{amount} is more than {MAX_VND:,} đồng", f"{amount} lớn hơn {_vnd(MAX_VND)} đồng")
    return amount


def due_date(value: object) -> date:
    """YYYY-MM-DD or DD/MM/YYYY (a time after it is ignored), or a date cell."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, int | float):
        raise CellError(
            f"{value:g} is a number, not a date: write DD/MM/YYYY or format the cell as a date",
            f"{value:g} là một số, không phải ngày: hãy viết DD/MM/YYYY hoặc định dạng ô là ngày",
        )
    raw = str(value).strip()
    iso = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?", raw)
    local = re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{4})(?: \d{1,2}:\d{2}(?::\d{2})?)?", raw)
    if iso:
        year, month, day = (int(g) for g in iso.groups())
    elif local:
        day, month, year = (int(g) for g in local.groups())
    else:
        raise CellError(
            f"'{raw}' is not a date: write YYYY-MM-DD or DD/MM/YYYY",
            f"'{raw}' không phải ngày: viết YYYY-MM-DD hoặc DD/MM/YYYY",
        )
    try:
        parsed = date(year, month, day)
    except ValueError:
        raise CellError(
            f"'{raw}' is not a real date (day/month/year)",
            f"'{raw}' không phải ngày có thật (ngày/tháng/năm)",
        ) from None
    if not 2000 <= parsed.year <= 2100:
        raise CellError(f"'{raw}' is outside the years 2000-2100", f"'{raw}' nằm ngoài các năm 2000-2100")
    return parsed


def phone(value: object) -> str:
    """A Vietnamese number as 0xxxxxxxxx: accepts +84/84, spaces, dots and dashes, and the
    leading zero that spreadsheets drop from numeric cells."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    raw = nfc(str(value))
    digits = re.sub(r"[\s.\-()]", "", raw)
    if digits.startswith("+84"):
        digits = "0" + digits[3:]
    elif digits.startswith("84") and len(digits) in (11, 12):
        digits = "0" + digits[2:]
    elif re.fullmatch(r"[35789]\d{8}|2\d{9}", digits):
        digits = "0" + digits
    if not re.fullmatch(r"0[35789]\d{8}|02\d{9}", digits):
        raise CellError(
            f"'{raw}' is not a Vietnamese phone number "
            "(10 digits starting 03, 05, 07, 08 or 09; landlines 11 digits starting 02)",
            f"'{raw}' không phải số điện thoại Việt Nam (di động 10 chữ số, bắt đầu bằng 03, 05, "
            "07, 08 hoặc 09; cố định 11 chữ số, bắt đầu bằng 02)",
        )
    return digits


def coordinate(value: object, name: str) -> float:
    if isinstance(value, bool):
        raise CellError("is not a number", "không phải số")
    if isinstance(value, int | float):
        number = float(value)
    else:
        raw = str(value).strip()
        if re.fullmatch(r"-?\d+,\d+", raw):
            raw = raw.replace(",", ".")  # decimal comma, as Vietnamese-locale spreadsheets write it
        try:
            number = float(raw)
        except ValueError:
            raise CellError(f"'{raw}' is not a number", f"'{raw}' không phải số") from None
    low, high = LAT_RANGE if name == "lat" else LON_RANGE
    if not low <= number <= high:
        raise CellError(
            f"{number:g} is outside Vietnam ({low:g} to {high:g})",
            f"{number:g} nằm ngoài Việt Nam (từ {low:g} đến {high:g})",
        )
    return number


def direction(value: object) -> str:
    if is_blank(value):
        raise CellError(
            "is empty: write 'trả kết quả' (return) or 'thu gom' (collect)",
            "không được để trống: hãy viết 'trả kết quả' hoặc 'thu gom'",
        )
    found = _DIRECTIONS.get(fold(str(value)))
    if found is None:
        raise CellError(
            f"'{value}' is not a direction: write 'trả kết quả' (return) or 'thu gom' (collect)",
            f"'{value}' không phải chiều hợp lệ: hãy viết 'trả kết quả' hoặc 'thu gom'",
        )
    return found


# Provinces that ceased to exist on 1 July 2025 (Resolution 202/2025/QH15), and Thừa Thiên Huế,
# renamed Huế on 1 January 2025: name -> the unit that took them over.
MERGED_PROVINCES = {
    "Hà Giang": "Tuyên Quang",
    "Yên Bái": "Lào Cai",
    "Bắc Kạn": "Thái Nguyên",
    "Vĩnh Phúc": "Phú Thọ",
    "Hòa Bình": "Phú Thọ",
    "Bắc Giang": "Bắc Ninh",
    "Thái Bình": "Hưng Yên",
    "Hải Dương": "Hải Phòng",
    "Hà Nam": "Ninh Bình",
    "Nam Định": "Ninh Bình",
    "Quảng Bình": "Quảng Trị",
    "Quảng Nam": "Đà Nẵng",
    "Kon Tum": "Quảng Ngãi",
    "Bình Định": "Gia Lai",
    "Ninh Thuận": "Khánh Hòa",
    "Đắk Nông": "Lâm Đồng",
    "Bình Thuận": "Lâm Đồng",
    "Phú Yên": "Đắk Lắk",
    "Bình Dương": "Thành phố Hồ Chí Minh",
    "Bà Rịa - Vũng Tàu": "Thành phố Hồ Chí Minh",
    "Bình Phước": "Đồng Nai",
    "Long An": "Tây Ninh",
    "Sóc Trăng": "Cần Thơ",
    "Hậu Giang": "Cần Thơ",
    "Bến Tre": "Vĩnh Long",
    "Trà Vinh": "Vĩnh Long",
    "Tiền Giang": "Đồng Tháp",
    "Bạc Liêu": "Cà Mau",
    "Kiên Giang": "An Giang",
    "Thừa Thiên Huế": "Huế",
}


def _unit_key(name: str, prefixes: tuple[str, ...]) -> str:
    folded = fold(name)
    for prefix in prefixes:
        if folded.startswith(prefix):
            folded = folded[len(prefix) :]
            break
    return re.sub(r"[^a-z0-9]", "", folded)


_PROVINCE_PREFIXES = ("tinh ", "thanh pho ", "tp. ", "tp.", "tp ")
_MERGED = {_unit_key(old, ()): new for old, new in MERGED_PROVINCES.items()}


def _province_problem(name: str, message: str) -> str | None:
    """`message` about `name` and the current province it is part of, if it is a pre-2025 province."""
    successor = _MERGED.get(_unit_key(name, _PROVINCE_PREFIXES))
    return message.format(name=name, successor=successor) if successor else None


def current_province_problem(name: str) -> str | None:
    """Why `name` is not a current (post-July-2025) province, or None."""
    return _province_problem(
        name,
        "'{name}' is a pre-2025 province, now part of {successor}: put the current province "
        "here and the old address in Địa chỉ cũ (old_address)",
    )


def current_commune_problem(name: str) -> str | None:
    """Towns (thị trấn) and districts were abolished on 1 July 2025; a commune named so is the old unit."""
    folded = fold(name)
    if folded.startswith(("thi tran ", "tt. ", "tt ", "huyen ")):
        return (
            f"'{name}' is a pre-2025 unit (towns and districts were abolished on 1 July 2025): "
            "give the current commune or ward and put the old address in Địa chỉ cũ (old_address)"
        )
    return None


def current_province_problem_vi(name: str) -> str | None:
    """`current_province_problem` in Vietnamese."""
    return _province_problem(
        name,
        "'{name}' là tỉnh cũ (trước năm 2025), nay thuộc {successor}: hãy ghi tỉnh hiện nay "
        "ở đây và ghi địa chỉ cũ vào cột Địa chỉ cũ (old_address)",
    )


def current_commune_problem_vi(name: str) -> str | None:
    """`current_commune_problem` in Vietnamese."""
    if current_commune_problem(name) is None:
        return None
    return (
        f"'{name}' là đơn vị hành chính cũ (thị trấn và huyện đã bị bãi bỏ từ ngày 1/7/2025): "
        "hãy ghi xã hoặc phường hiện nay và ghi địa chỉ cũ vào cột Địa chỉ cũ (old_address)"
    )
