"""Users and their registered devices."""

from __future__ import annotations

from flask.views import MethodView

from backend.api.common import Blueprint, commit_unique, get_or_404
from backend.api.offices import office_ids_of
from backend.api.openapi import problems
from backend.audit import audit
from backend.auth.guard import STAFF, auth_required, current_user
from backend.auth.passwords import hash_password
from backend.auth.scope import office_of_new, users_query
from backend.auth.tokens import revoke_sessions
from backend.domain.rules import DomainError
from backend.extensions import db
from backend.models import Agency, Device, PostOffice, User
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


def _load_visible(user_id: int) -> User:
    """A user outside the caller's offices is missing, as far as the caller can tell."""
    user = db.session.execute(users_query(current_user()).where(User.id == user_id)).unique().scalar()
    if user is None:
        raise DomainError("not-found", f"No user with id {user_id}.", status=404)
    return user


def _set_offices(user: User, codes: list[str] | None) -> None:
    if codes is not None:
        user.offices = office_ids_of(codes, current_user())


def _default_offices(role: str) -> list[str] | None:
    """A new supervisor or postman named with no offices joins the creator's only office, if one."""
    if role not in ("supervisor", "postman"):
        return None
    try:
        office_id = office_of_new(current_user())
    except DomainError:
        return None
    office = db.session.get(PostOffice, office_id) if office_id is not None else None
    return [office.code] if office else None


@blp.route("/users")
class Users(MethodView):
    @auth_required(*STAFF)
    @blp.arguments(UserQuerySchema, location="query")
    @blp.response(200, UserSchema(many=True))
    def get(self, query):
        """List users, optionally by role (supervisors use it to pick postmen)."""
        select = users_query(current_user()).order_by(User.username)
        if "role" in query:
            select = select.where(User.role == query["role"])
        return db.session.execute(select).unique().scalars().all()

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
        _set_offices(user, body["offices"] if "offices" in body else _default_offices(body["role"]))
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
        return _load_visible(user_id)

    @auth_required("admin")
    @problems(409)
    @blp.arguments(UserUpdateSchema)
    @blp.response(200, UserSchema)
    def patch(self, body, user_id):
        """Change a user; disabling one or changing the password ends their sessions."""
        user = _load_visible(user_id)
        _set_offices(user, body.pop("offices", None))
        if user.id == current_user().id and body.get("active") is False:
            raise DomainError("cannot-disable-self", "You cannot disable your own account.", status=409)
        if "agency_id" in body:
            _check_agency_link(user.role, body["agency_id"])
        if "password" in body:
            user.password_hash = hash_password(body.pop("password"))
            revoke_sessions(user_id=user.id, reason="password_changed")
        for key, value in body.items():
            setattr(user, key, value)
        if body.get("active") is False:
            revoke_sessions(user_id=user.id, reason="account_disabled")
        audit("user.updated", "user", user_id, {"fields": sorted(body)})
        db.session.commit()
        return user


@blp.route("/users/<int:user_id>/devices")
class UserDevices(MethodView):
    @auth_required(*STAFF)
    @blp.response(200, DeviceSchema(many=True))
    def get(self, user_id):
        """A user's registered devices."""
        _load_visible(user_id)
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
        device = db.session.get(Device, device_id)
        if (
            device is None
            or not db.session.execute(users_query(current_user()).where(User.id == device.user_id)).first()
        ):
            raise DomainError("not-found", f"No device with id {device_id}.", status=404)
        if device.revoked_at is None:
            device.revoked_at = now_utc()
            revoke_sessions(device_id=device.id, reason="device_revoked")
            audit("device.revoked", "device", device.id)
        db.session.commit()
        return device
