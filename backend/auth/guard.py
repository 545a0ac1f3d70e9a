"""The one auth path: `@auth_required(roles...)` on every protected view."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import wraps

from flask import g, request

from backend.auth.tokens import AuthError, check_device, check_user_may_sign_in, decode_access_token
from backend.domain.rules import DomainError
from backend.extensions import db
from backend.models import Device, User

STAFF = ("admin", "supervisor")


def _authenticate() -> User:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthError("missing-token", "Send an access token as 'Authorization: Bearer <token>'.")
    claims = decode_access_token(token.strip())
    try:
        user_id = int(claims["sub"])
    except (TypeError, ValueError):
        raise AuthError("invalid-token", "The access token names no valid user.") from None
    device_id = claims.get("dev")
    if device_id is None:
        user, device = db.session.get(User, user_id), None
    else:
        # One statement for both: phones poll often, and this is most of a steady-state pull.
        row = db.session.execute(db.select(User, Device).outerjoin(Device, Device.id == device_id)
                                 .where(User.id == user_id)).first()
        user, device = row if row is not None else (None, None)
    check_user_may_sign_in(user, None)
    # Kept on g (a strong reference) so sync views reuse it instead of loading it again.
    g.device = check_device(device_id, device) if device_id is not None else None
    g.device_id = device_id
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


def current_device():
    """The registered device the access token was issued to, or None."""
    return g.get("device")
