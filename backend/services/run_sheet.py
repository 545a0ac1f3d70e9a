"""A round's run sheet (bảng kê chuyến phát): the paper a postman takes out and brings back signed.

A4 landscape: the post office, the postman, the date; every stop in visiting order with its code,
recipient, address, phone, procedure (and whether a result goes out or a dossier comes in), the
fees to collect (the service fee and the government fee are separate money with separate
receipts), and an empty column to tick or sign; the totals; the lines where the postman and
the supervisor sign. In Vietnamese; with the English after it when the reader's language is
English (`lang`). The page is backend/services/printing.py's.
"""

from __future__ import annotations

from fpdf.enums import XPos, YPos
from fpdf.fonts import FontFace

from backend.domain.vocabulary import bilingual, label
from backend.extensions import db
from backend.models import Item, PostOffice, Round
from backend.services import printing
from backend.services.printing import FONT, line, pick, vnd
from backend.services.rounds import stops_of
from backend.timeutil import local_today


def number(rnd: Round) -> str:
    return f"CP-{rnd.id:06d}"


def word(family: str, code: str, lang: str) -> str:
    return bilingual(family, code) if lang == "en" else label(family, code)


def fees_due(item: Item) -> int:
    """What the postman collects at the door (the phone asks for the same)."""
    return item.service_fee + item.government_fee


def render(rnd: Round, lang: str = "vi") -> bytes:
    stops = stops_of(rnd.id)
    office = db.session.get(PostOffice, rnd.office_id) if rnd.office_id else None
    pdf = printing.document(
        f"Bảng kê chuyến phát {number(rnd)}",
        footer=f"{number(rnd)} · {rnd.postman.full_name} · {rnd.round_date:%d/%m/%Y}",
        orientation="L",
        margin=14,
    )
    pdf.set_margins(10, 10, 10)
    pdf.add_page()
    pdf.set_font(FONT, "B", 10)
    pdf.cell(0, 5, office.name.upper() if office else "BƯU ĐIỆN", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    if office and office.address:
        line(pdf, office.address, 8.5, height=4.5)
    line(pdf, pick(lang, "BẢNG KÊ CHUYẾN PHÁT", "ROUND RUN SHEET"), 14, "B", "C", 7)
    postman = rnd.postman
    phone = f" — {postman.phone}" if postman.phone else ""
    line(
        pdf,
        f"{pick(lang, 'Bưu tá', 'Postman')}: {postman.full_name}{phone}    "
        f"{pick(lang, 'Ngày', 'Date')}: {rnd.round_date:%d/%m/%Y}    "
        f"{pick(lang, 'Số', 'No.')}: {number(rnd)}    "
        f"{pick(lang, 'Trạng thái', 'Status')}: {word('round', rnd.status, lang)}",
        9.5,
        align="C",
    )
    pdf.ln(2)
    _stops_table(pdf, stops, lang)
    _signatures(pdf, rnd, office, lang)
    return bytes(pdf.output())


def _stops_table(pdf, stops: list[Item], lang: str) -> None:
    headings = (
        pick(lang, "STT", "No."),
        pick(lang, "Mã bưu gửi", "Item code"),
        pick(lang, "Người nhận", "Recipient"),
        pick(lang, "Địa chỉ", "Address"),
        pick(lang, "Điện thoại", "Phone"),
        pick(lang, "Thủ tục", "Procedure"),
        pick(lang, "Cước dịch vụ (đ)", "Service fee"),
        pick(lang, "Lệ phí (đ)", "Government fee"),
        pick(lang, "Đã phát ✓ / Ký nhận", "Done ✓ / Signature"),
    )
    pdf.set_font(FONT, "", 8)
    with pdf.table(
        col_widths=(9, 27, 34, 58, 23, 46, 18, 18, 44),
        headings_style=FontFace(family=FONT, emphasis="BOLD", fill_color=(230, 230, 230)),
        line_height=4.4,
        text_align=("CENTER", "LEFT", "LEFT", "LEFT", "LEFT", "LEFT", "RIGHT", "RIGHT", "LEFT"),
        padding=1,
    ) as table:
        table.row(headings)
        for n, item in enumerate(stops, start=1):
            table.row(
                (
                    str(n),
                    item.code,
                    item.recipient_name,
                    printing.address(item.address_line, item.commune, item.province),
                    item.recipient_phone or "",
                    f"{item.procedure.name}\n({word('direction', item.direction, lang)})",
                    vnd(item.service_fee),
                    vnd(item.government_fee),
                    "",
                )
            )
        service = sum(item.service_fee for item in stops)
        government = sum(item.government_fee for item in stops)
        total = table.row(style=FontFace(family=FONT, emphasis="BOLD"))
        total.cell(
            f"{pick(lang, 'Tổng cộng', 'Total')}: {len(stops)} {pick(lang, 'điểm phát', 'stops')}", colspan=6
        )
        total.cell(vnd(service))
        total.cell(vnd(government))
        total.cell("")
    pdf.ln(2)
    line(
        pdf,
        f"{pick(lang, 'Tổng số tiền cần thu', 'Total to collect')}: {vnd(service + government)} đồng (VND)",
        9.5,
        "B",
    )


def _signatures(pdf, rnd: Round, office: PostOffice | None, lang: str) -> None:
    if pdf.get_y() > pdf.h - 50:
        pdf.add_page()
    half = (pdf.w - pdf.l_margin - pdf.r_margin) / 2
    pdf.ln(2)
    pdf.set_x(pdf.l_margin + half)
    pdf.set_font(FONT, "", 9.5)
    place = office.name if office else None
    pdf.cell(half, 5, printing.dated_at(place, local_today()), align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    top = pdf.get_y() + 1
    columns = (
        (pick(lang, "NGƯỜI LẬP", "PREPARED BY"), ""),
        (pick(lang, "BƯU TÁ", "POSTMAN"), rnd.postman.full_name),
    )
    for index, (title, name) in enumerate(columns):
        x = pdf.l_margin + index * half
        pdf.set_xy(x, top)
        pdf.set_font(FONT, "B", 10)
        pdf.cell(half, 5, title, align="C", new_x=XPos.LEFT, new_y=YPos.NEXT)
        pdf.set_font(FONT, "", 8.5)
        pdf.cell(half, 4.5, pick(lang, "(Ký, ghi rõ họ tên)", "Signature and full name"), align="C")
        pdf.set_xy(x, top + 28)
        pdf.set_font(FONT, "", 9.5)
        pdf.cell(half, 5, name, align="C")
