"""A handover record (biên bản bàn giao) as data and as a printable A4 PDF.

The PDF: bilingual headings (Vietnamese first), the parties, a table of the items with
originals, copies and the fees passed on, totals, signature lines for the postman and the
agency officer, and a QR code holding the record's id and a verification hash (an HMAC of
its content under the server's secret key), so a printed copy can be checked against the
database. The page, fonts and marks are backend/services/printing.py's, shared with the run
sheets and labels.
"""

from __future__ import annotations

import hashlib
import hmac

from flask import current_app
from fpdf import FPDF
from fpdf.enums import XPos, YPos
from fpdf.fonts import FontFace
from sqlalchemy import func

from backend.domain.status import Direction, Outcome
from backend.domain.vocabulary import bilingual
from backend.extensions import db
from backend.models import DeliveryAttempt, Handover, PostOffice, User
from backend.services import printing
from backend.services.printing import FONT, line, vnd
from backend.timeutil import local_zone

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
        "seal_number": handover.seal_number,
        "attachments": handover.attachments,
        "flag_reason": handover.flag_reason,
        "source": "phone" if handover.client_mutation_id else "dashboard",
        "status": handover.status,
        "signed_at": handover.signed_at,
        "signer_name": handover.signer_name,
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


# Rendering -------------------------------------------------------------------------------------------


def return_reasons(handover: Handover) -> dict[int, str]:
    """Why each result on a post-to-agency record came back undelivered: the reason of its last
    failed attempt, in both languages, with the number of visits ("Vắng nhà / Not home, 2 lần phát")."""
    if handover.direction != "post_to_agency":
        return {}
    items = {line.item_id: line.item for line in handover.lines if line.item.direction == Direction.RETURN}
    if not items:
        return {}
    latest = (
        db.select(func.max(DeliveryAttempt.id))
        .where(DeliveryAttempt.item_id.in_(items), DeliveryAttempt.outcome == Outcome.FAILED.value)
        .group_by(DeliveryAttempt.item_id)
    )
    rows = db.session.execute(
        db.select(DeliveryAttempt.item_id, DeliveryAttempt.reason_code).where(DeliveryAttempt.id.in_(latest))
    ).all()
    reasons = {}
    for item_id, code in rows:
        said = bilingual("reason", code) if code else ""
        visits = items[item_id].attempt_count
        reasons[item_id] = f"{said}, {visits} lần phát / visits" if visits else said
    return reasons


def render(handover: Handover) -> bytes:
    """The printable record (A4 portrait)."""
    data = view(handover)
    pdf = printing.document(
        f"Biên bản bàn giao {data['number']}",
        footer=f"{data['number']} · Mã xác thực / Verification: {data['verification']}",
    )
    pdf.set_creation_date(handover.created_at)
    pdf.add_page()
    office = db.session.get(PostOffice, handover.office_id) if handover.office_id else None
    _header(pdf, handover, data, office)
    _parties(pdf, handover, data, office)
    _lines_table(pdf, data, return_reasons(handover))
    _signatures(pdf, handover, data)
    return bytes(pdf.output())


def _header(pdf: FPDF, handover: Handover, data: dict, office: PostOffice | None) -> None:
    top = pdf.get_y()
    pdf.set_font(FONT, "B", 9)
    name = office.name.upper() if office else "BƯU ĐIỆN — BƯU CHÍNH CÔNG ÍCH"
    pdf.multi_cell(80, 5, name, new_x=XPos.LEFT, new_y=YPos.NEXT)
    pdf.set_font(FONT, "", 8)
    pdf.cell(80, 4.5, "Bưu chính công ích / Public postal service", new_x=XPos.LEFT, new_y=YPos.NEXT)
    pdf.cell(80, 4.5, f"Số / No.: {data['number']}")
    pdf.set_xy(90, top)
    pdf.set_font(FONT, "B", 9)
    pdf.cell(85, 5, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", align="C", new_x=XPos.LEFT, new_y=YPos.NEXT)
    pdf.set_font(FONT, "", 8.5)
    pdf.cell(85, 4.5, "Độc lập - Tự do - Hạnh phúc", align="C", new_x=XPos.LEFT, new_y=YPos.NEXT)
    pdf.image(printing.qr_png(qr_payload(handover)), x=pdf.w - pdf.r_margin - 26, y=top - 2, w=26, h=26)
    pdf.set_xy(pdf.l_margin, top + 27)
    line(pdf, "BIÊN BẢN BÀN GIAO", 15, "B", "C", 7)
    line(pdf, "HANDOVER RECORD", 10.5, "B", "C", 5.5)
    vi, en = DIRECTION_TEXT[handover.direction]
    line(pdf, f"{vi} / {en}", 9.5, "", "C")
    made = handover.created_at.astimezone(local_zone())
    line(pdf, f"Lập lúc / Made on: {made:%H:%M, %d/%m/%Y}", 9.5, "", "C")
    if handover.signed_at is not None:
        signed = handover.signed_at.astimezone(local_zone())
        line(
            pdf,
            f"Hai bên đã ký điện tử lúc / Signed electronically by both sides at: {signed:%H:%M:%S, %d/%m/%Y}",
            9.5,
            "B",
            "C",
        )
    elif handover.status == "withdrawn":
        line(pdf, "ĐÃ RÚT LẠI, KHÔNG CÓ GIÁ TRỊ / WITHDRAWN, NOT VALID", 10, "B", "C")
    elif handover.status != "signed":
        line(pdf, "CHƯA ĐỦ CHỮ KÝ HAI BÊN / NOT YET SIGNED BY BOTH SIDES", 10, "B", "C")
    pdf.ln(2)


def _parties(pdf: FPDF, handover: Handover, data: dict, office: PostOffice | None) -> None:
    """Each side by its own name and address: the agency and the post office."""
    agency = handover.agency
    post_side = data["postman"] or data["created_by"]
    role = "bưu tá / postman" if data["postman"] else "người lập / made by"
    if post_side is not None and post_side.role == "agency":  # an officer's record: the post signs second
        post_side, role = None, "người ký / signed by"
    agency_side = (
        agency.name,
        printing.address(agency.address, agency.commune, agency.province),
        f"cán bộ / officer {handover.officer_name or ''}",
    )
    post = (
        office.name if office else "Bưu điện / Post office",
        (office.address or "") if office else "",
        f"{role} {post_side.full_name if post_side else handover.signer_name or ''}",
    )
    sides = (agency_side, post) if handover.direction == "agency_to_post" else (post, agency_side)
    for heading, (name, where, person) in zip(
        ("Bên giao / Handed over by", "Bên nhận / Received by"), sides, strict=True
    ):
        line(pdf, f"{heading}: {name}", style="B")
        if where:
            line(pdf, f"    Địa chỉ / Address: {where}", 9.5)
        line(pdf, f"    Đại diện / Represented by: {person}", 9.5)
    if handover.result_ready_date:
        line(pdf, f"Ngày hẹn trả kết quả / Results ready on: {handover.result_ready_date:%d/%m/%Y}")
    if handover.seal_number:
        line(pdf, f"Số niêm phong / Seal number: {handover.seal_number}")
    if handover.signed_at is not None or handover.status != "signed":
        line(
            pdf,
            "Biên bản điện tử, ký trên màn hình / An electronic record signed on screen"
            + (f" — ký sau / signed second by: {handover.signer_name}" if handover.signer_name else ""),
            9.5,
        )
    elif any(link.kind == "signature" for link in handover.attachments):
        line(
            pdf,
            "Có chữ ký điện tử của cán bộ (ký trên máy bưu tá) / The officer signed on the postman's phone",
            9.5,
        )
    if handover.note:
        line(pdf, f"Ghi chú / Note: {handover.note}")
    pdf.ln(2)


def _lines_table(pdf: FPDF, data: dict, reasons: dict[int, str]) -> None:
    pdf.set_font(FONT, "", 8)
    headings = (
        "STT\nNo.",
        "Mã bưu gửi\nItem code",
        "Số hồ sơ\nDossier",
        "Người nhận / nộp\nCitizen",
        "Thủ tục\nProcedure",
        "Bản chính\nOriginals",
        "Bản sao\nCopies",
        "Phí chuyển giao (đ)\nFee passed on",
    )
    heading_style = FontFace(family=FONT, emphasis="BOLD", fill_color=(230, 230, 230))
    with pdf.table(
        col_widths=(9, 27, 27, 30, 41, 16, 14, 26),
        headings_style=heading_style,
        line_height=4.6,
        text_align=("CENTER", "LEFT", "LEFT", "LEFT", "LEFT", "RIGHT", "RIGHT", "RIGHT"),
    ) as table:
        table.row(headings)
        for n, row in enumerate(data["lines"], start=1):
            procedure = row["procedure"]
            if row["item_id"] in reasons:
                procedure += f"\nTrả lại, không phát được / Returned undelivered: {reasons[row['item_id']]}"
            table.row(
                (
                    str(n),
                    row["code"],
                    row["dossier_code"] or "",
                    row["recipient_name"],
                    procedure,
                    str(row["originals"]),
                    str(row["copies"]),
                    vnd(row["fee_passed_on"]),
                )
            )
        totals = data["totals"]
        total_style = FontFace(family=FONT, emphasis="BOLD")
        total = table.row(style=total_style)
        total.cell(f"Tổng cộng / Total: {totals['items']} bưu gửi / items", colspan=5)
        total.cell(str(totals["originals"]))
        total.cell(str(totals["copies"]))
        total.cell(vnd(totals["fee_passed_on"]))
    pdf.ln(3)
    line(
        pdf,
        f"Tổng số tiền chuyển giao / Total fees passed on: {vnd(totals['fee_passed_on'])} đồng (VND)",
        9.5,
    )
    line(
        pdf,
        "Hai bên đã kiểm đếm đủ số hồ sơ, giấy tờ và tiền nêu trên. / Both parties have counted the "
        "papers and money listed above.",
        9,
    )


def _signatures(pdf: FPDF, handover: Handover, data: dict) -> None:
    if pdf.get_y() > pdf.h - 76:
        pdf.add_page()
    pdf.ln(4)
    agency = handover.agency
    made = handover.created_at.astimezone(local_zone()).date()
    half = (pdf.w - pdf.l_margin - pdf.r_margin) / 2
    pdf.set_x(pdf.l_margin + half)
    pdf.set_font(FONT, "", 9.5)
    pdf.cell(half, 5, printing.dated_at(agency.commune or agency.province, made), align="C")
    pdf.ln(7)
    top = pdf.get_y()
    post_side = data["postman"] or data["created_by"]
    post_name = post_side.full_name if post_side else ""
    if handover.created_by_id is not None and data["created_by"] and data["created_by"].role == "agency":
        post_name = handover.signer_name or ""  # an officer's record: the post office signs second
    columns = (
        ("ĐẠI DIỆN BƯU ĐIỆN", "For the post office (postman)", post_name),
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
