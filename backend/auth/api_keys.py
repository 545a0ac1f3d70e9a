"""API keys: the machine credentials of an agency's system (docs/agency-api.md, "Keys").

A key reads `prk_<prefix>_<secret>`. Only a SHA-256 of the whole key is stored (the secret is
32 random bytes, so a slow hash adds nothing); the prefix finds the row. A key acts as its own system
account, a user of role `agency` of the key's agency with no password, so it passes the one auth
path (`auth_required`) and the one scope rule exactly as an agency officer of that agency does.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta

from flask import g
from sqlalchemy import or_, update
from sqlalchemy.orm.attributes import set_committed_value

from backend import throttle
from backend.auth.tokens import AuthError
from backend.extensions import db
from backend.models import Agency, ApiKey, User
from backend.models.base import now_utc

KEY_PREFIX = "prk_"
NO_PASSWORD = "!api-key"  # never an Argon2 hash: no password ever verifies against it


def looks_like_key(token: str) -> bool:
    return token.startswith(KEY_PREFIX)


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def create_key(agency: Agency, name: str, created_by: User | None) -> tuple[ApiKey, str]:
    """A new key for `agency` (not committed) and the key itself, to show once."""
    prefix = secrets.token_hex(4)
    key = f"{KEY_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    account = User(
        username=f"api-key-{prefix}",
        password_hash=NO_PASSWORD,
        full_name=f"{name} (API key {prefix})",
        role="agency",
        agency_id=agency.id,
    )
    row = ApiKey(
        prefix=prefix,
        secret_hash=_digest(key),
        name=name,
        agency=agency,
        user=account,
        created_by_id=created_by.id if created_by is not None else None,
    )
    db.session.add_all([account, row])
    return row, key


def revoke_key(row: ApiKey) -> None:
    """Refuse the key from its next request on (its system account is disabled too)."""
    if row.revoked_at is None:
        row.revoked_at = now_utc()
        row.user.active = False


def authenticate_key(key: str) -> User:
    """The system account a key acts as; 401 for an unknown or revoked key, 429 over its rate."""
    _, _, rest = key.partition(KEY_PREFIX)
    prefix = rest.partition("_")[0]
    found = db.session.execute(
        db.select(ApiKey, User).join(User, User.id == ApiKey.user_id).where(ApiKey.prefix == prefix)
    ).first()
    if found is None or not hmac.compare_digest(found[0].secret_hash, _digest(key)):
        raise AuthError("invalid-api-key", "The API key is unknown. / Khóa API không hợp lệ.")
    row, account = found
    if row.revoked_at is not None or not account.active:
        raise AuthError(
            "api-key-revoked",
            "This API key was revoked by an administrator. / Khóa API này đã bị quản trị viên thu hồi.",
        )
    wait = throttle.take("API_KEY_RATE_LIMIT", "api-key", prefix)
    if wait is not None:
        raise throttle.refusal(
            "too-many-requests",
            "Too many requests with this API key; try again later. "
            "/ Khóa API này gửi quá nhiều yêu cầu; vui lòng thử lại sau.",
            wait,
        )
    g.api_key = row
    _note_use(row)
    return account


LAST_USED_EVERY = timedelta(minutes=1)  # `last_used_at` is at most this stale


def _note_use(row: ApiKey) -> None:
    """Record when the key was last used, cheaply: at most once a minute per key, in a short
    transaction of its own (a request that fails or only reads still counts as a use), and a
    conditional UPDATE so that concurrent requests write it once."""
    now = now_utc()
    if row.last_used_at is not None and now - row.last_used_at < LAST_USED_EVERY:
        return
    stale = or_(ApiKey.last_used_at.is_(None), ApiKey.last_used_at < now - LAST_USED_EVERY)
    with db.engine.begin() as connection:
        connection.execute(update(ApiKey).where(ApiKey.id == row.id, stale).values(last_used_at=now))
    set_committed_value(row, "last_used_at", now)  # the request's session sees it, with nothing to flush


def current_api_key() -> ApiKey | None:
    """The key of this request, or None when a person signed in."""
    return g.get("api_key")
