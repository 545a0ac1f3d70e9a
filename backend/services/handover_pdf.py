"""A handover record (biên bản bàn giao) as data and as a printable A4 PDF.

The PDF: bilingual headings (Vietnamese first), the parties, a table of the items with
originals, copies and the fees passed on, totals, signature lines for the postman and the
agency officer, and a QR code holding the record's id and a verification hash (an HMAC of
its content under the server's secret key), so a printed copy can be checked against the
database. Fonts: a Unicode TTF with Vietnamese letters (DejaVu Sans by default, Debian
package fonts-dejavu-core; PDF_FONT_PATH / PDF_FONT_BOLD_PATH to change).
"""

from __future__ import annotations

import hashlib
import hmac
import io
import os

import qrcode
from flask import current_app
from fpdf import FPDF
from fpdf.enums import XPos, YPos
from fpdf.fonts import FontFace

from backend.domain.rules import DomainError
from backend.extensions import db
from backend.models import Handover, User
from backend.timeutil import local_zone

FONT = "PostRoundSans"
DIRECTION_TEXT = {
    "agency_to_post": (
        "Cơ quan bàn giao kết quả cho bưu điện",
        "Results handed by the agency to the post office",
    ),
    "post_to_agency": (
        "Bưu điện bàn giao hồ sơ, kết quả cho cơ quan",
        "Dossiers and results handed by the post office to the agency",
    ),
}


def number(handover: Handover) -> str:
    return f"BG-{handover.id:06d}"


def verification_hash(handover: Handover) -> str:
    """16 hex digits of an HMAC over the record's content: changes if any line or count changes."""
    lines = ";".join(
        f"{line.item.code},{line.originals},{line.copies},{line.fee_passed_on}"
        for line in sorted(handover.lines, key=lambda line: line.item_id)
    )
    content = (
        f"{handover.id}|{handover.direction}|{handover.agency.code}|{handover.created_at.isoformat()}|"
        f"{handover.officer_name or ''}|{lines}"
    )
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, content.encode(), hashlib.sha256).hexdigest()[:16]


def qr_payload(handover: Handover) -> str:
    return f"POSTROUND:HANDOVER:{handover.id}:{verification_hash(handover)}"


def people_of(handovers: list[Handover]) -> dict[int, User]:
    """The postmen and authors of some records, in one query."""
    ids = {i for h in handovers for i in (h.postman_id, h.created_by_id) if i}
    if not ids:
        return {}
    return {u.id: u for u in db.session.execute(db.select(User).where(User.id.in_(ids))).unique().scalars()}


def view(handover: Handover, people: dict[int, User] | None = None) -> dict:
    """The record as HandoverSchema shows it (`people`: from people_of, when showing many)."""
    people = people_of([handover]) if people is None else people

    def person(user_id: int | None) -> User | None:
        return None if user_id is None else people.get(user_id)

    lines = [
        {
            "item_id": line.item_id,
            "code": line.item.code,
            "dossier_code": line.item.dossier_code,
            "recipient_name": line.item.recipient_name,
            "direction": line.item.direction,
            "status": line.item.status,
            "procedure": line.item.procedure.name,
            "originals": line.originals,
            "copies": line.copies,
            "fee_passed_on": line.fee_passed_on,
        }
        for line in handover.lines
    ]
    return {
        "id": handover.id,
        "number": number(handover),
        "direction": handover.direction,
        "agency": handover.agency,
        "postman": person(handover.postman_id),
        "created_by": person(handover.created_by_id),
        "officer_name": handover.officer_name,
        "result_ready_date": handover.result_ready_date,
        "note": handover.note,
        "source": "phone" if handover.client_mutation_id else "dashboard",
        "created_at": handover.created_at,
        "device_time": handover.device_time,
        "verification": verification_hash(handover),
        "lines": lines,
        "totals": {
            "items": len(lines),
            "originals": sum(x["originals"] for x in lines),
            "copies": sum(x["copies"] for x in lines),
            "fee_passed_on": sum(x["fee_passed_on"] for x in lines),
        },
    }


def vnd(amount: int) -> str:
    return f"{amount:,}".replace(",", ".")


# Rendering -------------------------------------------------------------------------------------------


class _Record(FPDF):
    footer_text = ""

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(FONT, size=7.5)
        self.cell(0, 5, f"{self.footer_text}    Trang / Page {self.page_no()}/{{nb}}", align="C")


def _font_paths() -> tuple[str, str]:
    regular, bold = current_app.config["PDF_FONT_PATH"], current_app.config["PDF_FONT_BOLD_PATH"]
    for path in (regular, bold):
        if not os.path.isfile(path):
            raise DomainError(
                "pdf-font-missing",
                f"The PDF font {path} is missing, so the handover record cannot be printed. "
                "Install the Debian package fonts-dejavu-core, or set PDF_FONT_PATH and "
                "PDF_FONT_BOLD_PATH to TrueType fonts with Vietnamese letters.",
                status=503,
            )
    return regular, bold


def _qr_png(payload: str) -> io.BytesIO:
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=6, border=2)
    code.add_data(payload)
    code.make(fit=True)
    buffer = io.BytesIO()
    code.make_image().save(buffer)
    buffer.seek(0)
    return buffer


def render(handover: Handover) -> bytes:
    """The printable record (A4 portrait)."""
    regular, bold = _font_paths()
    data = view(handover)
    pdf = _Record(orientation="P", unit="mm", format="A4")
    pdf.footer_text = f"{data['number']} · Mã xác thực / Verification: {data['verification']}"
    pdf.set_title(f"Biên bản bàn giao {data['number']}")
    pdf.set_author("PostRound")
    pdf.set_creation_date(handover.created_at)
    pdf.add_font(FONT, "", regular)
    pdf.add_font(FONT, "B", bold)
    pdf.set_auto_page_break(auto=True, margin=18)
    pdf.add_page()
    _header(pdf, handover, data)
    _parties(pdf, handover, data)
    _lines_table(pdf, data)
    _signatures(pdf, handover, data)
    return bytes(pdf.output())


def _line(
    pdf: FPDF, text: str, size: float = 10, style: str = "", align: str = "L", height: float = 5.5
) -> None:
    pdf.set_font(FONT, style, size)
    pdf.multi_cell(0, height, text, align=align, new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def _header(pdf: FPDF, handover: Handover, data: dict) -> None:
    top = pdf.get_y()
    pdf.set_font(FONT, "B", 9)
    pdf.cell(80, 5, "BƯU ĐIỆN — BƯU CHÍNH CÔNG ÍCH", new_x=XPos.LEFT, new_y=YPos.NEXT)
    pdf.set_font(FONT, "", 8)
    pdf.cell(80, 4.5, "Post office — public postal service", new_x=XPos.LEFT, new_y=YPos.NEXT)
    pdf.cell(80, 4.5, f"Số / No.: {data['number']}")
    pdf.set_xy(90, top)
    pdf.set_font(FONT, "B", 9)
    pdf.cell(85, 5, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", align="C", new_x=XPos.LEFT, new_y=YPos.NEXT)
    pdf.set_font(FONT, "", 8.5)
    pdf.cell(85, 4.5, "Độc lập - Tự do - Hạnh phúc", align="C", new_x=XPos.LEFT, new_y=YPos.NEXT)
    pdf.image(_qr_png(qr_payload(handover)), x=pdf.w - pdf.r_margin - 26, y=top - 2, w=26, h=26)
    pdf.set_xy(pdf.l_margin, top + 27)
    _line(pdf, "BIÊN BẢN BÀN GIAO", 15, "B", "C", 7)
    _line(pdf, "HANDOVER RECORD", 10.5, "B", "C", 5.5)
    vi, en = DIRECTION_TEXT[handover.direction]
    _line(pdf, f"{vi} / {en}", 9.5, "", "C")
    made = handover.created_at.astimezone(local_zone())
    _line(pdf, f"Lập lúc / Made on: {made:%H:%M, %d/%m/%Y}", 9.5, "", "C")
    pdf.ln(2)


def _parties(pdf: FPDF, handover: Handover, data: dict) -> None:
    agency = handover.agency
    where = ", ".join(p for p in (agency.address, agency.commune, agency.province) if p)
    post_side = data["postman"] or data["created_by"]
    post_name = post_side.full_name if post_side else ""
    agency_side = f"{agency.name} — cán bộ / officer: {handover.officer_name or ''}"
    post = f"Bưu điện / Post office — {'bưu tá / postman' if data['postman'] else 'người lập / made by'}: {post_name}"
    giver, receiver = (agency_side, post) if handover.direction == "agency_to_post" else (post, agency_side)
    _line(pdf, f"Bên giao / Handed over by: {giver}")
    _line(pdf, f"Bên nhận / Received by: {receiver}")
    if where:
        _line(pdf, f"Địa chỉ cơ quan / Agency address: {where}")
    if handover.result_ready_date:
        _line(pdf, f"Ngày hẹn trả kết quả / Results ready on: {handover.result_ready_date:%d/%m/%Y}")
    if handover.note:
        _line(pdf, f"Ghi chú / Note: {handover.note}")
    pdf.ln(2)


def _lines_table(pdf: FPDF, data: dict) -> None:
    pdf.set_font(FONT, "", 8.5)
    headings = (
        "STT\nNo.",
        "Mã bưu gửi\nItem code",
        "Số hồ sơ\nDossier",
        "Người nhận / nộp\nCitizen",
        "Bản chính\nOriginals",
        "Bản sao\nCopies",
        "Phí chuyển giao (đ)\nFee passed on",
    )
    heading_style = FontFace(family=FONT, emphasis="BOLD", fill_color=(230, 230, 230))
    with pdf.table(
        col_widths=(8, 27, 46, 38, 19, 16, 26),
        headings_style=heading_style,
        line_height=4.6,
        text_align=("CENTER", "LEFT", "LEFT", "LEFT", "RIGHT", "RIGHT", "RIGHT"),
    ) as table:
        table.row(headings)
        for n, line in enumerate(data["lines"], start=1):
            table.row(
                (
                    str(n),
                    line["code"],
                    line["dossier_code"] or "",
                    line["recipient_name"],
                    str(line["originals"]),
                    str(line["copies"]),
                    vnd(line["fee_passed_on"]),
                )
            )
        totals = data["totals"]
        total_style = FontFace(family=FONT, emphasis="BOLD")
        row = table.row(style=total_style)
        row.cell(f"Tổng cộng / Total: {totals['items']} bưu gửi / items", colspan=4)
        row.cell(str(totals["originals"]))
        row.cell(str(totals["copies"]))
        row.cell(vnd(totals["fee_passed_on"]))
    pdf.ln(3)
    _line(
        pdf,
        f"Tổng số tiền chuyển giao / Total fees passed on: {vnd(totals['fee_passed_on'])} đồng (VND)",
        9.5,
    )
    _line(
        pdf,
        "Hai bên đã kiểm đếm đủ số hồ sơ, giấy tờ và tiền nêu trên. / Both parties have counted the "
        "papers and money listed above.",
        9,
    )


def _signatures(pdf: FPDF, handover: Handover, data: dict) -> None:
    if pdf.get_y() > pdf.h - 70:
        pdf.add_page()
    pdf.ln(6)
    top = pdf.get_y()
    half = (pdf.w - pdf.l_margin - pdf.r_margin) / 2
    post_side = data["postman"] or data["created_by"]
    columns = (
        ("ĐẠI DIỆN BƯU ĐIỆN", "For the post office (postman)", post_side.full_name if post_side else ""),
        ("CÁN BỘ CƠ QUAN", "Agency officer", handover.officer_name or ""),
    )
    for index, (title, subtitle, name) in enumerate(columns):
        x = pdf.l_margin + index * half
        pdf.set_xy(x, top)
        pdf.set_font(FONT, "B", 10)
        pdf.cell(half, 5.5, title, align="C", new_x=XPos.LEFT, new_y=YPos.NEXT)
        pdf.set_font(FONT, "", 8.5)
        pdf.cell(half, 4.5, subtitle, align="C", new_x=XPos.LEFT, new_y=YPos.NEXT)
        pdf.cell(
            half,
            4.5,
            "(Ký, ghi rõ họ tên / Signature and full name)",
            align="C",
            new_x=XPos.LEFT,
            new_y=YPos.NEXT,
        )
        pdf.set_xy(x + 12, top + 38)
        pdf.set_draw_color(120, 120, 120)
        pdf.line(x + 12, top + 38, x + half - 12, top + 38)
        pdf.set_xy(x, top + 39)
        pdf.set_font(FONT, "", 9.5)
        pdf.cell(half, 5, name, align="C")
