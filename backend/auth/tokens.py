"""Short-lived JWT access tokens and rotating, revocable refresh tokens."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

import jwt
from flask import current_app
from sqlalchemy import update

from backend.domain.rules import DomainError
from backend.extensions import db
from backend.models import Device, LoginSession, RefreshToken, User
from backend.models.base import new_uuid, now_utc

ALGORITHM = "HS256"
# A phone on 2G may lose the response to a refresh and send the old token again.
# Within this window that is treated as a retry, not as theft.
REFRESH_RETRY_GRACE = timedelta(seconds=60)


class AuthError(DomainError):
    def __init__(self, kind: str, detail: str, status: int = 401, params: dict | None = None):
        super().__init__(kind, detail, status=status, params=params)


def issue_access_token(user: User, device_id: str | None, session_id: str) -> str:
    """An access token of one login session (`sid`): it dies with the session, not only at `exp`."""
    now = now_utc()
    claims = {
        "sub": str(user.id),
        "role": user.role,
        "dev": device_id,
        "sid": session_id,
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(seconds=current_app.config["ACCESS_TOKEN_TTL"])).timestamp()),
        "typ": "access",
    }
    return jwt.encode(claims, current_app.config["SECRET_KEY"], algorithm=ALGORITHM)


def decode_access_token(token: str) -> dict:
    try:
        claims = jwt.decode(
            token,
            current_app.config["SECRET_KEY"],
            algorithms=[ALGORITHM],
            options={"require": ["exp", "iat", "sub"]},
        )
    except jwt.ExpiredSignatureError:
        raise AuthError("token-expired", "The access token has expired; refresh it.") from None
    except jwt.InvalidTokenError:
        raise AuthError("invalid-token", "The access token is malformed or its signature is wrong.") from None
    if claims.get("typ") != "access":
        raise AuthError("invalid-token", "This is not an access token.")
    if not isinstance(claims.get("sid"), str):
        # Issued before sessions were revocable: refreshing gives one that is.
        raise AuthError("token-expired", "The access token is of an older kind; refresh it.")
    return claims


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(user: User, device_id: str | None) -> str:
    """A new login session; returns its id (the family of its refresh tokens)."""
    session_id = new_uuid()
    db.session.add(LoginSession(id=session_id, user_id=user.id, device_id=device_id))
    return session_id


def issue_refresh_token(user: User, device_id: str | None, family_id: str) -> str:
    token = secrets.token_urlsafe(32)
    db.session.add(
        RefreshToken(
            family_id=family_id,
            user_id=user.id,
            device_id=device_id,
            token_hash=_hash(token),
            expires_at=now_utc() + timedelta(seconds=current_app.config["REFRESH_TOKEN_TTL"]),
        )
    )
    return token


# Why a login ended (login_sessions.end_reason), sent as the `reason` parameter of a refused refresh.
END_REASONS = (
    "signed_out",
    "password_changed",
    "account_disabled",
    "device_revoked",
    "token_reused",
    "revoked",  # ended before the reason was recorded
)


def revoke_family(family_id: str, reason: str = "signed_out") -> None:
    """End one login: its refresh tokens and, at once, its access tokens."""
    now = now_utc()
    db.session.execute(
        update(RefreshToken)
        .where(RefreshToken.family_id == family_id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    db.session.execute(
        update(LoginSession)
        .where(LoginSession.id == family_id, LoginSession.revoked_at.is_(None))
        .values(revoked_at=now, end_reason=reason)
    )


def revoke_sessions(user_id: int | None = None, device_id: str | None = None, *, reason: str) -> None:
    """End every login of a user and/or a device (password change, account disabled, device revoked)."""
    now = now_utc()
    for model in (RefreshToken, LoginSession):
        query = update(model).where(model.revoked_at.is_(None))
        if user_id is not None:
            query = query.where(model.user_id == user_id)
        if device_id is not None:
            query = query.where(model.device_id == device_id)
        values = {"revoked_at": now} | ({"end_reason": reason} if model is LoginSession else {})
        db.session.execute(query.values(**values))


def rotate_refresh_token(token: str) -> tuple[User, str | None, str, str]:
    """Spend a refresh token; return (user, device_id, session id, new refresh token)."""
    record = db.session.execute(
        db.select(RefreshToken).where(RefreshToken.token_hash == _hash(token)).with_for_update()
    ).scalar_one_or_none()
    now = now_utc()
    if record is not None and record.device_id is not None:
        # A revoked phone is told so (403), not sent to a sign-in that would fail too.
        check_device(record.device_id, db.session.get(Device, record.device_id))
    if record is None or record.revoked_at is not None:
        ended = db.session.get(LoginSession, record.family_id) if record is not None else None
        raise AuthError(
            "invalid-refresh-token",
            "The refresh token is unknown or was revoked; log in again.",
            params={"reason": (ended.end_reason if ended else None) or "revoked"},
        )
    if record.expires_at <= now:
        raise AuthError(
            "refresh-token-expired",
            "The refresh token has expired; log in again.",
            params={"reason": "expired"},
        )
    if record.used_at is not None:
        if now - record.used_at > REFRESH_RETRY_GRACE:
            revoke_family(record.family_id, reason="token_reused")
            db.session.commit()
            raise AuthError(
                "refresh-token-reused",
                "This refresh token was already used; every session of this login is revoked.",
                params={"reason": "token_reused"},
            )
        # A retry after a lost response: retire the sibling issued then, issue a fresh one.
        db.session.execute(
            update(RefreshToken)
            .where(
                RefreshToken.family_id == record.family_id,
                RefreshToken.issued_at >= record.used_at,
                RefreshToken.revoked_at.is_(None),
            )
            .values(revoked_at=now)
        )
    user = db.session.get(User, record.user_id)
    check_user_may_sign_in(user, record.device_id)
    record.used_at = record.used_at or now
    return (
        user,
        record.device_id,
        record.family_id,
        issue_refresh_token(user, record.device_id, record.family_id),
    )


def check_user_may_sign_in(user: User | None, device_id: str | None) -> Device | None:
    """Refuse disabled accounts and revoked devices; returns the device, if any."""
    if user is None or not user.active:
        raise AuthError("account-disabled", "This account is disabled.", status=403)
    if device_id is None:
        return None
    return check_device(device_id, db.session.get(Device, device_id))


def check_device(device_id: str, device: Device | None) -> Device:
    if device is None or device.revoked_at is not None:
        raise AuthError(
            "device-revoked",
            "This device has been revoked by a supervisor; it can no longer sign in or sync.",
            status=403,
        )
    return device


def revoke_refresh_token(token: str) -> None:
    record = db.session.execute(
        db.select(RefreshToken).where(RefreshToken.token_hash == _hash(token))
    ).scalar_one_or_none()
    if record is not None:
        revoke_family(record.family_id)
