"""UPU S10 item identifiers, e.g. RR123456785VN."""

from __future__ import annotations

import re

_S10 = re.compile(r"^([A-Z]{2})(\d{8})(\d)([A-Z]{2})$")
# The shape in JSON Schema terms (the check digit is verified on top; surrounding space is trimmed).
S10_PATTERN = r"^\s*[A-Za-z]{2}[0-9]{9}[A-Za-z]{2}\s*$"
_WEIGHTS = (8, 6, 4, 2, 3, 5, 9, 7)


def check_digit(serial: str) -> int:
    """The S10 check digit of an 8-digit serial number."""
    if len(serial) != 8 or not serial.isdigit():
        raise ValueError("serial must be 8 digits")
    remainder = 11 - sum(int(d) * w for d, w in zip(serial, _WEIGHTS, strict=True)) % 11
    return {10: 0, 11: 5}.get(remainder, remainder)


_SHAPE = {
    "en": "must be 2 letters, 8 digits, a check digit and a 2-letter country code (e.g. RR123456785VN)",
    "vi": "phải gồm 2 chữ cái, 8 chữ số, 1 số kiểm tra và 2 chữ cái mã quốc gia (ví dụ RR123456785VN)",
}
_DIGIT = {
    "en": "check digit is {digit} but should be {expected}",
    "vi": "số kiểm tra là {digit} nhưng phải là {expected}",
}


def _problem(code: str, lang: str) -> str | None:
    match = _S10.match(code)
    if not match:
        return _SHAPE[lang]
    _, serial, digit, _ = match.groups()
    expected = check_digit(serial)
    if int(digit) != expected:
        return _DIGIT[lang].format(digit=digit, expected=expected)
    return None


def s10_problem(code: str) -> str | None:
    """Why `code` is not a valid S10 identifier, or None when it is."""
    return _problem(code, "en")


def s10_problem_vi(code: str) -> str | None:
    """`s10_problem` in Vietnamese: why `code` is not a valid S10 identifier, or None when it is."""
    return _problem(code, "vi")


def make_s10(prefix: str, serial: int, country: str = "VN") -> str:
    """Compose a valid S10 identifier from a prefix and a serial number."""
    digits = f"{serial:08d}"
    return f"{prefix}{digits}{check_digit(digits)}{country}"
