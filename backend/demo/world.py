"""The demo world's data and its generators, from a caller's random.Random (so a run is repeatable).

Bưu điện Châu Thành at Minh Lương (the former district town of Châu Thành, Kiên Giang; since
1 July 2025 xã Châu Thành, An Giang province): the agencies it serves, the procedures whose
results and dossiers it carries (with their published checklists), the demo logins, the old and
new communes around it, and the names, phone numbers and notes of the citizens it serves.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import date, time, timedelta

from backend.domain.route_planner import distance_matrix
from backend.domain.s10 import make_s10
from backend.domain.text import nfc

PROVINCE, OLD_PROVINCE = "An Giang", "Kiên Giang"
SERVICE_FEE = 26_000  # VND per item, as the seed's news item says
MAX_RADIUS_KM = 7.8  # from the post office


@dataclass(frozen=True)
class DemoAgency:
    code: str
    name: str
    kind: str
    commune: str | None
    address: str
    lat: float
    lon: float
    dossier_prefix: str  # one-stop-shop dossier numbers: "<office>-<yymmdd>-<sequence>"

    def columns(self) -> dict:
        """The Agency row."""
        return {
            "code": self.code,
            "name": nfc(self.name),
            "kind": self.kind,
            "province": PROVINCE,
            "commune": self.commune,
            "address": nfc(self.address),
            "lat": self.lat,
            "lon": self.lon,
        }


AGENCIES = [
    DemoAgency(
        "PVHCC-CHAUTHANH",
        "Trung tâm Phục vụ hành chính công xã Châu Thành",
        "commune_centre",
        "Xã Châu Thành",
        "Khu phố Minh An, xã Châu Thành, tỉnh An Giang",
        10.0041,
        105.1712,
        "000.21.30.H01",
    ),
    DemoAgency(
        "PVHCC-BINHAN",
        "Trung tâm Phục vụ hành chính công xã Bình An",
        "commune_centre",
        "Xã Bình An",
        "Ấp An Bình, xã Bình An, tỉnh An Giang",
        9.9630,
        105.1420,
        "000.22.30.H01",
    ),
    DemoAgency(
        "PVHCC-THANHLOC",
        "Trung tâm Phục vụ hành chính công xã Thạnh Lộc",
        "commune_centre",
        "Xã Thạnh Lộc",
        "Ấp Thạnh Bình, xã Thạnh Lộc, tỉnh An Giang",
        10.0480,
        105.1610,
        "000.23.30.H01",
    ),
    DemoAgency(
        "STP-ANGIANG",
        "Sở Tư pháp tỉnh An Giang",
        "provincial_department",
        None,
        "Số 6 Nguyễn Công Trứ, phường Rạch Giá, tỉnh An Giang",
        10.0125,
        105.0809,
        "000.00.15.H01",
    ),
    DemoAgency(
        "VPDKDD-ANGIANG",
        "Văn phòng Đăng ký đất đai tỉnh An Giang",
        "provincial_department",
        None,
        "Số 1 Trần Hưng Đạo, phường Rạch Giá, tỉnh An Giang",
        10.0090,
        105.0870,
        "000.12.25.H01",
    ),
    DemoAgency(
        "CA-ANGIANG",
        "Công an tỉnh An Giang (Phòng Cảnh sát giao thông)",
        "provincial_department",
        None,
        "Số 15 Nguyễn Trung Trực, phường Rạch Giá, tỉnh An Giang",
        10.0160,
        105.0905,
        "000.00.07.H01",
    ),
]
AGENCY = {a.code: a for a in AGENCIES}


@dataclass(frozen=True)
class DemoProcedure:
    code: str
    name: str
    fee: int  # VND
    allowed_by_post: bool
    agency: str  # "commune" = the citizen's commune centre
    weight: int  # how often it appears among demo items
    papers: tuple[tuple[str, str, bool], ...]  # (paper, original|copy, required)

    def columns(self) -> dict:
        """The Procedure row, with its published checklist."""
        return {
            "code": self.code,
            "name": nfc(self.name),
            "allowed_by_post": self.allowed_by_post,
            "government_fee": self.fee,
            "checklist": [{"name": nfc(p), "form": form, "required": req} for p, form, req in self.papers],
        }


PROCEDURES = [
    DemoProcedure(
        "1.001193",
        "Đăng ký khai sinh",
        0,
        True,
        "commune",
        16,
        (
            ("Tờ khai đăng ký khai sinh", "original", True),
            ("Giấy chứng sinh", "original", True),
            ("Giấy chứng nhận kết hôn của cha mẹ", "copy", False),
        ),
    ),
    DemoProcedure(
        "1.000894",
        "Đăng ký kết hôn",
        0,
        False,
        "commune",
        0,
        (
            ("Tờ khai đăng ký kết hôn", "original", True),
            ("Giấy xác nhận tình trạng hôn nhân", "original", False),
        ),
    ),
    DemoProcedure(
        "2.000635",
        "Cấp bản sao trích lục hộ tịch",
        8_000,
        True,
        "commune",
        10,
        (("Tờ khai cấp bản sao trích lục hộ tịch", "original", True), ("Giấy ủy quyền", "original", False)),
    ),
    DemoProcedure(
        "2.000815",
        "Chứng thực bản sao từ bản chính giấy tờ, văn bản",
        2_000,
        True,
        "commune",
        8,
        (("Bản chính giấy tờ cần chứng thực", "original", True), ("Bản sao cần chứng thực", "copy", True)),
    ),
    DemoProcedure(
        "2.000884",
        "Chứng thực chữ ký trong giấy tờ, văn bản",
        10_000,
        False,
        "commune",
        0,
        (("Giấy tờ, văn bản cần chứng thực chữ ký", "original", True),),
    ),
    DemoProcedure(
        "1.004194",
        "Đăng ký thường trú",
        20_000,
        True,
        "commune",
        7,
        (
            ("Tờ khai thay đổi thông tin cư trú (CT01)", "original", True),
            ("Giấy tờ chứng minh chỗ ở hợp pháp", "copy", True),
        ),
    ),
    DemoProcedure(
        "2.000720",
        "Đăng ký thành lập hộ kinh doanh",
        100_000,
        True,
        "commune",
        8,
        (
            ("Giấy đề nghị đăng ký hộ kinh doanh", "original", True),
            ("Bản sao giấy tờ pháp lý của chủ hộ kinh doanh", "copy", True),
            ("Biên bản họp thành viên hộ gia đình", "original", False),
        ),
    ),
    DemoProcedure(
        "1.011608",
        "Cấp giấy phép xây dựng nhà ở riêng lẻ",
        75_000,
        True,
        "commune",
        5,
        (
            ("Đơn đề nghị cấp giấy phép xây dựng", "original", True),
            ("Giấy tờ chứng minh quyền sử dụng đất", "copy", True),
            ("Bản vẽ thiết kế xây dựng (02 bộ)", "original", True),
        ),
    ),
    DemoProcedure(
        "1.012756",
        "Cấp giấy chứng nhận quyền sử dụng đất, quyền sở hữu tài sản gắn liền với đất lần đầu",
        100_000,
        True,
        "VPDKDD-ANGIANG",
        12,
        (
            ("Đơn đăng ký, cấp Giấy chứng nhận (Mẫu 04/ĐK)", "original", True),
            ("Giấy tờ về quyền sử dụng đất", "copy", True),
            ("Chứng từ thực hiện nghĩa vụ tài chính", "copy", False),
        ),
    ),
    DemoProcedure(
        "2.001417",
        "Cấp phiếu lý lịch tư pháp cho công dân Việt Nam",
        200_000,
        True,
        "STP-ANGIANG",
        15,
        (
            ("Tờ khai yêu cầu cấp Phiếu lý lịch tư pháp", "original", True),
            ("Bản chụp thẻ Căn cước công dân", "copy", True),
            ("Văn bản ủy quyền", "original", False),
        ),
    ),
    DemoProcedure(
        "1.002804",
        "Cấp đổi giấy phép lái xe",
        135_000,
        True,
        "CA-ANGIANG",
        10,
        (
            ("Đơn đề nghị đổi giấy phép lái xe", "original", True),
            ("Giấy khám sức khỏe của người lái xe", "original", True),
            ("Giấy phép lái xe cũ", "original", True),
        ),
    ),
]
COLLECTABLE = {"1.001193", "2.000720", "1.011608", "1.012756", "2.001417", "1.002804"}  # dossiers picked up

# username, role, full name, phone; one password per role.
USERS = [
    ("demo.quantri", "admin", "Lê Minh Tuấn", "0913456120"),
    ("demo.dieuphoi", "supervisor", "Trần Thị Mỹ Linh", "0939112468"),
    ("demo.buuta1", "postman", "Nguyễn Văn Hùng", "0987215346"),
    ("demo.buuta2", "postman", "Danh Sóc", "0372884105"),
    ("demo.buuta3", "postman", "Phạm Thị Thu Hà", "0868301927"),
    ("demo.motcua", "agency", "Huỳnh Thị Ngọc Hân", "0296383721"),
]
PASSWORDS = {
    "admin": "quantri2025",
    "supervisor": "dieuphoi2025",
    "postman": "buuta2025",
    "agency": "motcua2025",
}
ROLE_NAMES = {
    "admin": "Quản trị / Administrator",
    "supervisor": "Điều phối / Supervisor",
    "postman": "Bưu tá / Postman",
    "agency": "Cán bộ một cửa / Agency officer",
}
OFFICER_AGENCY = "PVHCC-CHAUTHANH"


@dataclass(frozen=True)
class DemoOffice:
    code: str
    name: str
    kind: str  # province | commune
    address: str
    lat: float
    lon: float
    phone: str
    agencies: tuple[str, ...] = ()  # codes of the agencies it serves

    def columns(self) -> dict:
        return {
            "code": self.code,
            "name": nfc(self.name),
            "kind": self.kind,
            "address": nfc(self.address),
            "lat": self.lat,
            "lon": self.lon,
            "phone": self.phone,
            # VietQR payee (NAPAS BIN of a state bank; a demo account number) and working hours.
            "bank_bin": "970405",
            "bank_account": "1500201" + self.phone[-6:],
            "opens_at": time(7),
            "closes_at": time(17),
            "bank_account_name": nfc(f"BUU DIEN {self.code.removeprefix('BC-')}"),
        }


# A province unit and three commune post offices under it (DOMAIN.md, "Since the 2025 reform"):
# Châu Thành (where the generated items, rounds and proofs are), Rạch Giá and Long Xuyên.
PROVINCE_OFFICE = DemoOffice(
    "BDT-ANGIANG",
    "Bưu điện tỉnh An Giang",
    "province",
    "Số 3 Ngô Gia Tự, phường Long Xuyên",
    10.3866,
    105.4352,
    "02963841234",
)
MAIN_OFFICE = DemoOffice(
    "BC-CHAUTHANH",
    "Bưu điện Châu Thành",
    "commune",
    "Quốc lộ 61, khu phố Minh An, xã Châu Thành",
    10.0035,
    105.1694,
    "02973616123",
    tuple(a.code for a in AGENCIES),
)
OFFICES = [
    MAIN_OFFICE,
    DemoOffice(
        "BC-RACHGIA",
        "Bưu điện Rạch Giá",
        "commune",
        "Số 2 Mậu Thân, phường Rạch Giá",
        10.0125,
        105.0809,
        "02973862222",
        ("PVHCC-RACHGIA",),
    ),
    DemoOffice(
        "BC-LONGXUYEN",
        "Bưu điện Long Xuyên",
        "commune",
        "Số 106 Nguyễn Huệ, phường Long Xuyên",
        10.3855,
        105.4380,
        "02963852333",
        ("PVHCC-LONGXUYEN",),
    ),
]
OTHER_AGENCIES = [
    DemoAgency(
        "PVHCC-RACHGIA",
        "Trung tâm Phục vụ hành chính công phường Rạch Giá",
        "commune_centre",
        "Phường Rạch Giá",
        "Số 25 Trần Phú, phường Rạch Giá, tỉnh An Giang",
        10.0110,
        105.0820,
        "000.20.31.H01",
    ),
    DemoAgency(
        "PVHCC-LONGXUYEN",
        "Trung tâm Phục vụ hành chính công phường Long Xuyên",
        "commune_centre",
        "Phường Long Xuyên",
        "Số 12 Lê Lợi, phường Long Xuyên, tỉnh An Giang",
        10.3840,
        105.4370,
        "000.20.01.H01",
    ),
]
# Everyone in USERS but the admin and the officer works at MAIN_OFFICE. The other offices' staff and
# the provincial supervisor: username, role, full name, phone, office code.
OFFICE_USERS = [
    ("demo.tinh", "supervisor", "Võ Thị Kim Phượng", "0918225361", PROVINCE_OFFICE.code),
    ("demo.dieuphoi.rachgia", "supervisor", "Lâm Quốc Bảo", "0917334102", "BC-RACHGIA"),
    ("demo.buuta.rachgia", "postman", "Thạch Thị Sa Ry", "0389120457", "BC-RACHGIA"),
    ("demo.dieuphoi.longxuyen", "supervisor", "Đỗ Minh Trí", "0909667180", "BC-LONGXUYEN"),
    ("demo.buuta.longxuyen", "postman", "Nguyễn Hữu Phước", "0975408816", "BC-LONGXUYEN"),
]


@dataclass(frozen=True)
class Place:
    old_unit: str  # pre-2025 commune or town
    commune: str  # current commune
    east_km: float  # centre, from the post office
    north_km: float
    hamlets: tuple[str, ...]


PLACES = [
    Place(
        "thị trấn Minh Lương",
        "Xã Châu Thành",
        0.0,
        0.0,
        ("Khu phố Minh An", "Khu phố Minh Phong", "Khu phố Minh Long", "Khu phố Minh Phú"),
    ),
    Place("xã Minh Hòa", "Xã Châu Thành", 3.5, 1.5, ("Ấp Minh Hòa", "Ấp Hòa Lợi", "Ấp Minh Tân")),
    Place("xã Giục Tượng", "Xã Châu Thành", 2.0, -3.5, ("Ấp Láng Cát", "Ấp Phước Chung", "Ấp Cư Xá")),
    Place("xã Vĩnh Hòa Hiệp", "Xã Bình An", -4.5, -0.5, ("Ấp Vĩnh Thành", "Ấp Vĩnh Lộc", "Ấp Vĩnh Phước")),
    Place("xã Bình An", "Xã Bình An", -3.0, -4.5, ("Ấp An Bình", "Ấp Hòa An", "Ấp Bình Lạc")),
    Place("xã Thạnh Lộc", "Xã Thạnh Lộc", -1.0, 5.0, ("Ấp Tân Điền", "Ấp Thạnh Bình", "Ấp Phước Thạnh")),
    Place("xã Mong Thọ", "Xã Thạnh Lộc", 4.5, 4.5, ("Ấp Phước Lợi", "Ấp Phước Hòa", "Ấp Phước Ninh")),
]
COMMUNE_CENTRES = {
    "Xã Châu Thành": "PVHCC-CHAUTHANH",
    "Xã Bình An": "PVHCC-BINHAN",
    "Xã Thạnh Lộc": "PVHCC-THANHLOC",
}

SURNAMES = (
    ("Nguyễn", 30),
    ("Trần", 10),
    ("Lê", 9),
    ("Phạm", 6),
    ("Huỳnh", 6),
    ("Võ", 5),
    ("Phan", 4),
    ("Trương", 3),
    ("Đặng", 2),
    ("Bùi", 2),
    ("Đỗ", 2),
    ("Ngô", 2),
    ("Dương", 2),
    ("Lý", 2),
    ("Lâm", 2),
    ("Danh", 6),
    ("Thạch", 4),
    ("Sơn", 2),
)
KHMER_SURNAMES = {"Danh", "Thạch", "Sơn"}
MALE_MIDDLE = ("Văn", "Hữu", "Minh", "Quốc", "Thanh", "Hoàng", "Công", "Văn")
FEMALE_MIDDLE = ("Thị", "Ngọc", "Thị Ngọc", "Thị Thu", "Thị Mỹ", "Thị Kim", "Thị")
MALE_NAMES = (
    "Hùng",
    "Dũng",
    "Tâm",
    "Phúc",
    "Lộc",
    "Tài",
    "Nghĩa",
    "Khánh",
    "Toàn",
    "Hiếu",
    "Trung",
    "Sơn",
    "Tuấn",
    "Thành",
    "Bình",
    "Hải",
    "Long",
    "Quang",
    "Đức",
    "Nhân",
)
FEMALE_NAMES = (
    "Lan",
    "Hoa",
    "Hương",
    "Nhung",
    "Trang",
    "Thảo",
    "Hằng",
    "Yến",
    "Phượng",
    "Diễm",
    "Trinh",
    "Thủy",
    "Mai",
    "Ngân",
    "Huyền",
    "Vy",
    "Loan",
    "Tuyết",
)
KHMER_NAMES = ("Sóc", "Sang", "Phol", "Rinh", "Chanh", "Tha", "Sa Ry", "Sô Phi", "Sà Rươne", "Kim Hoa")
PHONE_PREFIXES = (
    "090",
    "091",
    "093",
    "094",
    "097",
    "098",
    "086",
    "088",
    "032",
    "033",
    "035",
    "037",
    "039",
    "070",
    "077",
    "079",
    "081",
    "083",
    "085",
)
NOTES = (
    "Gọi trước khi đến",
    "Nhà sau chợ, cổng màu xanh",
    "Chỉ có nhà buổi chiều",
    "Người nhận lớn tuổi, đọc chậm giúp",
    "Giao giờ hành chính",
    "Hẻm nhỏ, để xe ngoài đầu hẻm",
)
FAIL_REASONS = (
    ("not_home", "Gọi điện không nghe máy, nhà đóng cửa"),
    ("not_home", "Người nhận đi làm ruộng"),
    ("wrong_address", "Số nhà không đúng, hàng xóm không biết"),
    ("moved", "Đã chuyển đi nơi khác"),
)


# ---- generators ---------------------------------------------------------------------------------------


def person(rng: random.Random) -> str:
    """A Kinh or Khmer name as the Delta's registers write them."""
    surname = rng.choices([s for s, _ in SURNAMES], weights=[w for _, w in SURNAMES])[0]
    female = rng.random() < 0.5
    if surname in KHMER_SURNAMES:
        return nfc(f"{surname}{' Thị' if female else ''} {rng.choice(KHMER_NAMES)}")
    middle = rng.choice(FEMALE_MIDDLE if female else MALE_MIDDLE)
    return nfc(f"{surname} {middle} {rng.choice(FEMALE_NAMES if female else MALE_NAMES)}")


def phone_number(rng: random.Random) -> str:
    return rng.choice(PHONE_PREFIXES) + f"{rng.randrange(10**7):07d}"


def id_number(rng: random.Random) -> str:
    """A 12-digit citizen identity number issued in Kiên Giang (province code 091)."""
    return f"091{rng.randrange(2)}{rng.randrange(60, 100):02d}{rng.randrange(10**6):06d}"


def pick_procedure(rng: random.Random, direction: str) -> DemoProcedure:
    """A procedure that goes by post, as often as demo items have it (dossiers: the collectable ones)."""
    choices = [p for p in PROCEDURES if p.weight and (direction == "return" or p.code in COLLECTABLE)]
    return rng.choices(choices, weights=[p.weight for p in choices])[0]


def agency_of(procedure: DemoProcedure, place: Place) -> DemoAgency:
    return AGENCY[COMMUNE_CENTRES[place.commune] if procedure.agency == "commune" else procedure.agency]


def position(rng: random.Random, office: tuple[float, float], place: Place) -> tuple[float, float]:
    """A house near the place's centre, never further than MAX_RADIUS_KM from the post office."""
    east = place.east_km + rng.gauss(0, 0.8)
    north = place.north_km + rng.gauss(0, 0.8)
    scale = min(1.0, MAX_RADIUS_KM / max(math.hypot(east, north), 1e-9))
    lat0, lon0 = office
    lat = lat0 + north * scale / 110.574
    lon = lon0 + east * scale / (111.320 * math.cos(math.radians(lat0)))
    return round(lat, 6), round(lon, 6)


def item_columns(
    rng: random.Random,
    *,
    prefix: str,
    serial: int,
    direction: str,
    place: Place,
    procedure: DemoProcedure,
    received: date,
    office: tuple[float, float],
) -> dict:
    """The columns of one demo item (a result on its way to the citizen, or a dossier to pick up),
    without its procedure, agency and status rows (the caller's ids)."""
    agency = agency_of(procedure, place)
    lat, lon = position(rng, office, place)
    hamlet = rng.choice(place.hamlets)
    street = f"Số {rng.randint(1, 250)}" if hamlet.startswith("Khu phố") else f"Tổ {rng.randint(1, 12)}"
    pays_on_delivery = direction == "collect" or rng.random() < 0.3
    return {
        "code": make_s10(prefix, serial),
        "direction": direction,
        "dossier_code": f"{agency.dossier_prefix}-{received:%y%m%d}-{serial % 10_000:04d}",
        "recipient_name": person(rng),
        "recipient_phone": phone_number(rng),
        "address_line": nfc(f"{street}, {hamlet}"),
        "commune": place.commune,
        "province": PROVINCE,
        "old_address": nfc(f"{hamlet}, {place.old_unit}, huyện Châu Thành, tỉnh {OLD_PROVINCE}")
        if rng.random() < 0.7
        else None,
        "lat": lat,
        "lon": lon,
        "service_fee": SERVICE_FEE,
        "government_fee": procedure.fee if pays_on_delivery else 0,
        "due_date": (received if direction == "collect" else received + timedelta(days=rng.randint(0, 4))),
        "note": rng.choice(NOTES) if rng.random() < 0.2 else None,
    }


def nearest_neighbour_tour(
    office: tuple[float, float], stops: list, where
) -> tuple[list[tuple[object, int]], int]:
    """Stops by nearest neighbour from the post office (good enough for demo data): each stop with
    the leg walked to reach it (whole metres), and the closed tour's total back to the office, on
    the route planner's geodesic distances. `where(stop)` is its (lat, lon)."""
    matrix = distance_matrix([office, *(where(s) for s in stops)])
    here, left, legs, total = 0, list(range(1, len(stops) + 1)), [], 0
    while left:
        nearest = min(left, key=lambda k: matrix[here][k])
        left.remove(nearest)
        legs.append((stops[nearest - 1], matrix[here][nearest]))
        here, total = nearest, total + matrix[here][nearest]
    return legs, total + matrix[here][0]
