"""The JavaScript modules written from the domain's definitions for the web apps, written one way.

backend/domain/vocabulary.py writes web/common/vocabulary.js and backend/domain/vietqr.py writes
mobile_pwa/src/vietqr_spec.js (scripts/setup.sh runs both before the front-end builds); each module's
text is `js_module` and its `main` is `write_generated`, with its own header, value and file.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def js_module(header: str, name: str, value: str) -> str:
    """The text of a module that exports `name` = `value` (JavaScript), after `header` (its comment lines)."""
    return f"{header}export const {name} = {value}\n"


def write_generated(argv: list[str], default: Path, render: Callable[[], str]) -> int:
    """Write `render()` to argv[1] (else `default`) when the file differs; the exit status (0).
    An unchanged file is left alone, so a build does not see it as new."""
    target = Path(argv[1]) if len(argv) > 1 else default
    text = render()
    if not target.exists() or target.read_text(encoding="utf-8") != text:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        print(f"{Path(argv[0]).stem}: wrote {target}")
    return 0
