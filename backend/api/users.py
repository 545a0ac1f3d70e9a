"""Users and their registered devices."""

from __future__ import annotations

from flask.views import MethodView

from backend.api.common import Blueprint, commit_unique, get_or_404
from backend.api.openapi import problems
from backend.audit import audit
from backend.auth.guard import STAFF, auth_required, current_user
from backend.auth.passwords import hash_password
from backend.auth.tokens import revoke_sessions
from backend.domain.rules import DomainError
from backend.extensions import db
from backend.models import Agency, Device, User
from backend.models.base import now_utc
from backend.schemas.users import (
    DeviceSchema,
    UserCreateSchema,
    UserQuerySchema,
    UserSchema,
    UserUpdateSchema,
)

blp = Blueprint("users", __name__, url_prefix="/api", description="Users and devices")


def _check_agency_link(role: str, agency_id: int | None) -> None:
    if role == "agency" and agency_id is None:
        raise DomainError(
            "agency-required",
            "An agency officer must belong to an agency.",
            status=422,
            errors={"agency_id": ["Required for the agency role."]},
        )
    if agency_id is not None:
        get_or_404(Agency, agency_id, "agency")


@blp.route("/users")
class Users(MethodView):
    @auth_required(*STAFF)
    @blp.arguments(UserQuerySchema, location="query")
    @blp.response(200, UserSchema(many=True))
    def get(self, query):
        """List users, optionally by role (supervisors use it to pick postmen)."""
        select = db.select(User).order_by(User.username)
        if "role" in query:
            select = select.where(User.role == query["role"])
        return db.session.execute(select).scalars().all()

    @auth_required("admin")
    @problems(404, 409)
    @blp.arguments(UserCreateSchema)
    @blp.response(201, UserSchema)
    def post(self, body):
        """Create a user."""
        _check_agency_link(body["role"], body.get("agency_id"))
        user = User(
            username=body["username"],
            password_hash=hash_password(body["password"]),
            full_name=body["full_name"],
            role=body["role"],
            phone=body.get("phone"),
            agency_id=body.get("agency_id"),
        )
        db.session.add(user)
        audit("user.created", "user", body["username"], {"role": body["role"]})
        commit_unique(f"The username {body['username']} is taken.")
        return user


@blp.route("/users/<int:user_id>")
class UserById(MethodView):
    @auth_required(*STAFF)
    @blp.response(200, UserSchema)
    def get(self, user_id):
        """One user."""
        return get_or_404(User, user_id, "user")

    @auth_required("admin")
    @problems(409)
    @blp.arguments(UserUpdateSchema)
    @blp.response(200, UserSchema)
    def patch(self, body, user_id):
        """Change a user; disabling one or changing the password ends their sessions."""
        user = get_or_404(User, user_id, "user")
        if user.id == current_user().id and body.get("active") is False:
            raise DomainError("cannot-disable-self", "You cannot disable your own account.", status=409)
        if "agency_id" in body:
            _check_agency_link(user.role, body["agency_id"])
        if "password" in body:
            user.password_hash = hash_password(body.pop("password"))
            revoke_sessions(user_id=user.id)
        for key, value in body.items():
            setattr(user, key, value)
        if body.get("active") is False:
            revoke_sessions(user_id=user.id)
        audit("user.updated", "user", user_id, {"fields": sorted(body)})
        db.session.commit()
        return user


@blp.route("/users/<int:user_id>/devices")
class UserDevices(MethodView):
    @auth_required(*STAFF)
    @blp.response(200, DeviceSchema(many=True))
    def get(self, user_id):
        """A user's registered devices."""
        get_or_404(User, user_id, "user")
        return (
            db.session.execute(
                db.select(Device).where(Device.user_id == user_id).order_by(Device.registered_at)
            )
            .scalars()
            .all()
        )


@blp.route("/devices/<string:device_id>/revoke")
class RevokeDevice(MethodView):
    @auth_required(*STAFF)
    @blp.response(200, DeviceSchema)
    def post(self, device_id):
        """Revoke a device: it can no longer sign in, refresh or sync."""
        device = get_or_404(Device, device_id, "device")
        if device.revoked_at is None:
            device.revoked_at = now_utc()
            revoke_sessions(device_id=device.id)
            audit("device.revoked", "device", device.id)
        db.session.commit()
        return device
