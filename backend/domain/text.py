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


def search_text(parts: list[str | None], phone: str | None = None) -> str:
    """The folded text a row is searched by: its parts, plus the phone's digits run together, so
    '0912345678' finds '0912 345 678' (and the spaced form finds it too). At most 1,000 characters."""
    digits = "".join(ch for ch in phone or "" if ch.isdigit())
    return fold(" ".join(p for p in [*parts, digits] if p))[:1000]


def phone_digits(phone: str | None) -> str | None:
    """A phone number's digits in the national form the search box looks up: '+84 912 345 678',
    '0912.345.678' and '0912345678' are all '0912345678'. None when it has no digits."""
    digits = "".join(ch for ch in phone or "" if ch.isdigit())
    if digits.startswith("84") and len(digits) in (11, 12):
        digits = "0" + digits[2:]
    return digits[:20] or None
