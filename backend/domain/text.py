"""Vietnamese text helpers: NFC normalisation and diacritic-free folding for search."""

from __future__ import annotations

import unicodedata


def nfc(value: str) -> str:
    """NFC-normalised, trimmed text; Vietnamese input methods emit both NFC and NFD."""
    return unicodedata.normalize("NFC", value).strip()


def fold(value: str) -> str:
    """Lower-case text without diacritics, so 'Mong Thọ' and 'mong tho' match.

    đ/Đ is a separate letter in Unicode (not d + a mark), so it is mapped by hand.
    """
    decomposed = unicodedata.normalize("NFD", value.replace("đ", "d").replace("Đ", "D"))
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(stripped.lower().split())
