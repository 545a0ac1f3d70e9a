"""What every printed page of PostRound shares: the fonts, the page, the words and the marks.

The handover record (handover_pdf), the round's run sheet (run_sheet) and the item labels
(labels) all start from `document()`: an A4 fpdf2 document with a Unicode TTF that has the
Vietnamese letters (DejaVu Sans by default, Debian package fonts-dejavu-core; PDF_FONT_PATH /
PDF_FONT_BOLD_PATH to change), a footer with the page number, and these helpers: `line()` for a
paragraph, `vnd()` for money, `address()` for an address without a part said twice, `dated_at()`
for the "…, ngày … tháng … năm …" line, `qr_png()` for a QR code and `code128()` for a Code 128
barcode drawn as vector bars (python-barcode encodes, fpdf2 draws).
"""

from __future__ import annotations

import io
import os
from datetime import date

import qrcode
from barcode import Code128
from flask import current_app
from fpdf import FPDF
from fpdf.enums import XPos, YPos

from backend.domain.rules import DomainError
from backend.domain.text import fold

FONT = "PostRoundSans"
LANGUAGES = ("vi", "en")


class Document(FPDF):
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
                f"The PDF font {path} is missing, so nothing can be printed. "
                "Install the Debian package fonts-dejavu-core, or set PDF_FONT_PATH and "
                "PDF_FONT_BOLD_PATH to TrueType fonts with Vietnamese letters. / "
                f"Thiếu phông chữ PDF {path} nên chưa in được.",
                status=503,
            )
    return regular, bold


def document(title: str, footer: str = "", orientation: str = "P", margin: float = 18) -> Document:
    """A new A4 document with the Vietnamese font registered (503 `pdf-font-missing` without it)."""
    regular, bold = _font_paths()
    pdf = Document(orientation=orientation, unit="mm", format="A4")
    pdf.footer_text = footer
    pdf.set_title(title)
    pdf.set_author("PostRound")
    pdf.add_font(FONT, "", regular)
    pdf.add_font(FONT, "B", bold)
    pdf.set_auto_page_break(auto=True, margin=margin)
    return pdf


def line(
    pdf: FPDF, text: str, size: float = 10, style: str = "", align: str = "L", height: float = 5.5
) -> None:
    pdf.set_font(FONT, style, size)
    pdf.multi_cell(0, height, text, align=align, new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def vnd(amount: int) -> str:
    """Vietnamese grouping: 1.250.000."""
    return f"{amount:,}".replace(",", ".")


def address(*parts: str | None) -> str:
    """The parts joined with commas, leaving out a part the address already says
    ("Ấp 3, xã Châu Thành, An Giang" + "Châu Thành" + "An Giang" is said once)."""
    kept: list[str] = []
    for part in parts:
        part = (part or "").strip()
        if part and fold(part) not in fold(", ".join(kept)):
            kept.append(part)
    return ", ".join(kept)


def dated_at(place: str | None, day: date) -> str:
    """The line above the signatures: "Châu Thành, ngày 05 tháng 12 năm 2026"."""
    where = f"{place}, " if place else ""
    return f"{where}ngày {day:%d} tháng {day:%m} năm {day:%Y}"


def pick(lang: str, vi: str, en: str) -> str:
    """Vietnamese always; the English after it when the reader's language is English."""
    return f"{vi} / {en}" if lang == "en" else vi


def qr_png(payload: str, box_size: int = 6) -> io.BytesIO:
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=box_size, border=2)
    code.add_data(payload)
    code.make(fit=True)
    buffer = io.BytesIO()
    code.make_image().save(buffer)
    buffer.seek(0)
    return buffer


def code128(pdf: FPDF, text: str, x: float, y: float, w: float, h: float) -> None:
    """`text` as a Code 128 barcode filling the box (quiet zones of ten modules on both sides)."""
    modules = Code128(text).build()[0]
    module = w / (len(modules) + 20)
    pdf.set_fill_color(0, 0, 0)
    start = None
    for index, bit in enumerate(modules + "0"):
        if bit == "1" and start is None:
            start = index
        elif bit == "0" and start is not None:
            pdf.rect(x + (10 + start) * module, y, (index - start) * module, h, style="F")
            start = None
