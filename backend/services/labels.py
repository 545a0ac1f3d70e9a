"""Item labels: ten to an A4 sheet, each with the S10 code as a Code 128 barcode and as a QR code.

The phone's scanner reads either (mobile_pwa/src/scan.js: Code 128 and QR, the code found in the
text); the QR holds the code alone, so any scanner shows it. Each label also carries the code in
print, the recipient, the address, the phone, the procedure and the agency. Labels follow the
order asked for (a round's: its visiting order). The page is backend/services/printing.py's.
"""

from __future__ import annotations

from fpdf.enums import XPos, YPos

from backend.models import Item
from backend.services import printing
from backend.services.printing import FONT
from backend.services.run_sheet import word

COLUMNS, ROWS = 2, 5
WIDTH, HEIGHT = 97.0, 54.0  # mm, on an A4 sheet with 8 mm margins
MARGIN = 8.0


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def render(items: list[Item], lang: str = "vi") -> bytes:
    pdf = printing.document("Nhãn bưu gửi / Item labels", footer=f"{len(items)} nhãn / labels", margin=MARGIN)
    pdf.set_auto_page_break(auto=False)
    per_page = COLUMNS * ROWS
    for index, item in enumerate(items):
        if index % per_page == 0:
            pdf.add_page()
        spot = index % per_page
        x = MARGIN + (spot % COLUMNS) * WIDTH
        y = MARGIN + (spot // COLUMNS) * HEIGHT
        _label(pdf, item, x, y, lang)
    if not items:
        pdf.add_page()
    return bytes(pdf.output())


def _label(pdf, item: Item, x: float, y: float, lang: str) -> None:
    pdf.set_draw_color(170, 170, 170)
    pdf.set_dash_pattern(dash=1, gap=1)
    pdf.rect(x, y, WIDTH, HEIGHT)
    pdf.set_dash_pattern()
    text_width = WIDTH - 34
    pdf.set_xy(x + 3, y + 3)
    pdf.set_font(FONT, "", 7)
    pdf.cell(
        text_width,
        3.5,
        _short(f"{word('direction', item.direction, lang)} · {item.procedure.name}", 60),
        new_x=XPos.LEFT,
        new_y=YPos.NEXT,
    )
    pdf.set_font(FONT, "B", 10.5)
    pdf.cell(text_width, 5.5, _short(item.recipient_name, 34), new_x=XPos.LEFT, new_y=YPos.NEXT)
    pdf.set_font(FONT, "", 8)
    where = printing.address(item.address_line, item.commune, item.province)
    pdf.multi_cell(text_width, 3.8, _short(where, 110), align="L", new_x=XPos.LEFT, new_y=YPos.NEXT)
    if item.recipient_phone:
        pdf.cell(text_width, 4, f"ĐT / Tel: {item.recipient_phone}", new_x=XPos.LEFT, new_y=YPos.NEXT)
    pdf.image(printing.qr_png(item.code, box_size=8), x=x + WIDTH - 29, y=y + 3, w=26, h=26)
    pdf.set_xy(x + WIDTH - 31, y + 29.5)
    pdf.set_font(FONT, "", 6.5)
    pdf.multi_cell(30, 3, _short(item.agency.name, 60), align="C")
    printing.code128(pdf, item.code, x + 3, y + HEIGHT - 19, WIDTH - 36, 12)
    pdf.set_xy(x + 3, y + HEIGHT - 6.5)
    pdf.set_font(FONT, "B", 10)
    pdf.cell(WIDTH - 36, 4.5, item.code, align="C")
