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
    "bad-cursor",  # the agency's system's change feed (GET /api/agency/changes)
    "cursor-expired",  # the same feed, a cursor older than its retention
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


def _placeholders(path: str) -> dict[str, set[str]]:
    """problem code -> the {names} its Vietnamese or English words use, in a strings file."""
    text = (ROOT / path).read_text(encoding="utf-8")
    entry = re.compile(r"""['"]problem\.([a-z0-9-]+)['"]\s*:\s*((?:'(?:[^'\\]|\\.)*'\s*)+)""")
    found: dict[str, set[str]] = {}
    for code, words in entry.findall(text):
        found.setdefault(code, set()).update(re.findall(r"\{(\w+)\}", words))
    return found


def _sites() -> list[tuple[str, int, str, set[str]]]:
    """Every place a problem of a literal code is raised (DomainError, commit_unique): file, line,
    code and the parameters it sends."""
    import ast

    sites = []
    for path in [*ROOT.glob("backend/**/*.py"), *ROOT.glob("sync/**/*.py")]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "id", getattr(node.func, "attr", None))
            keywords = {k.arg: k.value for k in node.keywords}
            if name == "DomainError" and node.args and isinstance(node.args[0], ast.Constant):
                code = node.args[0].value
            elif name == "commit_unique" and isinstance(keywords.get("kind"), ast.Constant):
                code = keywords["kind"].value
            else:
                continue
            # backend/errors.py: `params`, the scalar members of `extra`, and `fields` from `errors`.
            keys = {
                key.value
                for member in ("params", "extra")
                if isinstance(keywords.get(member), ast.Dict)
                for key in keywords[member].keys
                if isinstance(key, ast.Constant)
            } | ({"fields"} if "errors" in keywords else set())
            sites.append((str(path.relative_to(ROOT)), node.lineno, code, keys))
    return sites


def test_every_parameter_the_dashboards_words_use_is_sent_by_every_place_that_raises_it():
    """A "{limit}" in the words of a problem must come with the problem from wherever it is raised,
    or the supervisor reads "{limit}" (issue 13, point 10: the words use the problem's parameters)."""
    used: dict[str, set[str]] = {}
    for path in ("dashboard/src/strings.js", "web/common/i18n.js"):
        for code, names in _placeholders(path).items():
            used.setdefault(code, set()).update(names)
    assert used["round-changed"] >= {"round_id", "version"}  # the scan reads the words
    missing = [
        f"{path}:{line} {code} lacks {sorted(used[code] - keys)}"
        for path, line, code, keys in _sites()
        if code in used and used[code] - keys
    ]
    assert missing == []
