"""Secrets the server must read back (a webhook endpoint's signing secret), sealed at rest.

Fernet (AES-128-CBC + HMAC-SHA256, from `cryptography`) under a key derived from the setting
WEBHOOK_SECRET_KEY (SECRET_KEY when unset). A sealed value reads "fernet:" + the token, so a
database dump shows no secret. Key rotation (docs/security.md, "Webhook secrets"): set the new key
in WEBHOOK_SECRET_KEY and the old one in WEBHOOK_SECRET_OLD_KEYS (comma-separated); values sealed
under an old key still open; `flask --app wsgi webhooks rekey` seals every row under the new key,
after which the old key can go.
"""

from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

PREFIX = "fernet:"


def _fernet(key: str) -> Fernet:
    # Any string of 32+ characters: a Fernet key of its own is derived from it (domain-separated).
    digest = hashlib.sha256(b"postround-webhook-secret\x00" + key.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def box(current: str, old: list[str] | tuple[str, ...] = ()) -> MultiFernet:
    return MultiFernet([_fernet(current), *(_fernet(k) for k in old if k)])


def box_of(config) -> MultiFernet:
    return box(config["WEBHOOK_SECRET_KEY"], config.get("WEBHOOK_SECRET_OLD_KEYS", ()))


def seal(fernet: MultiFernet, secret: str) -> str:
    return PREFIX + fernet.encrypt(secret.encode()).decode()


def is_sealed(value: str) -> bool:
    return value.startswith(PREFIX)


def open_sealed(fernet: MultiFernet, value: str) -> str:
    if not is_sealed(value):
        raise ValueError("not a sealed value")
    try:
        return fernet.decrypt(value.removeprefix(PREFIX).encode()).decode()
    except InvalidToken:
        raise ValueError(
            "a sealed secret does not open with WEBHOOK_SECRET_KEY or WEBHOOK_SECRET_OLD_KEYS"
        ) from None


def reseal(fernet: MultiFernet, value: str) -> str:
    """The value sealed under the current key (a clear one is sealed too)."""
    if not is_sealed(value):
        return seal(fernet, value)
    return PREFIX + fernet.rotate(value.removeprefix(PREFIX).encode()).decode()
