"""Sign in, refresh and sign out."""

from __future__ import annotations

from flask import current_app
from flask.views import MethodView

from backend import throttle
from backend.api.common import Blueprint
from backend.api.openapi import problems
from backend.audit import audit
from backend.auth.api_keys import current_api_key
from backend.auth.guard import auth_required, current_device_id, current_session_id, current_user
from backend.auth.passwords import hash_password, verify_password
from backend.auth.tokens import (
    AuthError,
    check_user_may_sign_in,
    issue_access_token,
    issue_refresh_token,
    revoke_refresh_token,
    revoke_sessions,
    rotate_refresh_token,
    start_session,
)
from backend.domain.rules import DomainError
from backend.extensions import db, limiter
from backend.models import Device, User
from backend.models.base import now_utc
from backend.schemas.auth import LoginSchema, PasswordChangeSchema, RefreshSchema, TokenSchema
from backend.schemas.users import UserSchema

blp = Blueprint("auth", __name__, url_prefix="/api/auth", description="Sign in, refresh, sign out")
PUBLIC = {"security": []}
WRONG_CREDENTIALS = "Wrong username or password."


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def _tokens(user: User, device_id: str | None, session_id: str, refresh_token: str) -> dict:
    return {
        "access_token": issue_access_token(user, device_id, session_id),
        "refresh_token": refresh_token,
        "token_type": "Bearer",
        "expires_in": current_app.config["ACCESS_TOKEN_TTL"],
        "device_id": device_id,
        "user": user,
    }


def _device_for_login(user: User, device_id: str | None, label: str | None) -> str | None:
    """Postmen sign in from a registered phone; its first login registers it."""
    if device_id is None:
        if user.role != "postman":
            return None
        device = Device(user_id=user.id, label=label)
        db.session.add(device)
        db.session.flush()
        audit("device.registered", "device", device.id, actor_id=user.id)
        return device.id
    device = db.session.get(Device, device_id)
    if device is None:
        db.session.add(Device(id=device_id, user_id=user.id, label=label))
        audit("device.registered", "device", device_id, actor_id=user.id)
        return device_id
    if device.user_id != user.id:
        raise DomainError(
            "device-belongs-to-another-user",
            "This device is registered to another account; ask a supervisor.",
            status=403,
        )
    check_user_may_sign_in(user, device_id)
    if label:
        device.label = label
    return device_id


@blp.route("/login")
class Login(MethodView):
    decorators = [limiter.limit(_login_limit, methods=["POST"])]

    @blp.doc(**PUBLIC)
    @problems(401, 403)
    @blp.arguments(LoginSchema)
    @blp.response(200, TokenSchema)
    def post(self, body):
        """Sign in with a username and password; returns an access and a refresh token."""
        username = body["username"].lower()
        # Per account name, whoever asks and whether or not it exists: a locked name answers like a
        # wrong password, plus Retry-After, until its window ends (LOGIN_ACCOUNT_RATE_LIMIT).
        wait = throttle.retry_after("LOGIN_ACCOUNT_RATE_LIMIT", "login-account", username)
        if wait is not None:
            error = AuthError("invalid-credentials", WRONG_CREDENTIALS)
            error.headers = {"Retry-After": str(wait)}
            raise error
        user = db.session.execute(db.select(User).where(User.username == username)).scalar_one_or_none()
        if not verify_password(user.password_hash if user else None, body["password"]):
            throttle.count_failure("LOGIN_ACCOUNT_RATE_LIMIT", "login-account", username)
            raise AuthError("invalid-credentials", WRONG_CREDENTIALS)
        throttle.clear("LOGIN_ACCOUNT_RATE_LIMIT", "login-account", username)
        check_user_may_sign_in(user, None)
        device_id = _device_for_login(user, body.get("device_id"), body.get("device_label"))
        session_id = start_session(user, device_id)
        refresh = issue_refresh_token(user, device_id, session_id)
        audit("auth.login", "user", user.id, {"device_id": device_id}, actor_id=user.id)
        if device_id:
            db.session.get(Device, device_id).last_seen_at = now_utc()
        db.session.commit()
        return _tokens(user, device_id, session_id, refresh)


@blp.route("/refresh")
class Refresh(MethodView):
    @blp.doc(**PUBLIC)
    @problems(401, 403)
    @blp.arguments(RefreshSchema)
    @blp.response(200, TokenSchema)
    def post(self, body):
        """Trade a refresh token for a new pair (the old refresh token is spent)."""
        user, device_id, session_id, refresh = rotate_refresh_token(body["refresh_token"])
        db.session.commit()
        return _tokens(user, device_id, session_id, refresh)


@blp.route("/logout")
class Logout(MethodView):
    @blp.doc(**PUBLIC)
    @blp.arguments(RefreshSchema)
    @blp.response(204)
    def post(self, body):
        """End this login now: its refresh tokens and its access tokens stop working at once."""
        revoke_refresh_token(body["refresh_token"])
        db.session.commit()


@blp.route("/password")
class ChangePassword(MethodView):
    decorators = [limiter.limit(_login_limit, methods=["POST"])]

    @auth_required()
    @blp.arguments(PasswordChangeSchema)
    @blp.response(200, TokenSchema)
    def post(self, body):
        """Change your own password with the current one. Every login of the account ends at once
        (other phones and browsers sign in again); this one gets a fresh token pair."""
        user = current_user()
        if current_api_key() is not None:
            raise DomainError(
                "api-key-not-a-person",
                "An API key has no password to change; an administrator revokes it and makes a new one. "
                "/ Khóa API không có mật khẩu; quản trị viên thu hồi và tạo khóa mới.",
                status=403,
            )
        if not verify_password(user.password_hash, body["current_password"]):
            raise DomainError(
                "wrong-password",
                "The current password is wrong. / Mật khẩu hiện tại không đúng.",
                status=403,
                errors={"current_password": ["Wrong password. / Sai mật khẩu."]},
            )
        if body["new_password"] == body["current_password"]:
            raise DomainError(
                "validation-error",
                "The new password must differ from the current one.",
                status=422,
                errors={
                    "new_password": [
                        "Must differ from the current password. / Mật khẩu mới phải khác mật khẩu cũ."
                    ]
                },
            )
        user.password_hash = hash_password(body["new_password"])
        revoke_sessions(user_id=user.id, reason="password_changed")
        device_id = current_device_id()
        session_id = start_session(user, device_id)
        refresh = issue_refresh_token(user, device_id, session_id)
        audit(
            "auth.password_changed",
            "user",
            user.id,
            {"ended_session": current_session_id()},
            actor_id=user.id,
        )
        db.session.commit()
        return _tokens(user, device_id, session_id, refresh)


@blp.route("/me")
class Me(MethodView):
    @auth_required()
    @blp.response(200, UserSchema)
    def get(self):
        """The signed-in user."""
        return current_user()
