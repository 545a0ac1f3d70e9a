"""Protocol constants and the cursor format."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from backend.domain.rules import DomainError

PROTOCOL_VERSION = 1
SUPPORTED_PROTOCOLS = frozenset({1})
# Mutation payload versions this server still accepts: a queued mutation written by
# the previous app version must sync after an update. v2 (PWA 1.1): cash taken needs a receipt
# number (RECEIPT_REQUIRED_FROM); v1 proofs without one are still accepted.
SUPPORTED_MUTATION_VERSIONS = frozenset({1, 2})
RECEIPT_REQUIRED_FROM = 2
PROTOCOL_HEADER = "X-PostRound-Protocol"
APP_VERSION_HEADER = "X-PostRound-App"

APPLIED, DUPLICATE, REJECTED = "applied", "duplicate", "rejected"

_CURSOR = re.compile(r"^1\.(\d{1,18})\.(\d{1,18})\.(\d{1,18})\.(\d{8})$")


def check_protocol(value: str | int | None) -> int:
    """The protocol a request speaks; an unsupported one is refused clearly."""
    if value is None or value == "":
        return PROTOCOL_VERSION
    try:
        version = int(value)
    except (TypeError, ValueError):
        version = -1
    if version not in SUPPORTED_PROTOCOLS:
        raise DomainError(
            "unsupported-protocol",
            f"Sync protocol {value!r} is not supported; this server speaks "
            f"{sorted(SUPPORTED_PROTOCOLS)}. Update the app.",
            status=400,
            errors={"protocol": [f"Supported: {sorted(SUPPORTED_PROTOCOLS)}"]},
        )
    return version


@dataclass(frozen=True)
class Cursor:
    """Where a phone is in the change feed.

    from_seq: changes above this are new to the phone (0: send everything in scope).
    snapshot: while paging, the sequence the pages are cut at (0: not paging).
    after_id: while paging, the last item id sent.
    scope_day: the local day the scope was computed for; a new day means a fresh start.
    """

    from_seq: int = 0
    snapshot: int = 0
    after_id: int = 0
    scope_day: date | None = None

    def encode(self) -> str:
        day = (self.scope_day or date(1970, 1, 1)).strftime("%Y%m%d")
        return f"1.{self.from_seq}.{self.snapshot}.{self.after_id}.{day}"

    @classmethod
    def decode(cls, text: str | None) -> Cursor:
        if not text:
            return cls()
        match = _CURSOR.match(text)
        if not match:
            raise DomainError(
                "invalid-cursor",
                "The cursor is malformed; pull again without one.",
                status=400,
                errors={"cursor": ["Not a cursor this server issued."]},
            )
        from_seq, snapshot, after_id, day = match.groups()
        try:
            scope_day = date(int(day[:4]), int(day[4:6]), int(day[6:]))
        except ValueError:
            raise DomainError(
                "invalid-cursor", "The cursor is malformed; pull again without one.", status=400
            ) from None
        return cls(int(from_seq), int(snapshot), int(after_id), scope_day)
