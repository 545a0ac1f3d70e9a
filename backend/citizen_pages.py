"""The citizen's pages: /track/ (tracking, answer, complaint) and /book/ (ask for a collection).

Server-rendered HTML with no script at all (docs/citizen.md, "Why server-rendered"): one small page
and one cached stylesheet reach a phone on 3G faster than any app shell, work on every browser a
citizen may have, and need no account. Vietnamese first; `lang=en` (a link on every page) switches
to English. The work is backend/services/citizen.py, the same as the JSON API's; these views only
read forms, call it, commit and render. The limits are the API's: per client address and per code.
"""

from __future__ import annotations

from datetime import date
from urllib.parse import urlencode

from flask import Blueprint, Response, current_app, redirect, render_template, request
from flask_limiter.errors import RateLimitExceeded
from markupsafe import Markup

from backend.domain import vietqr
from backend.domain.rules import DomainError
from backend.domain.text import nfc
from backend.domain.vocabulary import label
from backend.extensions import db, limiter
from backend.models import Item
from backend.services import citizen, notifications
from backend.services.citizen_links import link_token
from backend.services.printing import vnd

blp = Blueprint(
    "citizen",
    __name__,
    template_folder="templates",
    static_folder="citizen_static",
    static_url_path="/track/static",
)

WORDS: dict[str, tuple[str, str]] = {
    "title": ("Tra cứu hồ sơ, kết quả gửi qua bưu điện", "Track your dossier or result sent by post"),
    "book.title": ("Đặt bưu điện đến nhận hồ sơ tại nhà", "Ask the post to collect your dossier at home"),
    "lang": ("English", "Tiếng Việt"),
    "code": ("Mã bưu gửi (trên phong bì)", "Item code (on the envelope)"),
    "digits": ("4 số cuối điện thoại người nhận", "Last 4 digits of the recipient's phone"),
    "look": ("Tra cứu", "Track"),
    "not_found": (
        "Không tìm thấy bưu gửi với mã và số điện thoại này. Vui lòng kiểm tra lại.",
        "No item with that code and phone number. Please check them.",
    ),
    "locked": (
        "Nhập sai quá nhiều lần cho mã này; vui lòng thử lại sau.",
        "Too many wrong tries for this code; please try again later.",
    ),
    "busy": (
        "Quá nhiều yêu cầu; vui lòng thử lại sau ít phút.",
        "Too many requests; try again in a few minutes.",
    ),
    "status": ("Tình trạng", "Status"),
    "expected": ("Dự kiến bưu tá đến", "The postman is expected"),
    "between": ("trong khoảng", "between"),
    "bring": ("Chuẩn bị khi nhận", "Have ready"),
    "bring.id": (
        "Căn cước công dân (CCCD) hoặc hộ chiếu của người nhận",
        "The recipient's citizen ID card (CCCD) or passport",
    ),
    "bring.stand_in": (
        "Người nhận thay mang CCCD của mình và giấy ủy quyền",
        "The stand-in brings their own ID card and an authorisation letter",
    ),
    "bring.papers": ("Các giấy tờ của hồ sơ", "The dossier's papers"),
    "pay": ("Số tiền phải trả", "To pay"),
    "service_fee": ("Phí dịch vụ bưu chính", "Postal service fee"),
    "government_fee": ("Lệ phí (nộp cho cơ quan)", "Government fee (for the agency)"),
    "total": ("Tổng cộng", "Total"),
    "transfer": ("Chuyển khoản (VietQR)", "Bank transfer (VietQR)"),
    "qr.service": (
        "Quét mã bằng ứng dụng ngân hàng để trả phí dịch vụ",
        "Scan with your banking app to pay the service fee",
    ),
    "qr.government": (
        "Quét mã bằng ứng dụng ngân hàng để nộp lệ phí",
        "Scan with your banking app to pay the government fee",
    ),
    "qr.to": ("vào tài khoản", "to account"),
    "failed": ("Lần phát trước không thành công", "The last attempt failed"),
    "reason": ("Lý do", "Reason"),
    "next": ("Lần phát tiếp theo từ ngày", "Next attempt from"),
    "office": ("Bưu cục phụ trách", "Your post office"),
    "call": ("Gọi", "Call"),
    "hours": ("Giờ mở cửa", "Opening hours"),
    "story": ("Hành trình", "Timeline"),
    "answer": ("Bạn không có nhà hôm đó?", "Not at home that day?"),
    "answer.another_day": ("Chọn ngày khác", "Choose another day"),
    "answer.stand_in": ("Người khác nhận thay", "Someone else receives it"),
    "answer.pickup": ("Tôi sẽ đến nhận tại bưu cục", "I will pick it up at the post office"),
    "answer.day": ("Ngày", "Day"),
    "answer.name": ("Họ tên người nhận thay", "The stand-in's full name"),
    "answer.send": ("Gửi lựa chọn", "Send my choice"),
    "answer.done": ("Đã ghi nhận lựa chọn của bạn.", "Your choice is recorded."),
    "choice": ("Lựa chọn của bạn", "Your choice"),
    "choice.another_day": ("Phát vào ngày", "Deliver on"),
    "choice.stand_in": ("Người nhận thay", "Stand-in"),
    "choice.pickup": ("Nhận tại bưu cục", "Pickup at the post office"),
    "choice.booked": ("Ngày mong muốn thu gom", "Preferred collection day"),
    "complain": ("Gửi khiếu nại", "File a complaint"),
    "complain.text": ("Nội dung khiếu nại", "What went wrong"),
    "complain.send": ("Gửi khiếu nại", "Send the complaint"),
    "complain.done": ("Đã nhận khiếu nại của bạn.", "Your complaint is received."),
    "complaints": ("Khiếu nại", "Complaints"),
    "complaint.due": ("Hạn trả lời", "Answer due by"),
    "complaint.answer": ("Trả lời của bưu điện", "The post's answer"),
    "complaint.waiting": ("Đang xử lý", "Being handled"),
    "messages": ("Tin nhắn SMS/Zalo", "SMS/Zalo messages"),
    "messages.on": (
        "Bưu điện nhắn tin cho số điện thoại của bạn khi bưu tá sắp đến và khi có kết quả.",
        "The post texts your phone number when the postman is on the way and when there is news.",
    ),
    "messages.stop": ("Ngừng nhận tin nhắn", "Stop the messages"),
    "messages.off": (
        "Bạn đã ngừng nhận tin nhắn: bưu điện không nhắn tin cho số điện thoại này nữa, về mọi bưu gửi.",
        "You stopped the messages: the post sends no more to this phone number, about any item.",
    ),
    "messages.resume": ("Nhận tin nhắn trở lại", "Get the messages again"),
    "messages.stopped": (
        "Đã ngừng nhận tin nhắn. Muốn nhận lại, bấm “Nhận tin nhắn trở lại” trên trang này.",
        "Messages stopped. To get them again, press “Get the messages again” on this page.",
    ),
    "messages.resumed": (
        "Bạn sẽ nhận lại tin nhắn từ lần tới.",
        "You will get the messages again from the next one.",
    ),
    "book.procedure": ("Thủ tục", "Procedure"),
    "book.name": ("Họ tên", "Full name"),
    "book.phone": ("Số điện thoại", "Phone"),
    "book.address": ("Số nhà, đường, ấp/khu phố", "House, street, hamlet"),
    "book.commune": ("Xã/phường (hiện nay)", "Commune/ward (current)"),
    "book.old": ("Địa chỉ cũ trước 2025 (nếu có)", "Pre-2025 address (if any)"),
    "book.old_commune": (
        "Hoặc xã/phường cũ trước 2025, vd. Phường 1, Quận 3 (nếu chưa biết xã/phường hiện nay)",
        "Or the pre-2025 commune/ward, e.g. Phường 1, Quận 3 (if you do not know the current one)",
    ),
    "book.choose": ("— chọn —", "— choose —"),
    "book.now": ("Xã/phường hiện nay", "Current commune/ward"),
    "book.was": ("trước 2025", "before 2025"),
    "book.old_split": (
        "Xã/phường cũ này nay thuộc nhiều xã/phường, hãy chọn xã/phường hiện nay của bạn:",
        "That old commune/ward is now part of several, choose your current one:",
    ),
    "book.old_unknown": (
        "Không tìm thấy xã/phường cũ này ở nơi bưu điện thu gom: hãy chọn xã/phường hiện nay.",
        "That old commune/ward is not one the post collects in: choose the current one.",
    ),
    "book.day": ("Ngày mong muốn", "Preferred day"),
    "book.send": ("Đặt lịch thu gom", "Book the collection"),
    "book.done": (
        "Đã nhận yêu cầu. Mã theo dõi của bạn:",
        "Request received. Your tracking code:",
    ),
    "book.track": ("Theo dõi yêu cầu", "Track the request"),
    "book.link": ("Đặt bưu điện đến nhận hồ sơ tại nhà", "Ask for a collection at home"),
    "privacy": (
        "Trang này không hiển thị họ tên, số điện thoại hay địa chỉ của bạn.",
        "This page never shows your name, phone or address.",
    ),
    "problem": ("Vui lòng kiểm tra lại", "Please check"),
    # The refusals of backend/services/citizen.py, by their kind (the dashboard words them too).
    "problem.answer-closed": ("Bưu gửi này không còn thay đổi được.", "This item can no longer be changed."),
    "problem.bad-choice": (
        "Hãy chọn ngày khác, người nhận thay hoặc nhận tại bưu cục.",
        "Choose another day, a stand-in or pickup at the post office.",
    ),
    "problem.bad-day": (
        "Hãy chọn một ngày làm việc trong khoảng cho phép.",
        "Choose a working day within the allowed range.",
    ),
    "problem.stand-in-name-required": ("Hãy nhập họ tên người nhận thay.", "Enter the stand-in's full name."),
    "problem.unknown-commune": (
        "Không có bưu cục nào thu gom ở xã/phường này.",
        "No post office collects in that commune or ward.",
    ),
    "problem.complaint-too-short": ("Hãy nói rõ điều gì chưa ổn.", "Say what went wrong."),
    "problem.procedure-not-allowed-by-post": (
        "Thủ tục này cần người dân có mặt; không gửi qua bưu điện được.",
        "This procedure needs you in person; it cannot go by post.",
    ),
}
PLAIN_STATUS: dict[tuple[str, str], tuple[str, str]] = {
    ("return", "registered"): (
        "Kết quả đang ở cơ quan giải quyết, chưa chuyển cho bưu điện.",
        "The result is still at the agency; the post does not have it yet.",
    ),
    ("return", "at_post_office"): (
        "Kết quả đã đến bưu cục và đang chờ xếp lịch phát.",
        "The result is at the post office, waiting to be scheduled.",
    ),
    ("return", "assigned"): ("Bưu tá sẽ mang kết quả đến cho bạn.", "A postman will bring you the result."),
    ("return", "failed_attempt"): (
        "Bưu tá đã đến nhưng chưa phát được; bưu tá sẽ quay lại.",
        "The postman came but could not deliver; they will come again.",
    ),
    ("return", "delivered"): ("Kết quả đã được phát thành công.", "The result has been delivered."),
    ("return", "return_to_agency"): (
        "Không phát được sau các lần mời; kết quả sẽ được trả lại cơ quan.",
        "Not delivered after the invitations; the result goes back to the agency.",
    ),
    ("return", "returned_to_agency"): (
        "Kết quả đã được trả lại cơ quan giải quyết.",
        "The result was returned to the agency.",
    ),
    ("collect", "registered"): (
        "Đã nhận yêu cầu thu gom; bưu cục sẽ xếp lịch đến nhận hồ sơ.",
        "Collection requested; the post office will schedule a visit.",
    ),
    ("collect", "assigned"): ("Bưu tá sẽ đến nhận hồ sơ của bạn.", "A postman will come for your dossier."),
    ("collect", "failed_attempt"): (
        "Bưu tá đã đến nhưng chưa nhận được hồ sơ; bưu tá sẽ quay lại.",
        "The postman came but could not collect the dossier; they will come again.",
    ),
    ("collect", "collected"): ("Bưu tá đã nhận hồ sơ của bạn.", "The postman has your dossier."),
    ("collect", "handed_to_agency"): (
        "Hồ sơ đã được nộp cho cơ quan giải quyết.",
        "Your dossier was handed to the agency.",
    ),
}
STEPS: dict[str, tuple[str, str]] = {
    "created": ("Đăng ký", "Registered"),
    "at_post_office": ("Đến bưu cục", "At the post office"),
    "assigned": ("Xếp lịch phát", "Put on a round"),
    "failed": ("Phát không thành công", "Attempt failed"),
    "delivered": ("Phát thành công", "Delivered"),
    "collected": ("Đã nhận hồ sơ", "Dossier collected"),
    "handed_to_agency": ("Nộp cơ quan", "Handed to the agency"),
    "return_to_agency": ("Chờ trả cơ quan", "To go back to the agency"),
    "returned_to_agency": ("Đã trả cơ quan", "Returned to the agency"),
    "cancelled": ("Đã hủy", "Cancelled"),
    "answered": ("Bạn đã gửi lựa chọn", "You sent a choice"),
    "complaint": ("Bạn đã gửi khiếu nại", "You filed a complaint"),
    "complaint_answered": ("Bưu điện đã trả lời khiếu nại", "The post answered the complaint"),
}
WEEKDAYS = (
    ("Thứ Hai", "Mon"),
    ("Thứ Ba", "Tue"),
    ("Thứ Tư", "Wed"),
    ("Thứ Năm", "Thu"),
    ("Thứ Sáu", "Fri"),
    ("Thứ Bảy", "Sat"),
    ("Chủ Nhật", "Sun"),
)


def _lang() -> str:
    return "en" if request.values.get("lang") == "en" else "vi"


def _helpers(lang: str) -> dict:
    n = 1 if lang == "en" else 0

    def t(key: str) -> str:
        return WORDS[key][n]

    def day(value: date | None) -> str:
        if value is None:
            return ""
        return f"{WEEKDAYS[value.weekday()][n]}, {value:%d/%m/%Y}"

    def at(value) -> str:
        from backend.timeutil import local_zone

        return value.astimezone(local_zone()).strftime("%H:%M %d/%m/%Y") if value else ""

    def other_lang_url() -> str:
        args = {k: v for k, v in request.args.items() if k != "lang"}
        if lang == "vi":
            args["lang"] = "en"
        return request.path + ("?" + urlencode(args) if args else "")

    return {
        "lang": lang,
        "t": t,
        "day": day,
        "at": at,
        "money": lambda amount: f"{vnd(amount)} đ",
        "reason": lambda code: label("reason", code, lang) if code else "",
        "step": lambda code: STEPS.get(code, (code, code))[n],
        "plain": lambda view: (
            PLAIN_STATUS.get(
                (view["direction"], view["status"]), (label("status", view["status"], "vi"),) * 2
            )[n]
            if view["status"] != "cancelled"
            else label("status", "cancelled", lang)
        ),
        "other_lang_url": other_lang_url(),
        # The VietQR of a transfer, drawn here as inline SVG (backend/domain/vietqr.py): no script.
        "qr": lambda payload, caption: Markup(vietqr.svg(payload, caption)),
        "qr_caption": lambda q: (
            f"{t('qr.' + q['fee'])}: {vnd(q['amount'])} đ {t('qr.to')} {q['payee']['account']}"
            + (f" – {q['payee']['name']}" if q["payee"].get("name") else "")
        ),
    }


def _page(template: str, status: int = 200, **context) -> Response:
    lang = _lang()
    html = render_template(f"citizen/{template}", **_helpers(lang), **context)
    response = Response(html, status=status, mimetype="text/html")
    response.headers["Cache-Control"] = "no-store"  # an item's status, never from a cache
    response.headers["Content-Language"] = lang
    return response


def _field(name: str) -> str:
    return nfc(request.form.get(name) or "")


def _code_key() -> str:
    return "code:" + str(request.values.get("c", "")).strip().upper()


def _no_lookup() -> bool:
    return not request.values.get("c")


_per_address = limiter.limit(
    lambda: current_app.config["TRACKING_RATE_LIMIT"], exempt_when=_no_lookup, scope="track-page"
)
_per_code = limiter.limit(
    lambda: current_app.config["TRACKING_CODE_RATE_LIMIT"],
    key_func=_code_key,
    exempt_when=_no_lookup,
    scope="track-page-code",
)


@blp.errorhandler(RateLimitExceeded)
def _too_many(error):
    return _page("track.html", status=429, message=WORDS["busy"], code="", view=None)


def _tracked(code: str) -> tuple[Item | None, tuple[str, str] | None, int]:
    """The item, or the one message a wrong code, wrong digits and a lock show (and its status)."""
    try:
        item = citizen.find_tracked(code, request.values.get("d"), request.values.get("k"))
    except DomainError as error:
        if error.status == 429:
            return None, WORDS["locked"], 429
        return None, WORDS["not_found"], 404
    return item, None, 200


@blp.get("/track/")
@_per_address
@_per_code
def track():
    """The tracking page: the form, or one item's status when a code and digits (or a link) are given."""
    code = (request.values.get("c") or "").strip().upper()
    if not code:
        return _page("track.html", code="", view=None)
    item, message, status = _tracked(code)
    if item is None:
        return _page("track.html", status=status, code=code, view=None, message=message)
    db.session.commit()  # nothing to write: ends the read
    return _page(
        "track.html",
        code=item.code,
        view=citizen.tracking_view(item),
        k=link_token(item.code),
        days=citizen.answer_days(),
        done=request.args.get("done"),
        stopped=notifications.citizen_stopped(item),
    )


def _back_to(item: Item, done: str) -> Response:
    args = {"c": item.code, "k": link_token(item.code), "done": done}
    if _lang() == "en":
        args["lang"] = "en"
    return redirect("/track/?" + urlencode(args), code=303)


def _problem_words(error: DomainError) -> str:
    words = WORDS.get("problem." + error.kind)
    return words[1 if _lang() == "en" else 0] if words else error.detail


def _form_problem(item: Item, error: DomainError) -> Response:
    return _page(
        "track.html",
        status=error.status,
        code=item.code,
        view=citizen.tracking_view(item),
        k=link_token(item.code),
        days=citizen.answer_days(),
        problem=_problem_words(error),
        stopped=notifications.citizen_stopped(item),
    )


@blp.post("/track/answer")
@_per_address
@_per_code
def answer():
    """The citizen's answer from the link: another day, a stand-in, or pickup at the post office."""
    item, message, status = _tracked((request.form.get("c") or "").upper())
    if item is None:
        return _page("track.html", status=status, code="", view=None, message=message)
    day = None
    try:
        day = date.fromisoformat(request.form.get("day") or "") if request.form.get("day") else None
    except ValueError:
        day = None
    try:
        citizen.record_answer(item, request.form.get("kind", ""), day, _field("stand_in_name"))
    except DomainError as error:
        db.session.rollback()
        return _form_problem(item, error)
    db.session.commit()
    return _back_to(item, "answer")


@blp.post("/track/complaint")
@limiter.limit(lambda: current_app.config["COMPLAINT_RATE_LIMIT"], scope="complaint")
@_per_code
def complaint():
    """A complaint about the item, filed from its tracking page."""
    item, message, status = _tracked((request.form.get("c") or "").upper())
    if item is None:
        return _page("track.html", status=status, code="", view=None, message=message)
    try:
        citizen.file_complaint(item, _field("text"))
    except DomainError as error:
        db.session.rollback()
        return _form_problem(item, error)
    db.session.commit()
    return _back_to(item, "complaint")


@blp.post("/track/messages")
@_per_address
@_per_code
def messages():
    """The citizen's STOP from the page (the same as `POST /api/notifications/stop`), or its undo."""
    item, message, status = _tracked((request.form.get("c") or "").upper())
    if item is None:
        return _page("track.html", status=status, code="", view=None, message=message)
    if request.form.get("stop") == "0":
        notifications.resume_for_citizen(item)
        done = "resumed"
    else:
        notifications.stop_for_citizen(item)
        done = "stopped"
    db.session.commit()
    return _back_to(item, done)


def _booking_form(status: int = 200, **context) -> Response:
    return _page(
        "book.html",
        status=status,
        procedures=citizen.bookable_procedures(),
        communes=[agency.commune for agency, _ in citizen.bookable_communes()],
        old_communes=citizen.bookable_old_communes(),
        days=citizen.answer_days(),
        form=request.form,
        **context,
    )


@blp.get("/book/")
def book_form():
    """The booking form: a collection of a dossier at home."""
    return _booking_form()


# One budget per client address for the page and the JSON API (backend/api/bookings.py).
booking_limit = limiter.shared_limit(lambda: current_app.config["BOOKING_RATE_LIMIT"], scope="booking")


@blp.post("/book/")
@booking_limit
def book():
    """Book a collection: a `collect` item in the supervisor's planning, its tracking code shown."""
    form = request.form
    problems = []
    phone = "".join(ch for ch in form.get("phone", "") if ch.isdigit() or ch == "+")
    name, address = _field("name"), _field("address_line")
    if not name or len(name) > 200:
        problems.append(WORDS["book.name"])
    if not 9 <= len(phone) <= 15:
        problems.append(WORDS["book.phone"])
    if not address or len(address) > 300:
        problems.append(WORDS["book.address"])
    try:
        day = date.fromisoformat(form.get("day", ""))
        procedure_id = int(form.get("procedure_id", ""))
    except ValueError:
        problems.append(WORDS["book.day"])
        day, procedure_id = None, 0
    if not _field("commune") and not _field("old_commune"):
        problems.append(WORDS["book.commune"])
    if problems:
        return _booking_form(status=422, problems=problems)
    commune, old_commune, old_address = _field("commune"), _field("old_commune"), _field("old_address")
    mapped = None
    if old_commune and not commune:
        found = citizen.commune_from_old(old_commune)
        if found.status == "ambiguous":
            return _booking_form(status=422, choose=found.choices, selected=found.choices[0])
        if found.status == "unknown":
            return _booking_form(status=422, problems=[WORDS["book.old_unknown"]])
        commune, mapped = found.name or "", found
    if old_commune:  # the old unit is kept with the address, for the postman
        old_address = old_address or (mapped.old if mapped and mapped.old else old_commune)
    body = {
        "procedure_id": procedure_id,
        "name": name,
        "phone": phone,
        "address_line": address,
        "commune": commune,
        "old_address": old_address[:300],
        "day": day,
    }
    try:
        item = citizen.book_collection(body)
    except DomainError as error:
        db.session.rollback()
        return _booking_form(status=error.status, problem=_problem_words(error))
    db.session.commit()
    return _page(
        "book.html",
        status=201,
        booked=item.code,
        k=link_token(item.code),
        commune=item.commune,
        was=old_commune if mapped else None,
    )


def register_citizen_pages(app) -> None:
    app.register_blueprint(blp)

    @app.get("/track")
    def track_bare():
        return redirect("/track/" + ("?" + request.query_string.decode() if request.query_string else ""))
