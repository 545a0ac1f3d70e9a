"""The messages citizens get (docs/notifications.md): one template per event, in Vietnamese (what is
sent) and English (what a supervisor may read beside it), and the night when nothing is sent.

Plain Python: no Flask, no database. The parameters of each template are its ZNS template_data keys.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

# event -> (parameters, Vietnamese text, English text)
TEMPLATES: dict[str, tuple[tuple[str, ...], str, str]] = {
    "morning": (
        ("code", "date", "from_time", "to_time", "link"),
        "Bưu điện: hôm nay {date}, bưu tá sẽ đến chỗ bạn với hồ sơ {code} trong khoảng {from_time} đến {to_time}. "
        "Xem hoặc đổi lịch: {link}",
        "Post: today {date} the postman will come to you with {code} between {from_time} and {to_time}. "
        "Track or change: {link}",
    ),
    "near": (
        ("code", "stops", "link"),
        "Bưu điện: bưu tá còn {stops} điểm nữa là đến chỗ bạn với hồ sơ {code}. Xem: {link}",
        "Post: the postman is {stops} stop(s) away with {code}. Track: {link}",
    ),
    "delivered": (
        ("code", "time", "date", "link"),
        "Bưu điện: hồ sơ {code} đã được giao lúc {time} ngày {date}. Cảm ơn bạn. {link}",
        "Post: {code} was delivered at {time} on {date}. Thank you. {link}",
    ),
    "failed": (
        ("code", "reason", "next_date", "link"),
        "Bưu điện: chưa giao được hồ sơ {code} ({reason}). Bưu tá sẽ đến lại từ ngày {next_date}. "
        "Chọn ngày khác, người nhận thay hoặc nhận tại bưu cục: {link}",
        "Post: {code} could not be delivered ({reason}). The postman comes again from {next_date}. "
        "Choose another day, a stand-in or pickup at the post office: {link}",
    ),
    "pickup": (
        ("code", "office", "office_phone", "link"),
        "Bưu điện: hồ sơ {code} đang chờ bạn tại {office} (ĐT {office_phone}). "
        "Mời bạn mang CCCD đến nhận. {link}",
        "Post: {code} is waiting for you at {office} (tel. {office_phone}). "
        "Please bring your ID card to collect it. {link}",
    ),
}
EVENTS = tuple(TEMPLATES)


def render(event: str, params: dict, lang: str = "vi") -> str:
    """The text of `event`'s message with `params` filled in."""
    names, vi, en = TEMPLATES[event]
    return (vi if lang == "vi" else en).format(**{name: params.get(name, "") for name in names})


def template_data(event: str, params: dict) -> dict[str, str]:
    """The template's parameters as ZNS takes them: every declared one, as text."""
    return {name: str(params.get(name, "")) for name in TEMPLATES[event][0]}


def clock(text: str) -> time:
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))


def quiet_until(local: datetime, start: time, end: time) -> datetime | None:
    """When the quiet hours around `local` (a local, aware datetime) end, or None outside them.
    Quiet hours may span midnight (21:00-07:00); equal start and end mean none."""
    if start == end:
        return None
    now = local.time()
    if start < end:
        inside, day = start <= now < end, local.date()
    else:
        inside = now >= start or now < end
        day = local.date() + timedelta(days=1) if now >= start else local.date()
    return datetime.combine(day, end, local.tzinfo) if inside else None


def window(eta: datetime, minutes: int, earliest: datetime) -> tuple[datetime, datetime]:
    """A window of `minutes` around `eta` on whole hours (9:00-11:00), not starting before `earliest`'s hour."""
    start = max(eta - timedelta(minutes=minutes / 2), earliest.replace(minute=0, second=0, microsecond=0))
    start = start.replace(minute=0, second=0, microsecond=0)
    return start, start + timedelta(minutes=minutes)


def hm(moment: datetime | time) -> str:
    """9:00, 14:30: the Vietnamese way of writing a time of day."""
    return f"{moment.hour}:{moment.minute:02d}"
