"""Old communes mapped to the current ones (issues 14.8 and 15.5): citizens and agency files still write
the pre-July-2025 units ("Phường 1, Quận 3", "Xã Mong Thọ, Huyện Châu Thành, Tỉnh Kiên Giang"). The
examples are from the 2025 resolutions of the Standing Committee of the National Assembly: Ho Chi Minh
City's Phường Bàn Cờ (Resolution 1685/NQ-UBTVQH15) took in wards 1, 2, 3, 5 and part of 4 of Quận 3;
An Giang's Xã Thạnh Lộc (Resolution 1654/NQ-UBTVQH15) took in the seed district's Mong Thọ, Mong Thọ A,
Mong Thọ B and Thạnh Lộc."""

from __future__ import annotations

import hashlib

import pytest

from backend.domain import admin_units
from backend.domain.s10 import make_s10
from backend.extensions import db
from backend.models import Item

HEADER = ["Mã bưu gửi", "Mã thủ tục", "Mã cơ quan", "Họ tên", "Địa chỉ", "Xã/Phường", "Tỉnh/Thành phố"]


# (the current unit, the old one it names) -> how people write the old one: (unit, province)
OLD_UNITS_AS_WRITTEN = {
    ("Phường Bàn Cờ", "Phường 1, Quận 3"): [
        ("Phường 1, Quận 3", "Thành phố Hồ Chí Minh"),
        ("P.1, Q.3", "TP. Hồ Chí Minh"),
        ("phuong 01, quan 3", "ho chi minh"),
    ],
    ("Phường Sài Gòn", "Phường Bến Nghé, Quận 1"): [("Phường Bến Nghé", "Hồ Chí Minh")],
    ("Xã Thạnh Lộc", "Xã Mong Thọ A, Huyện Châu Thành, Tỉnh Kiên Giang"): [("Xã Mong Thọ A", "An Giang")],
    ("Xã Châu Thành", "Thị trấn Minh Lương"): [
        ("Thị trấn Minh Lương", "Tỉnh An Giang"),
        ("TT. Minh Luong, H. Chau Thanh", "An Giang"),
    ],
}


@pytest.mark.parametrize(
    ("written", "province", "current", "old"),
    [
        (written, province, current, old)
        for (current, old), writings in OLD_UNITS_AS_WRITTEN.items()
        for written, province in writings
    ],
)
def test_an_old_unit_that_became_one_current_unit_is_mapped_to_it(written, province, current, old):
    found = admin_units.resolve(written, province)
    assert (found.status, found.name) == ("mapped", current)
    assert old in (found.old or "")


@pytest.mark.parametrize(
    ("written", "province", "current"),
    [("Phường Bàn Cờ", "Hồ Chí Minh", "Phường Bàn Cờ"), ("xa binh an", "An Giang", "Xã Bình An")],
)
def test_a_current_unit_is_taken_as_it_is(written, province, current):
    assert (admin_units.resolve(written, province).status, admin_units.resolve(written, province).name) == (
        "current",
        current,
    )


def test_an_old_ward_split_between_current_ones_asks_which():
    found = admin_units.resolve("Phường 4, Quận 3", "Hồ Chí Minh")
    assert found.status == "ambiguous" and found.choices == ["Phường Bàn Cờ", "Phường Xuân Hòa"]


def test_a_number_ward_without_its_district_is_ambiguous_among_the_districts_that_had_one():
    found = admin_units.resolve("Phường 1", "Hồ Chí Minh")
    assert found.status == "ambiguous"
    assert {"Phường Bàn Cờ", "Phường Gia Định", "Phường Vũng Tàu"} <= set(found.choices)


@pytest.mark.parametrize(
    ("written", "province"),
    [("Xã Thần Tiên", "An Giang"), ("Phường 7, Quận 3", "Hồ Chí Minh"), ("Xã Mong Thọ", "Cần Thơ")],
)
def test_a_name_no_unit_bore_in_the_province_is_unknown(written, province):
    assert admin_units.resolve(written, province).status == "unknown"


def test_every_old_unit_maps_to_current_units_of_the_official_list():
    from backend.domain import units

    olds = [unit for by_key in admin_units._old_units().values() for us in by_key.values() for unit in us]
    assert len({(u.province, u.district, u.name) for u in olds}) > 10_000
    assert all(units.commune_problem(c, p) is None for u in olds for p, c in u.successors)


def test_the_old_units_of_a_province_are_listed_with_what_they_became():
    found = admin_units.old_units_of("An Giang")
    assert {(f["old"], tuple(f["current"])) for f in found if "Mong Thọ" in f["old"]} == {
        ("Xã Mong Thọ, Huyện Châu Thành", ("Xã Thạnh Lộc",)),
        ("Xã Mong Thọ A, Huyện Châu Thành", ("Xã Thạnh Lộc",)),
        ("Xã Mong Thọ B, Huyện Châu Thành", ("Xã Thạnh Lộc",)),
    }


@pytest.fixture
def office(make):
    return {"agency": make.agency(code="PVHCC-CHAUTHANH"), "procedure": make.procedure(code="1.001193")}


def _csv(rows) -> bytes:
    lines = [HEADER] + [
        [make_s10("RR", 53_000_000 + n), "1.001193", "PVHCC-CHAUTHANH", "Nguyễn Thị Lan", "12 Lê Lợi", c, p]
        for n, (c, p) in enumerate(rows, 1)
    ]
    return "\r\n".join(",".join(f'"{cell}"' for cell in line) for line in lines).encode("utf-8-sig")


def test_an_import_stores_an_old_commune_as_the_current_one_and_says_so(
    app, client, auth, supervisor, office
):
    headers = auth(supervisor)
    data = _csv(
        [("Phường 1, Quận 3", "Hồ Chí Minh"), ("Xã Mong Thọ A", "An Giang"), ("Xã Bình An", "An Giang")]
    )
    preview = client.post("/api/imports/preview", data=data, content_type="text/csv", headers=headers)
    body = preview.get_json()
    assert preview.status_code == 200 and body["errors"] == [], body
    assert body["warnings"] == [
        "line 2, Xã/Phường: changed the old 'Phường 1, Quận 3' to the current 'Phường Bàn Cờ'",
        "line 3, Xã/Phường: changed the old 'Xã Mong Thọ A' to the current 'Xã Thạnh Lộc'",
    ]
    assert (
        body["warnings_vi"][1]
        == "dòng 3, Xã/Phường: đã đổi 'Xã Mong Thọ A' (cũ) thành 'Xã Thạnh Lộc' (hiện nay)"
    )
    answer = client.post(
        "/api/imports",
        query_string={"sha256": hashlib.sha256(data).hexdigest()},
        data=data,
        content_type="text/csv",
        headers=headers,
    )
    assert answer.status_code == 201, answer.get_json()
    with app.app_context():
        stored = {(i.commune, i.old_address) for i in db.session.execute(db.select(Item)).scalars()}
    assert stored == {
        ("Phường Bàn Cờ", "Phường 1, Quận 3, Thành phố Hồ Chí Minh"),
        ("Xã Thạnh Lộc", "Xã Mong Thọ A, Huyện Châu Thành, Tỉnh Kiên Giang"),
        ("Xã Bình An", None),
    }


def test_an_import_line_with_a_split_or_unknown_old_commune_is_an_error_with_the_choices(
    app, client, auth, supervisor, office
):
    data = _csv([("Phường 4, Quận 3", "Hồ Chí Minh"), ("Xã Thần Tiên", "An Giang")])
    body = client.post(
        "/api/imports/preview", data=data, content_type="text/csv", headers=auth(supervisor)
    ).get_json()
    assert body["rows_ok"] == 0 and body["bad_lines"] == [2, 3]
    split, unknown = body["errors"]
    assert "write one of Phường Bàn Cờ, Phường Xuân Hòa" in split["message"]
    assert "hãy ghi một trong Phường Bàn Cờ, Phường Xuân Hòa" in split["message_vi"]
    assert "not a current commune or ward of An Giang" in unknown["message"]
