"""ID numbers (CCCD, passport) are personal data (Decree 13/2023): never stored or logged in clear.

The phone sends the number so the server can mask it and keep a keyed hash (for matching a
receiver across proofs, never for reading it back). Everything that is stored (the proof, the
sync ledger's copy of the mutation, its outcome, audit entries) goes through here first.
See docs/security.md, "Personal data".
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from flask import current_app

# Fields that carry an ID number, wherever they appear in a mutation.
SECRET_FIELDS = frozenset({"id_number"})
VISIBLE_DIGITS = 3


def mask_id_number(number: str) -> str:
    return "*" * max(len(number) - VISIBLE_DIGITS, 0) + number[-VISIBLE_DIGITS:]


def hash_id_number(number: str) -> tuple[str, str]:
    """(keyed hash, key id): HMAC-SHA256 under ID_HASH_KEY, a key of its own (not the token key)."""
    key = current_app.config["ID_HASH_KEY"].encode()
    digest = hmac.new(key, number.strip().upper().encode(), hashlib.sha256).hexdigest()
    return digest, current_app.config["ID_HASH_KEY_ID"]


def secrets_in(value: Any) -> set[str]:
    """The clear ID numbers found under SECRET_FIELDS anywhere in `value`."""
    found: set[str] = set()
    if isinstance(value, dict):
        for key, inner in value.items():
            if key in SECRET_FIELDS and isinstance(inner, str | int | float) and not isinstance(inner, bool):
                if str(inner).strip():
                    found.add(str(inner).strip())
            else:
                found |= secrets_in(inner)
    elif isinstance(value, list):
        for inner in value:
            found |= secrets_in(inner)
    return found


def scrub(value: Any, secrets: set[str]) -> Any:
    """A copy of `value` with every secret field masked and every clear occurrence of a secret
    (in a note, an error message, a key) replaced by its masked form."""
    ordered = sorted(secrets, key=len, reverse=True)

    def text(s: str) -> str:
        for secret in ordered:
            if len(secret) > VISIBLE_DIGITS and secret in s:
                s = s.replace(secret, mask_id_number(secret))
        return s

    def walk(inner: Any) -> Any:
        if isinstance(inner, dict):
            return {
                text(k) if isinstance(k, str) else k: (_masked(v) if k in SECRET_FIELDS else walk(v))
                for k, v in inner.items()
            }
        if isinstance(inner, list):
            return [walk(v) for v in inner]
        if isinstance(inner, str):
            return text(inner)
        return inner

    return walk(value)


def _masked(value: Any) -> Any:
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str | int | float):
        return mask_id_number(str(value).strip())
    return "[redacted]"


def redact_for_ledger(raw: Any, outcome: dict) -> tuple[Any, dict]:
    """What the sync ledger may keep of a mutation and of the outcome sent back: the mutation as
    received, with ID numbers masked (its keyed hash is on the proof)."""
    secrets = secrets_in(raw)
    return scrub(raw, secrets), scrub(outcome, secrets)
