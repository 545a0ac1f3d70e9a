"""import-items: one-stop-shop exports (CSV, XLSX) become items, or nothing does and every bad line is named."""

from __future__ import annotations

import unicodedata
from datetime import date, datetime
from pathlib import Path

import pytest
from openpyxl import Workbook

from backend.domain import import_parser
from backend.domain.s10 import make_s10, s10_problem, s10_problem_vi
from backend.extensions import db
from backend.models import AuditEntry, Item
from backend.services.item_import import import_items, parse_items_file

HEADER = (
    "Mã bưu gửi,Số hồ sơ,Mã thủ tục,Họ tên,Điện thoại,Địa chỉ,Xã/Phường,Tỉnh/Thành phố,Địa chỉ cũ,"
    "Vĩ độ,Kinh độ,Phí dịch vụ,Lệ phí,Hạn trả,Chiều"
)
GOOD_ROWS = [
    f"{make_s10('RR', 31250001)},000.21.30.H01-251201-0014,1.001193,Nguyễn Thị Kim Ngân,0918 245 731,"
    '"Tổ 4, Ấp Láng Cát",Xã Châu Thành,An Giang,"Ấp Láng Cát, xã Giục Tượng, huyện Châu Thành, tỉnh Kiên Giang",'
    '9.9761,105.1893,"26.000",0,05/12/2025,Trả kết quả',
    f'{make_s10("RR", 31250002)},,2.001417,Trần Văn Lộc,+84 377 112 904,"Số 18, Khu phố Minh An",Xã Châu Thành,'
    'An Giang,,"10,0049","105,1702","26,000",,2025-12-04,thu gom',
    f'{make_s10("RR", 31250003)},,1.001193,Danh Thị Sa Ry,,"Tổ 2, Ấp Vĩnh Lộc",Xã Bình An,An Giang,,,,,,,'
    "trả kết quả",
]
BAD_CHECK_DIGIT = "RR312500040VN"  # the check digit of 31250004 is 1


@pytest.fixture
def office(make):
    return {
        "agency": make.agency(code="PVHCC-CHAUTHANH"),
        "birth": make.procedure(code="1.001193", name="Đăng ký khai sinh", government_fee=0),
        "record": make.procedure(code="2.001417", name="Cấp phiếu lý lịch tư pháp", government_fee=200_000),
        "marriage": make.procedure(code="1.000894", name="Đăng ký kết hôn", allowed_by_post=False),
    }


def write_csv(
    tmp_path: Path,
    rows: list[str],
    header: str = HEADER,
    encoding: str = "utf-8-sig",
    name: str = "items.csv",
) -> Path:
    path = tmp_path / name
    path.write_bytes("\r\n".join([header, *rows, ""]).encode(encoding))
    return path


def items_in(app) -> dict[str, Item]:
    with app.app_context():
        rows = db.session.execute(db.select(Item)).scalars().all()
        db.session.expunge_all()
        return {item.code: item for item in rows}


def test_a_good_csv_imports_every_row_with_its_starting_status(app, runner, office, tmp_path):
    result = runner.invoke(args=["import-items", str(write_csv(tmp_path, GOOD_ROWS))])

    assert result.exit_code == 0, result.output
    assert "Imported 3 item(s): 2 to return (at the post office), 1 to collect (registered)." in result.output
    items = items_in(app)
    first, second, third = (items[make_s10("RR", n)] for n in (31250001, 31250002, 31250003))
    assert (first.direction, first.status) == ("return", "at_post_office")
    assert (second.direction, second.status) == ("collect", "registered")
    assert first.service_fee == second.service_fee == third.service_fee == 26_000  # third: the default
    assert second.government_fee == 200_000  # blank: the procedure's fee
    assert second.recipient_phone == "0377112904"
    assert (second.lat, second.lon) == (10.0049, 105.1702)
    assert first.due_date == date(2025, 12, 5) and second.due_date == date(2025, 12, 4)
    assert first.old_address.startswith("Ấp Láng Cát, xã Giục Tượng")
    assert first.agency_id == office["agency"].id and first.procedure_id == office["birth"].id
    assert "nguyen thi kim ngan" in first.search_text
    assert unicodedata.is_normalized("NFC", third.recipient_name)
    with app.app_context():
        actions = db.session.execute(db.select(AuditEntry.action)).scalars().all()
        summary = db.session.execute(
            db.select(AuditEntry).where(AuditEntry.action == "items.imported")
        ).scalar_one()
        assert actions.count("item.created") == 3
        assert summary.detail["count"] == 3 and summary.detail["file"] == "items.csv"


def test_a_good_xlsx_with_english_headers_and_typed_cells_imports(app, runner, office, tmp_path):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Danh sách kết quả trả qua bưu chính"])  # a title line above the header
    sheet.append(
        [
            "code",
            "procedure_code",
            "recipient_name",
            "recipient_phone",
            "address_line",
            "commune",
            "province",
            "service_fee",
            "due_date",
            "direction",
            "note",
        ]
    )
    sheet.append(
        [
            make_s10("EA", 70000001),
            "1.001193",
            "Lê Hoàng Phúc",
            909318552,
            "Tổ 9, Ấp Phước Lợi",
            "Xã Thạnh Lộc",
            "An Giang",
            26000,
            datetime(2025, 12, 3, 17, 0),
            "return",
            "Gọi trước",
        ]
    )
    sheet.append(
        [
            make_s10("EA", 70000002),
            "2.001417",
            "Phạm Minh Tuấn",
            "0832556019",
            "Số 102",
            "Xã Châu Thành",
            "Tỉnh An Giang",
            26000.0,
            "03/12/2025",
            "collect",
            None,
        ]
    )
    workbook.create_sheet("Ghi chú").append(["ignored: only the first sheet is read"])
    path = tmp_path / "export.xlsx"
    workbook.save(path)

    result = runner.invoke(args=["import-items", str(path), "--agency-code", "pvhcc-chauthanh"])

    assert result.exit_code == 0, result.output
    assert "XLSX, header on line 2" in result.output
    items = items_in(app)
    first, second = items[make_s10("EA", 70000001)], items[make_s10("EA", 70000002)]
    assert first.recipient_phone == "0909318552"  # the spreadsheet dropped the leading zero
    assert first.due_date == date(2025, 12, 3) and first.note == "Gọi trước"
    assert (second.status, second.service_fee) == ("registered", 26_000)


def test_a_file_with_bad_rows_imports_nothing_and_names_every_bad_line(app, runner, office, tmp_path):
    good = GOOD_ROWS[0]
    rows = [
        good,
        good.replace(make_s10("RR", 31250001), BAD_CHECK_DIGIT),
        good.replace(make_s10("RR", 31250001), make_s10("RR", 31250005)).replace("1.001193", "9.999999"),
        good.replace(make_s10("RR", 31250001), make_s10("RR", 31250006)).replace('"26.000"', "-26000"),
        good.replace(make_s10("RR", 31250001), make_s10("RR", 31250007)).replace("05/12/2025", "31/02/2025"),
        good.replace(make_s10("RR", 31250001), make_s10("RR", 31250008)).replace("1.001193", "1.000894"),
        good,  # the same code again
        good.replace(make_s10("RR", 31250001), make_s10("RR", 31250009)).replace('"26.000"', '"26,5"'),
    ]
    result = runner.invoke(args=["import-items", str(write_csv(tmp_path, rows))])

    assert result.exit_code == 1
    assert f"Line 3, Mã bưu gửi: {BAD_CHECK_DIGIT}: check digit is 0 but should be 1" in result.stderr
    assert "Line 4, Mã thủ tục: no procedure with code 9.999999" in result.stderr
    assert "Line 5, Phí dịch vụ: -26000 is negative" in result.stderr
    assert "Line 6, Hạn trả: '31/02/2025' is not a real date" in result.stderr
    assert "Line 7, Mã thủ tục: 1.000894 'Đăng ký kết hôn' needs the citizen in person" in result.stderr
    assert (
        f"Line 8, Mã bưu gửi: {make_s10('RR', 31250001)} appears twice in the file (first on line 2)"
        in result.stderr
    )
    assert "Line 9, Phí dịch vụ: '26,5' is not whole đồng" in result.stderr
    assert "8 row(s): 1 good, 7 with problems. Nothing imported" in result.stderr
    assert items_in(app) == {}


def test_a_dossier_code_off_the_national_format_is_an_error_on_its_line(app, runner, office, tmp_path):
    """The import checks a dossier code as creating or editing an item does; a good one in lower case
    is stored as the national format writes it."""
    rows = [
        GOOD_ROWS[0].replace("000.21.30.H01-251201-0014", "000.21.30.h01-251201-0014"),
        GOOD_ROWS[1].replace(",,2.001417", ",HS-2025-0102,2.001417"),
        GOOD_ROWS[2].replace(",,1.001193", ",000.21.30.H01-251301-0014,1.001193"),  # month 13
    ]
    result = runner.invoke(args=["import-items", str(write_csv(tmp_path, rows))])

    assert result.exit_code == 1
    expected = "expected <unit code>-<yymmdd>-<number>, e.g. 000.21.30.H01-251201-0014"
    assert f"Line 3, Số hồ sơ: HS-2025-0102: {expected}" in result.stderr
    assert "Dòng 3, Số hồ sơ: HS-2025-0102: cần dạng <mã đơn vị>-<yymmdd>-<số thứ tự>" in result.stderr
    assert f"Line 4, Số hồ sơ: 000.21.30.H01-251301-0014: {expected}" in result.stderr
    assert "Line 2" not in result.stderr
    assert items_in(app) == {}

    fixed = runner.invoke(args=["import-items", str(write_csv(tmp_path, rows[:1]))])
    assert fixed.exit_code == 0, fixed.stderr
    assert [item.dossier_code for item in items_in(app).values()] == ["000.21.30.H01-251201-0014"]


def test_the_cli_prints_each_problem_in_vietnamese_then_in_english(app, runner, office, tmp_path):
    rows = [
        GOOD_ROWS[0].replace(make_s10("RR", 31250001), BAD_CHECK_DIGIT).replace("05/12/2025", "mai"),
        GOOD_ROWS[1].replace("2.001417", "1.000894"),
    ]
    result = runner.invoke(args=["import-items", str(write_csv(tmp_path, rows))])

    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert lines == [
        f"Dòng 2, Mã bưu gửi: {BAD_CHECK_DIGIT}: số kiểm tra là 0 nhưng phải là 1",
        f"  Line 2, Mã bưu gửi: {BAD_CHECK_DIGIT}: check digit is 0 but should be 1",
        "Dòng 2, Hạn trả: 'mai' không phải ngày: viết YYYY-MM-DD hoặc DD/MM/YYYY",
        "  Line 2, Hạn trả: 'mai' is not a date: write YYYY-MM-DD or DD/MM/YYYY",
        "Dòng 3, Mã thủ tục: 1.000894 'Đăng ký kết hôn' yêu cầu công dân đến trực tiếp; "
        "không thể gửi qua bưu chính",
        "  Line 3, Mã thủ tục: 1.000894 'Đăng ký kết hôn' needs the citizen in person; it cannot go by post",
        "2 dòng: 0 hợp lệ, 2 có lỗi. Chưa nhập gì: hãy sửa các dòng trên, hoặc dùng --skip-bad để nhập "
        "0 dòng hợp lệ.",
        "  2 row(s): 0 good, 2 with problems. Nothing imported: fix the lines above, or use --skip-bad to "
        "import the 0 good row(s).",
    ]


def test_the_cli_prints_a_file_problem_in_vietnamese_then_in_english(app, runner, office, tmp_path):
    path = tmp_path / "ansi.csv"
    path.write_bytes(to_cp1258("\r\n".join([HEADER, *GOOD_ROWS, ""])))
    result = runner.invoke(args=["import-items", str(path)])

    assert result.exit_code == 1
    vietnamese, english, *rest = result.stderr.splitlines()
    assert vietnamese.startswith("Tệp: Tệp không phải UTF-8: byte 0x") and "'CSV UTF-8" in vietnamese
    assert english.startswith("  File: The file is not UTF-8")
    assert rest == ["Chưa nhập gì.", "  Nothing imported."]


def test_skip_bad_imports_only_the_good_rows_and_records_the_skipped_lines(app, runner, office, tmp_path):
    rows = [GOOD_ROWS[0], GOOD_ROWS[1].replace(make_s10("RR", 31250002), BAD_CHECK_DIGIT), GOOD_ROWS[2]]
    result = runner.invoke(args=["import-items", str(write_csv(tmp_path, rows)), "--skip-bad"])

    assert result.exit_code == 0, result.output
    assert "Skipping lines 3." in result.stderr
    assert sorted(items_in(app)) == [make_s10("RR", 31250001), make_s10("RR", 31250003)]
    with app.app_context():
        summary = db.session.execute(
            db.select(AuditEntry).where(AuditEntry.action == "items.imported")
        ).scalar_one()
        assert summary.detail["skipped_lines"] == [3]


def test_codes_already_in_the_database_are_refused(app, runner, office, make, tmp_path):
    make.item(code=make_s10("RR", 31250002), agency_id=office["agency"].id, procedure_id=office["birth"].id)
    result = runner.invoke(args=["import-items", str(write_csv(tmp_path, GOOD_ROWS))])

    assert result.exit_code == 1
    assert f"Line 3, Mã bưu gửi: {make_s10('RR', 31250002)} is already in the database" in result.stderr
    assert len(items_in(app)) == 1


def test_a_dry_run_reports_and_writes_nothing(app, runner, office, tmp_path):
    result = runner.invoke(args=["import-items", str(write_csv(tmp_path, GOOD_ROWS)), "--dry-run"])

    assert result.exit_code == 0, result.output
    assert "Dry run: 3 row(s) would be imported; nothing was written." in result.output
    assert items_in(app) == {}
    with app.app_context():
        assert db.session.execute(db.select(AuditEntry)).first() is None


def to_cp1258(text: str) -> bytes:
    """Windows-1258 as Vietnamese Windows writes it: base letters precomposed, tone marks combining."""
    out = bytearray()
    for char in text:
        try:
            out += char.encode("cp1258")
        except UnicodeEncodeError:
            base, *marks = unicodedata.normalize("NFD", char)
            tones = [m for m in marks if m in "\u0300\u0301\u0303\u0309\u0323"]
            shape = unicodedata.normalize("NFC", base + "".join(m for m in marks if m not in tones))
            out += (shape + "".join(tones)).encode("cp1258")
    return bytes(out)


@pytest.mark.parametrize(
    "encode", [to_cp1258, lambda text: text.encode("latin-1", errors="replace")], ids=["cp1258", "latin-1"]
)
def test_a_legacy_encoded_csv_gets_a_clear_encoding_error(app, runner, office, tmp_path, encode):
    path = tmp_path / "ansi.csv"
    path.write_bytes(encode("\r\n".join([HEADER, *GOOD_ROWS, ""])))
    result = runner.invoke(args=["import-items", str(path)])

    assert result.exit_code == 1
    assert "The file is not UTF-8" in result.stderr and "on line 1" in result.stderr
    assert "CSV UTF-8" in result.stderr
    assert items_in(app) == {}


def test_a_cp1258_csv_imports_when_its_encoding_is_named(app, runner, office, tmp_path):
    path = tmp_path / "ansi.csv"
    path.write_bytes(to_cp1258("\r\n".join([HEADER, *GOOD_ROWS, ""])))
    result = runner.invoke(args=["import-items", str(path), "--encoding", "cp1258"])

    assert result.exit_code == 0, result.output
    assert items_in(app)[make_s10("RR", 31250001)].recipient_name == "Nguyễn Thị Kim Ngân"  # NFC again


def test_without_an_agency_the_file_is_refused_when_there_are_several(app, runner, office, make, tmp_path):
    make.agency(code="STP-ANGIANG")
    result = runner.invoke(args=["import-items", str(write_csv(tmp_path, GOOD_ROWS))])

    assert result.exit_code == 1
    assert "--agency-code" in result.stderr
    assert items_in(app) == {}


def test_the_parser_and_importer_work_without_the_cli(app, office):
    data = "\r\n".join([HEADER, *GOOD_ROWS, ""]).encode()
    with app.app_context():
        result = parse_items_file("upload.csv", data, agency_code="PVHCC-CHAUTHANH")
        assert result.errors == [] and [row.line for row in result.rows_ok] == [2, 3, 4]
        items = import_items(result.rows_ok, source=result.source)
        assert [item.status for item in items] == ["at_post_office", "registered", "at_post_office"]

        again = parse_items_file("upload.csv", data)
        assert [(e.line, e.column) for e in again.errors] == [
            (2, "Mã bưu gửi"),
            (3, "Mã bưu gửi"),
            (4, "Mã bưu gửi"),
        ]
        assert again.rows_ok == []


# ---- cell and header parsing (no database) ----------------------------------------------------------------


@pytest.mark.parametrize(
    "raw, amount",
    [
        (26000, 26000),
        (26000.0, 26000),
        ("26000", 26000),
        ("26.000", 26000),
        ("26,000", 26000),
        ("26 000", 26000),
        ("1.250.000", 1250000),
        ("26.000 đ", 26000),
        ("135,000 VND", 135000),
        ("0", 0),
    ],
)
def test_money_is_read_as_whole_dong_with_vietnamese_thousands_separators(raw, amount):
    assert import_parser.money(raw) == amount


@pytest.mark.parametrize(
    "raw, message",
    [
        ("-5000", "negative"),
        (-1, "negative"),
        ("26,5", "fractions"),
        ("26000.50", "fractions"),
        (26000.5, "fractions"),
        ("26.00", "fractions"),
        ("hai mươi", "not an amount"),
        ("2.000.000.000", "more than"),
    ],
)
def test_money_refuses_fractions_negatives_and_words(raw, message):
    with pytest.raises(import_parser.CellError, match=message):
        import_parser.money(raw)


@pytest.mark.parametrize(
    "parse, raw, english, vietnamese",
    [
        (
            import_parser.money,
            "hai mươi",
            "'hai mươi' is not an amount in đồng",
            "'hai mươi' không phải số tiền (đồng)",
        ),
        (import_parser.money, "-5000", "-5000 is negative", "-5000 là số âm"),
        (
            import_parser.money,
            "2.000.000.000",
            "2000000000 is more than 1,000,000,000 đồng",
            "2000000000 lớn hơn 1.000.000.000 đồng",
        ),
        (
            import_parser.due_date,
            "31/02/2025",
            "'31/02/2025' is not a real date (day/month/year)",
            "'31/02/2025' không phải ngày có thật (ngày/tháng/năm)",
        ),
        (
            import_parser.direction,
            "gửi",
            "'gửi' is not a direction: write 'trả kết quả' (return) or 'thu gom' (collect)",
            "'gửi' không phải chiều hợp lệ: hãy viết 'trả kết quả' hoặc 'thu gom'",
        ),
    ],
)
def test_cell_errors_carry_the_english_and_the_vietnamese_message(parse, raw, english, vietnamese):
    with pytest.raises(import_parser.CellError) as caught:
        parse(raw)
    assert (str(caught.value), caught.value.message, caught.value.message_vi) == (
        english,
        english,
        vietnamese,
    )


def test_s10_problems_have_a_vietnamese_variant():
    assert s10_problem(BAD_CHECK_DIGIT) == "check digit is 0 but should be 1"
    assert s10_problem_vi(BAD_CHECK_DIGIT) == "số kiểm tra là 0 nhưng phải là 1"
    assert s10_problem_vi("RR12345VN").startswith("phải gồm 2 chữ cái, 8 chữ số")
    assert s10_problem_vi(make_s10("RR", 31250001)) is None


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("2025-12-05", date(2025, 12, 5)),
        ("05/12/2025", date(2025, 12, 5)),
        ("5/12/2025", date(2025, 12, 5)),
        ("05/12/2025 17:00", date(2025, 12, 5)),
        (datetime(2025, 12, 5, 8), date(2025, 12, 5)),
    ],
)
def test_dates_are_read_in_iso_and_vietnamese_order(raw, expected):
    assert import_parser.due_date(raw) == expected


@pytest.mark.parametrize("raw", ["12/31/2025", "31/02/2025", "2025/12/05", "tomorrow", 45991])
def test_impossible_or_ambiguous_dates_are_refused(raw):
    with pytest.raises(import_parser.CellError):
        import_parser.due_date(raw)


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("0912 345 678", "0912345678"),
        ("+84 912.345.678", "0912345678"),
        ("84912345678", "0912345678"),
        (912345678, "0912345678"),
        ("0296-3837-211", "02963837211"),
    ],
)
def test_phones_are_normalised_to_a_leading_zero(raw, expected):
    assert import_parser.phone(raw) == expected


@pytest.mark.parametrize("raw", ["12345", "0123456789", "09123456789", "0912 345 678 / 0987 654 321"])
def test_implausible_phones_are_refused(raw):
    with pytest.raises(import_parser.CellError, match="not a Vietnamese phone number"):
        import_parser.phone(raw)


@pytest.mark.parametrize(
    "raw, direction",
    [
        ("trả kết quả", "return"),
        ("TRA KET QUA", "return"),
        ("return", "return"),
        ("Thu gom hồ sơ", "collect"),
        ("thu gom", "collect"),
        ("collect", "collect"),
    ],
)
def test_directions_are_accepted_in_vietnamese_and_english(raw, direction):
    assert import_parser.direction(raw) == direction


def test_headers_match_without_case_diacritics_or_punctuation():
    data = (
        "MA BUU GUI;ma thu tuc;HỌ TÊN;dia_chi;Xa Phuong;TINH / THANH PHO\r\n"
        f"{make_s10('RR', 1)};1.001193;An;Ấp A;Xã B;An Giang\r\n"
    ).encode()
    table = import_parser.read_table("x.csv", data)
    assert set(table.columns) == {
        "code",
        "procedure_code",
        "recipient_name",
        "address_line",
        "commune",
        "province",
    }
    assert table.rows == [
        (
            2,
            {
                "code": make_s10("RR", 1),
                "procedure_code": "1.001193",
                "recipient_name": "An",
                "address_line": "Ấp A",
                "commune": "Xã B",
                "province": "An Giang",
            },
        )
    ]


def test_excel_unicode_text_is_read_as_tab_separated_utf16():
    data = (
        "Mã bưu gửi\tMã thủ tục\tHọ tên\tĐịa chỉ\tXã/Phường\tTỉnh\r\n"
        f"{make_s10('RR', 1)}\t1.001193\tAn\tẤp A\tXã B\tAn Giang\r\n"
    ).encode("utf-16")
    table = import_parser.read_table("export.txt", data)
    assert table.notes == ["UTF-16"] and table.rows[0][1]["address_line"] == "Ấp A"


@pytest.mark.parametrize(
    "data, message",
    [
        (b"", "is empty"),
        (b"\xd0\xcf\x11\xe0rest", "Excel 97-2003"),
        (b"PK\x03\x04garbage", "cannot be read"),
        ("STT,Tên\r\n1,An\r\n".encode(), "No header row"),
    ],
)
def test_unreadable_files_are_refused_with_a_reason(data, message):
    with pytest.raises(import_parser.FileProblem, match=message):
        import_parser.read_table("export.csv", data)


def test_blank_lines_and_template_lines_numbered_in_advance_are_skipped():
    data = (
        "STT,Mã bưu gửi,Mã thủ tục,Họ tên,Địa chỉ,Xã/Phường,Tỉnh\r\n"
        f"1,{make_s10('RR', 1)},1.001193,An,Ấp A,Xã B,An Giang\r\n,,,,,,\r\n\r\n4,,,,,,\r\n"
    ).encode()
    assert [line for line, _ in import_parser.read_table("x.csv", data).rows] == [2]


def test_a_file_missing_required_columns_is_refused_naming_them():
    with pytest.raises(
        import_parser.FileProblem, match=r"missing column\(s\): Xã/Phường \(commune\)"
    ) as caught:
        import_parser.read_table("x.csv", "Mã bưu gửi,Mã thủ tục,Họ tên,Địa chỉ,Tỉnh\r\n".encode())
    assert caught.value.message_vi == "Dòng 1: thiếu cột: Xã/Phường (commune)."


@pytest.mark.parametrize(
    "name, successor",
    [("Kiên Giang", "An Giang"), ("tỉnh Bà Rịa - Vũng Tàu", "Hồ Chí Minh"), ("TP. Hải Dương", "Hải Phòng")],
)
def test_provinces_merged_in_2025_are_refused_naming_their_successor(name, successor):
    assert successor in import_parser.current_province_problem(name)


@pytest.mark.parametrize("name", ["An Giang", "Tỉnh An Giang", "Thành phố Cần Thơ", "TP. Hồ Chí Minh"])
def test_current_provinces_are_accepted(name):
    assert import_parser.current_province_problem(name) is None


def test_towns_abolished_in_2025_are_refused_as_communes():
    assert "pre-2025" in import_parser.current_commune_problem("Thị trấn Minh Lương")
    assert "thị trấn và huyện đã bị bãi bỏ" in import_parser.current_commune_problem_vi("Thị trấn Minh Lương")
    assert import_parser.current_commune_problem_vi("Xã Châu Thành") is None
    assert "nay thuộc An Giang" in import_parser.current_province_problem_vi("Kiên Giang")
    assert import_parser.current_commune_problem("TT. Minh Lương") is not None
    assert import_parser.current_commune_problem("Xã Châu Thành") is None
