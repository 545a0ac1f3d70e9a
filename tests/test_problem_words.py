"""Every refusal a supervisor can meet is worded on the dashboard in both languages, from its code
(issue 13, point 10: no English tails, no server `detail` shown in Vietnamese).

The codes are read from the source, so a new `DomainError` kind without words fails here. The
phone's own sync and upload codes are the phone's to word (mobile_pwa); they are listed below.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
KIND = re.compile(r'DomainError\(\s*(?:kind=)?"([a-z0-9-]+)"')
# Met only by a phone's sync and uploads (or an agency's system), never by a dashboard page.
PHONE_ONLY = {
    "api-key-not-a-person",
    "attachment-too-large",
    "bad-content-range",
    "bad-digest",
    "blank-signature",
    "chunk-out-of-range",
    "device-belongs-to-another-user",
    "device-required",
    "hash-mismatch",
    "invalid-cursor",
    "offset-mismatch",
    "part-too-large",
    "unsupported-protocol",
    "upload-quota-exceeded",
}


def _codes() -> set[str]:
    sources = [*ROOT.glob("backend/**/*.py"), *ROOT.glob("sync/**/*.py")]
    return {kind for path in sources for kind in KIND.findall(path.read_text(encoding="utf-8"))}


def _words(path: str) -> tuple[set[str], set[str]]:
    """The problem codes worded in a strings file's Vietnamese and English tables."""
    text = (ROOT / path).read_text(encoding="utf-8")
    vi, en = re.split(r"\n(?:const |  )en[ :=]+\{", text, maxsplit=1)
    key = re.compile(r"""['"]problem\.([a-z0-9-]+)['"]\s*:""")
    return set(key.findall(vi)), set(key.findall(en))


def test_every_refusal_a_supervisor_can_meet_has_words_in_both_languages():
    codes = _codes()
    assert len(codes) > 50 and "round-changed" in codes  # the scan finds the codes
    vi, en = (
        a | b for a, b in zip(_words("dashboard/src/strings.js"), _words("web/common/i18n.js"), strict=True)
    )
    assert sorted(codes - PHONE_ONLY - vi) == []
    assert sorted(codes - PHONE_ONLY - en) == []
    assert codes >= PHONE_ONLY  # the list names real codes only
