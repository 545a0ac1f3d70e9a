"""Imports that cannot misroute (issue 14, point 8): a line naming another agency than the import's is
an error on that line; hidden rows and formulas with no stored value are reported, never imported as
blanks; mis-decoded text blocks the file; communes must be current units of their province."""

from __future__ import annotations

import io

import pytest
from openpyxl import Workbook

from backend.domain import import_parser, units
from backend.domain.s10 import make_s10
from backend.services.item_import import parse_items_file

HEADER = ["Mã bưu gửi", "Mã thủ tục", "Mã cơ quan", "Họ tên", "Địa chỉ", "Xã/Phường", "Tỉnh/Thành phố"]


@pytest.fixture
def world(make):
    return {
        "mine": make.agency(code="PVHCC-CHAUTHANH"),
        "other": make.agency(code="PVHCC-BINHAN"),
        "procedure": make.procedure(code="1.001193"),
    }


def _row(n, agency="PVHCC-CHAUTHANH", commune="Xã Châu Thành", province="An Giang", name="Nguyễn Thị Lan"):
    return [make_s10("RR", 52_000_000 + n), "1.001193", agency, name, "Ấp Láng Cát", commune, province]


def _csv(rows) -> bytes:
    return "\r\n".join(",".join(cells) for cells in [HEADER, *rows]).encode("utf-8-sig")


def _problems(result):
    return [(e.line, e.column, e.message) for e in result.errors]


def test_a_line_naming_another_agency_than_the_imports_is_an_error_on_that_line(app, world):
    data = _csv([_row(1), _row(2, agency="PVHCC-BINHAN"), _row(3)])
    with app.app_context():
        result = parse_items_file("export.csv", data, agency_code="PVHCC-CHAUTHANH")
    assert [row.line for row in result.rows_ok] == [2, 4]
    assert _problems(result) == [
        (3, "Mã cơ quan", "names the agency PVHCC-BINHAN, but this import is for PVHCC-CHAUTHANH")
    ]
    assert "PVHCC-CHAUTHANH" in result.errors[0].message_vi


def test_without_a_chosen_agency_each_line_keeps_its_own(app, world):
    with app.app_context():
        result = parse_items_file("export.csv", _csv([_row(1), _row(2, agency="PVHCC-BINHAN")]))
    assert result.errors == []
    assert [row.values["agency_id"] for row in result.rows_ok] == [world["mine"].id, world["other"].id]


def _workbook(rows, hide=(), formulas=()) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(HEADER)
    for row in rows:
        sheet.append(row)
    for line in hide:
        sheet.row_dimensions[line].hidden = True
    for reference, formula in formulas:
        sheet[reference] = formula  # openpyxl writes no cached value, as a script-made export has none
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_hidden_rows_are_reported_and_never_imported(app, world):
    data = _workbook([_row(1), _row(2), _row(3)], hide=(3,))
    with app.app_context():
        result = parse_items_file("export.xlsx", data, agency_code="PVHCC-CHAUTHANH")
    assert [row.line for row in result.rows_ok] == [2, 4]
    assert [(line, column) for line, column, _ in _problems(result)] == [(3, None)]
    assert "hidden" in result.errors[0].message and "ẩn" in result.errors[0].message_vi


def test_a_formula_with_no_stored_value_is_reported_not_read_as_a_blank(app, world):
    # Line 3's name is =UPPER(...), never calculated: a blank would import an item with no recipient's
    # name; a blank row of formulas (line 5) would be skipped unseen.
    rows = [_row(1), _row(2), _row(3)]
    data = _workbook(rows, formulas=[("D3", '=UPPER("an")'), ("A5", "=A4"), ("F5", "=F4")])
    with app.app_context():
        result = parse_items_file("export.xlsx", data, agency_code="PVHCC-CHAUTHANH")
    assert [row.line for row in result.rows_ok] == [2, 4]
    assert [(line, column) for line, column, _ in _problems(result)] == [
        (3, "Họ tên"),
        (5, "Mã bưu gửi"),
        (5, "Xã/Phường"),
    ]
    assert all("formula with no stored value" in message for _, _, message in _problems(result))


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_mis_decoded_text_blocks_the_import_with_a_clear_message(app, world, kind):
    mangled = "Nguyễn Thị Lan".encode().decode("cp1252", errors="replace")  # 'Nguyá»…n Thá»‹ Lan'
    rows = [_row(1), _row(2, name=mangled)]
    data = _csv(rows) if kind == "csv" else _workbook(rows)
    with app.app_context():
        result = parse_items_file(f"export.{kind}", data, agency_code="PVHCC-CHAUTHANH")
    assert result.rows_ok == [] and result.file_error
    assert result.errors[0].message.startswith("Line 3: the text looks mis-decoded")
    assert "sai bảng mã" in result.errors[0].message_vi


def test_ordinary_vietnamese_is_not_taken_for_mojibake():
    rows = [(1, ["Ngô Bảo Châu", "ĐẶNG THỊ NGÃ", "Phường Bình Thủy", "Trường Đại học Cần Thơ", "à ạ ả ã"])]
    assert import_parser.mojibake_problem(rows) is None


def test_communes_are_checked_against_the_official_list_of_current_units(app, world):
    rows = [
        _row(1),
        _row(2, commune="Xã Mong Thọ Z"),  # no unit ever bore this name
        _row(3, commune="binh an"),  # the current Xã Bình An, without its prefix or diacritics
        _row(4, province="Tỉnh Hải Dương"),  # merged into Hải Phòng: its successor is named
        _row(5, province="Xứ Sở Thần Tiên"),
    ]
    with app.app_context():
        result = parse_items_file("export.csv", _csv(rows), agency_code="PVHCC-CHAUTHANH")
    assert [row.line for row in result.rows_ok] == [2, 4]
    problems = {(line, column): message for line, column, message in _problems(result)}
    assert set(problems) == {(3, "Xã/Phường"), (5, "Tỉnh/Thành phố"), (6, "Tỉnh/Thành phố")}
    assert "not a current commune or ward of An Giang" in problems[(3, "Xã/Phường")]
    assert "Hải Phòng" in problems[(5, "Tỉnh/Thành phố")]
    assert "34 current provinces" in problems[(6, "Tỉnh/Thành phố")]


def test_the_official_list_holds_the_2025_units():
    assert units.current_province("Thành phố Cần Thơ") == units.current_province("cần thơ") is not None
    assert units.commune_problem("Phường Ninh Kiều", "Cần Thơ") is None
    assert units.commune_problem("Xã Mỹ Hòa Hưng", "An Giang") is None
    assert units.commune_problem("Phường Ninh Kiều", "An Giang") is not None
