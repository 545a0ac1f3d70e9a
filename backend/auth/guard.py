"""The one auth path: `@auth_required(roles...)` on every protected view."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import wraps

from flask import g, request

from backend.auth.api_keys import authenticate_key, looks_like_key
from backend.auth.tokens import AuthError, check_device, check_user_may_sign_in, decode_access_token
from backend.domain.rules import DomainError
from backend.extensions import db
from backend.models import Device, LoginSession, User

STAFF = ("admin", "supervisor")


def _authenticate() -> User:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    # An agency system's key (docs/agency-api.md): as a bearer token or in X-Api-Key.
    key = request.headers.get("X-Api-Key", "").strip()
    if not key and scheme.lower() == "bearer" and looks_like_key(token.strip()):
        key = token.strip()
    if key:
        g.device = None
        return authenticate_key(key)
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthError(
            "missing-token",
            "Send an access token as 'Authorization: Bearer <token>' (an agency system: its API key).",
        )
    claims = decode_access_token(token.strip())
    try:
        user_id = int(claims["sub"])
    except (TypeError, ValueError):
        raise AuthError("invalid-token", "The access token names no valid user.") from None
    device_id, session_id = claims.get("dev"), claims["sid"]
    # One statement for the user, the device and the login's revocation: phones poll often, and this
    # is most of a steady-state pull. A session row that is missing counts as revoked.
    alive = (LoginSession.revoked_at.is_(None) & LoginSession.id.is_not(None)).label("session_alive")
    joined = (
        db.select(User, alive)
        .select_from(User)
        .outerjoin(LoginSession, (LoginSession.id == session_id) & (LoginSession.user_id == User.id))
    )
    query = (
        joined if device_id is None else joined.add_columns(Device).outerjoin(Device, Device.id == device_id)
    )
    row = db.session.execute(query.where(User.id == user_id)).first()
    user, alive, device = (tuple(row) + (None,))[:3] if row is not None else (None, False, None)
    check_user_may_sign_in(user, None)
    # Kept on g (a strong reference) so sync views reuse it instead of loading it again.
    g.device = check_device(device_id, device) if device_id is not None else None
    if not alive:
        raise AuthError(
            "session-revoked",
            "This login has ended (signed out, password changed, or its refresh "
            "token was reused); sign in again.",
        )
    g.device_id = device_id
    g.session_id = session_id
    return user


def auth_required(*roles: str) -> Callable:
    """Require a valid access token and, when roles are given, one of them."""
    allowed: Iterable[str] = roles

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(*args, **kwargs):
            user = _authenticate()
            if allowed and user.role not in allowed:
                raise DomainError("forbidden", f"This needs the role {' or '.join(allowed)}.", status=403)
            g.user = user
            return view(*args, **kwargs)

        wrapper.auth_roles = tuple(allowed)  # read by the OpenAPI plugin (backend/api/openapi.py): 401/403
        return wrapper

    return decorator


def current_user() -> User:
    return g.user


def current_device_id() -> str | None:
    return g.get("device_id")


def current_session_id() -> str | None:
    return g.get("session_id")


def current_device():
    """The registered device the access token was issued to, or None."""
    return g.get("device")
