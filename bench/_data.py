"""Realistic data for the sync benchmark: a Mekong Delta post office (xã Châu Thành, An Giang,
formerly Kiên Giang), its agencies and procedures, postmen, items, and the images a phone captures.

Everything but the images comes from a fixed random seed, so byte counts are comparable between
runs; every photo is different (random noise) so that JPEG cannot shrink it and no two are equal.
"""

from __future__ import annotations

import io
import math
import os
import random
import unicodedata
from datetime import date, timedelta

from PIL import Image, ImageDraw

RANDOM_SEED = 20261126
OFFICE = (10.0035, 105.1694)  # Bưu điện Châu Thành (the app's default POST_OFFICE_LAT/LON)
PROVINCE = "An Giang"


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


# (code, name, kind, commune, address, lat, lon, dossier prefix)
AGENCIES = [
    (
        "PVHCC-CHAUTHANH",
        "Trung tâm Phục vụ hành chính công xã Châu Thành",
        "commune_centre",
        "Xã Châu Thành",
        "Khu phố Minh An, xã Châu Thành, tỉnh An Giang",
        10.0041,
        105.1712,
        "000.21.30.H01",
    ),
    (
        "PVHCC-BINHAN",
        "Trung tâm Phục vụ hành chính công xã Bình An",
        "commune_centre",
        "Xã Bình An",
        "Ấp An Bình, xã Bình An, tỉnh An Giang",
        9.9630,
        105.1420,
        "000.22.30.H01",
    ),
    (
        "PVHCC-THANHLOC",
        "Trung tâm Phục vụ hành chính công xã Thạnh Lộc",
        "commune_centre",
        "Xã Thạnh Lộc",
        "Ấp Thạnh Bình, xã Thạnh Lộc, tỉnh An Giang",
        10.0480,
        105.1610,
        "000.23.30.H01",
    ),
    (
        "STP-ANGIANG",
        "Sở Tư pháp tỉnh An Giang",
        "provincial_department",
        None,
        "Số 6 Nguyễn Công Trứ, phường Rạch Giá, tỉnh An Giang",
        10.0125,
        105.0809,
        "000.00.15.H01",
    ),
    (
        "VPDKDD-ANGIANG",
        "Văn phòng Đăng ký đất đai tỉnh An Giang",
        "provincial_department",
        None,
        "Số 1 Trần Hưng Đạo, phường Rạch Giá, tỉnh An Giang",
        10.0090,
        105.0870,
        "000.12.25.H01",
    ),
    (
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

# (code, name, government fee, agency code or "commune", papers)
PROCEDURES = [
    (
        "1.001193",
        "Đăng ký khai sinh",
        0,
        "commune",
        (
            ("Tờ khai đăng ký khai sinh", "original", True),
            ("Giấy chứng sinh", "original", True),
            ("Giấy chứng nhận kết hôn của cha mẹ", "copy", False),
        ),
    ),
    (
        "2.000635",
        "Cấp bản sao trích lục hộ tịch",
        8_000,
        "commune",
        (("Tờ khai cấp bản sao trích lục hộ tịch", "original", True), ("Giấy ủy quyền", "original", False)),
    ),
    (
        "2.000815",
        "Chứng thực bản sao từ bản chính giấy tờ, văn bản",
        2_000,
        "commune",
        (("Bản chính giấy tờ cần chứng thực", "original", True), ("Bản sao cần chứng thực", "copy", True)),
    ),
    (
        "1.004194",
        "Đăng ký thường trú",
        20_000,
        "commune",
        (
            ("Tờ khai thay đổi thông tin cư trú (CT01)", "original", True),
            ("Giấy tờ chứng minh chỗ ở hợp pháp", "copy", True),
        ),
    ),
    (
        "2.000720",
        "Đăng ký thành lập hộ kinh doanh",
        100_000,
        "commune",
        (
            ("Giấy đề nghị đăng ký hộ kinh doanh", "original", True),
            ("Bản sao giấy tờ pháp lý của chủ hộ kinh doanh", "copy", True),
            ("Biên bản họp thành viên hộ gia đình", "original", False),
        ),
    ),
    (
        "1.012756",
        "Cấp giấy chứng nhận quyền sử dụng đất, quyền sở hữu tài sản gắn liền với đất lần đầu",
        100_000,
        "VPDKDD-ANGIANG",
        (
            ("Đơn đăng ký, cấp Giấy chứng nhận (Mẫu 04/ĐK)", "original", True),
            ("Giấy tờ về quyền sử dụng đất", "copy", True),
            ("Chứng từ thực hiện nghĩa vụ tài chính", "copy", False),
        ),
    ),
    (
        "2.001417",
        "Cấp phiếu lý lịch tư pháp cho công dân Việt Nam",
        200_000,
        "STP-ANGIANG",
        (
            ("Tờ khai yêu cầu cấp Phiếu lý lịch tư pháp", "original", True),
            ("Bản chụp thẻ Căn cước công dân", "copy", True),
            ("Văn bản ủy quyền", "original", False),
        ),
    ),
    (
        "1.002804",
        "Cấp đổi giấy phép lái xe",
        135_000,
        "CA-ANGIANG",
        (
            ("Đơn đề nghị đổi giấy phép lái xe", "original", True),
            ("Giấy khám sức khỏe của người lái xe", "original", True),
            ("Giấy phép lái xe cũ", "original", True),
        ),
    ),
]
PROCEDURE_WEIGHTS = (16, 10, 8, 7, 8, 12, 15, 10)

# commune -> (agency for "commune" procedures, hamlets, the pre-2025 unit)
PLACES = {
    "Xã Châu Thành": (
        "PVHCC-CHAUTHANH",
        ("Khu phố Minh An", "Khu phố Minh Phú", "Ấp Minh Hòa", "Ấp Minh Long"),
        "thị trấn Minh Lương",
    ),
    "Xã Bình An": (
        "PVHCC-BINHAN",
        ("Ấp An Bình", "Ấp An Hòa", "Ấp Phước Thạnh", "Ấp Vĩnh Phước"),
        "xã Bình An",
    ),
    "Xã Thạnh Lộc": (
        "PVHCC-THANHLOC",
        ("Ấp Thạnh Bình", "Ấp Thạnh Lợi", "Ấp Phước Lợi", "Ấp Hòa Thạnh"),
        "xã Thạnh Lộc",
    ),
    "Xã Mong Thọ": ("PVHCC-CHAUTHANH", ("Ấp Phước Ninh", "Ấp Phước Hưng", "Ấp Phước Lợi"), "xã Mong Thọ A"),
}

SURNAMES = (
    "Nguyễn",
    "Trần",
    "Lê",
    "Phạm",
    "Huỳnh",
    "Hoàng",
    "Phan",
    "Võ",
    "Đặng",
    "Bùi",
    "Đỗ",
    "Hồ",
    "Ngô",
    "Dương",
    "Lý",
    "Trương",
    "Lâm",
    "Danh",
    "Thạch",
)
MALE_MIDDLE = ("Văn", "Hữu", "Minh", "Quốc", "Thanh", "Công", "Hoàng", "Đức", "Gia")
FEMALE_MIDDLE = ("Thị", "Ngọc", "Thanh", "Thu", "Kim", "Mỹ", "Bích", "Phương", "Hồng")
MALE_NAMES = (
    "An",
    "Bảo",
    "Cường",
    "Dũng",
    "Đạt",
    "Hải",
    "Hiếu",
    "Hùng",
    "Huy",
    "Khang",
    "Khoa",
    "Lộc",
    "Long",
    "Nam",
    "Nghĩa",
    "Phúc",
    "Quân",
    "Sơn",
    "Tài",
    "Thắng",
    "Thịnh",
    "Trí",
    "Trung",
    "Tuấn",
)
FEMALE_NAMES = (
    "Anh",
    "Châu",
    "Diễm",
    "Dung",
    "Giang",
    "Hà",
    "Hạnh",
    "Hằng",
    "Hoa",
    "Hương",
    "Lan",
    "Liên",
    "Linh",
    "Loan",
    "Mai",
    "My",
    "Ngân",
    "Nhung",
    "Oanh",
    "Phượng",
    "Thảo",
    "Trang",
    "Tuyết",
    "Yến",
)
PHONE_PREFIXES = (
    "032",
    "033",
    "034",
    "035",
    "036",
    "037",
    "038",
    "039",
    "070",
    "076",
    "077",
    "078",
    "079",
    "081",
    "082",
    "083",
    "084",
    "085",
    "088",
    "090",
    "091",
    "093",
    "094",
    "096",
    "097",
    "098",
)
NOTES = (
    "Gọi trước 15 phút",
    "Nhà có chó, gọi từ cổng",
    "Giao giờ hành chính",
    "Người nhận đi làm, giao sau 17 giờ",
    "Nhà cạnh tiệm tạp hóa",
    "Hẻm nhỏ, để xe ngoài đầu hẻm",
)
SERVICE_FEES = (22_000, 26_000, 26_000, 26_000, 30_000, 35_000)


def person(rng: random.Random) -> str:
    female = rng.random() < 0.5
    surname = rng.choice(SURNAMES)
    middle = rng.choice(FEMALE_MIDDLE if female else MALE_MIDDLE)
    return nfc(f"{surname} {middle} {rng.choice(FEMALE_NAMES if female else MALE_NAMES)}")


def phone_number(rng: random.Random) -> str:
    return rng.choice(PHONE_PREFIXES) + f"{rng.randrange(10**7):07d}"


def id_number(rng: random.Random) -> str:
    """A 12-digit citizen identity number issued in Kiên Giang (province code 091)."""
    return f"091{rng.randrange(2)}{rng.randrange(60, 100):02d}{rng.randrange(10**6):06d}"


def position(rng: random.Random, radius_km: float = 7.5) -> tuple[float, float]:
    east, north = rng.gauss(0, radius_km / 2.5), rng.gauss(0, radius_km / 2.5)
    lat = OFFICE[0] + north / 110.574
    lon = OFFICE[1] + east / (111.320 * math.cos(math.radians(OFFICE[0])))
    return round(lat, 6), round(lon, 6)


def distance_m(a: tuple[float, float], b: tuple[float, float]) -> int:
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return round(2 * 6_371_000 * math.asin(math.sqrt(h)))


def item_fields(
    rng: random.Random, serial: int, received: date, procedures: dict, agencies: dict, make_s10
) -> dict:
    """The columns of one 'return' item (an agency's result on its way to the citizen)."""
    index = rng.choices(range(len(PROCEDURES)), weights=PROCEDURE_WEIGHTS)[0]
    code, _, fee, agency_rule, _ = PROCEDURES[index]
    commune = rng.choice(sorted(PLACES))
    commune_agency, hamlets, old_unit = PLACES[commune]
    agency_code = commune_agency if agency_rule == "commune" else agency_rule
    prefix = next(a[7] for a in AGENCIES if a[0] == agency_code)
    hamlet = rng.choice(hamlets)
    street = f"Số {rng.randint(1, 250)}" if hamlet.startswith("Khu phố") else f"Tổ {rng.randint(1, 12)}"
    lat, lon = position(rng)
    return {
        "code": make_s10("RR", serial),
        "direction": "return",
        "dossier_code": f"{prefix}-{received:%y%m%d}-{serial % 10_000:04d}",
        "procedure_id": procedures[code],
        "agency_id": agencies[agency_code],
        "recipient_name": person(rng),
        "recipient_phone": phone_number(rng),
        "address_line": nfc(f"{street}, {hamlet}"),
        "commune": commune,
        "province": PROVINCE,
        "old_address": nfc(f"{hamlet}, {old_unit}, huyện Châu Thành, tỉnh Kiên Giang")
        if rng.random() < 0.7
        else None,
        "lat": lat,
        "lon": lon,
        "service_fee": rng.choice(SERVICE_FEES),
        "government_fee": fee if rng.random() < 0.3 else 0,
        "due_date": received + timedelta(days=rng.randint(0, 4)),
        "note": nfc(rng.choice(NOTES)) if rng.random() < 0.2 else None,
    }


def order_stops(items: list[dict]) -> int:
    """Nearest-neighbour stop order from the post office; sets stop_order/leg_distance_m, returns the total."""
    here, left, total = OFFICE, list(items), 0
    for order in range(1, len(items) + 1):
        item = min(left, key=lambda i: distance_m(here, (i["lat"], i["lon"])))
        left.remove(item)
        item["stop_order"], item["leg_distance_m"] = order, distance_m(here, (item["lat"], item["lon"]))
        total += item["leg_distance_m"]
        here = (item["lat"], item["lon"])
    return total + distance_m(here, OFFICE)


# --- images a phone captures -------------------------------------------------------------------------

PHOTO_SIZE, PHOTO_QUALITY = (640, 480), 80


def _photo(noise_share: float) -> bytes:
    """A 640x480 'photo': a gradient under random noise (JPEG cannot shrink noise)."""
    base = Image.linear_gradient("L").resize(PHOTO_SIZE).convert("RGB")
    noise = Image.frombytes("RGB", PHOTO_SIZE, os.urandom(PHOTO_SIZE[0] * PHOTO_SIZE[1] * 3))
    buffer = io.BytesIO()
    Image.blend(base, noise, noise_share).save(buffer, "JPEG", quality=PHOTO_QUALITY)
    return buffer.getvalue()


def calibrate_photo(target_bytes: int = 120_000) -> float:
    """The noise share that gives JPEGs of about `target_bytes`."""
    low, high = 0.05, 1.0
    for _ in range(8):
        middle = (low + high) / 2
        size = sum(len(_photo(middle)) for _ in range(2)) / 2
        low, high = (middle, high) if size < target_bytes else (low, middle)
    return (low + high) / 2


def photo_jpeg(noise_share: float) -> bytes:
    return _photo(noise_share)


def signature_png(seed: int, strokes: int = 8, size: tuple[int, int] = (400, 140)) -> bytes:
    """A hand-drawn-looking signature, drawn at 2x and scaled down (anti-aliased like a canvas)."""
    rng = random.Random(seed)
    w, h = size
    image = Image.new("L", (w * 2, h * 2), 255)
    draw = ImageDraw.Draw(image)
    for _ in range(strokes):
        x, y = rng.uniform(40, w * 2 - 40), rng.uniform(60, h * 2 - 60)
        points = [(x, y)]
        for _ in range(40):
            x = min(max(x + rng.uniform(-22, 22), 10), w * 2 - 10)
            y = min(max(y + rng.uniform(-16, 16), 10), h * 2 - 10)
            points.append((x, y))
        draw.line(points, fill=20, width=6, joint="curve")
    buffer = io.BytesIO()
    image.resize(size, Image.BILINEAR).save(buffer, "PNG")
    return buffer.getvalue()
