"""The link a message gives a citizen: their item's tracking page, signed so the code alone opens it.

Agreed interface (the `citizen` branch builds /track on it): the token is the first 22 characters of
base64url(HMAC-SHA256(key=SECRET_KEY, msg=b"track:" + code)) without padding; checked in constant time.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

from flask import current_app

TOKEN_LENGTH = 22


def _token(code: str) -> str:
    key = current_app.config["SECRET_KEY"].encode("utf-8")
    digest = hmac.new(key, b"track:" + code.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")[:TOKEN_LENGTH]


def tracking_link(item) -> str:
    """`{PUBLIC_BASE_URL}/track/?c={code}&k={token}` for `item` (anything with a `code`)."""
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    return f"{base}/track/?c={item.code}&k={_token(item.code)}"


def verify_link_token(code: str, token: str) -> bool:
    """Whether `token` is the link token of `code` (constant-time)."""
    return hmac.compare_digest(_token(code).encode(), (token or "").encode())
