"""The link in a citizen's message (issue 15): it opens the tracking page and stands in for the last
four phone digits. The token is the first 22 characters of the unpadded base64url HMAC-SHA256 of
b"track:" + code under SECRET_KEY (the interface agreed with the notifications outbox)."""

from __future__ import annotations

import base64
import hashlib
import hmac

from flask import current_app

TOKEN_LENGTH = 22


def link_token(code: str) -> str:
    key = current_app.config["SECRET_KEY"].encode("utf-8")
    digest = hmac.new(key, b"track:" + code.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")[:TOKEN_LENGTH]


def tracking_link(item) -> str:
    """The tracking page of `item`, opened without typing the phone digits."""
    return f"{current_app.config['PUBLIC_BASE_URL']}/track/?c={item.code}&k={link_token(item.code)}"


def verify_link_token(code: str, token: str) -> bool:
    return hmac.compare_digest(link_token(code).encode(), (token or "").encode())
