"""Post offices: a province unit and the commune post offices under it (backend.auth.scope)."""

from __future__ import annotations

from flask.views import MethodView

from backend.api.common import Blueprint, commit_unique
from backend.api.openapi import problems
from backend.audit import audit
from backend.auth.guard import STAFF, auth_required, current_user
from backend.auth.scope import in_offices, offices_query, visible
from backend.domain.rules import DomainError
from backend.extensions import db
from backend.models import Agency, PostOffice, User
from backend.schemas.offices import OfficeSchema, OfficeUpdateSchema, OfficeViewSchema

blp = Blueprint("offices", __name__, url_prefix="/api/offices", description="Post offices")


def load_visible_office(user: User, office_id: int) -> PostOffice:
    office = db.session.get(PostOffice, office_id)
    return visible(user, office, "post office", office_id, lambda office: office.id)


def _may_edit(user: User, office: PostOffice) -> None:
    """Admins edit the offices they see; a provincial supervisor the offices of their province."""
    if user.role == "admin":
        return
    provincial = any(o.kind == "province" for o in user.offices)
    if not provincial:
        raise DomainError(
            "forbidden", "Only an admin or a provincial supervisor edits a post office.", status=403
        )


def _apply(office: PostOffice, body: dict) -> None:
    if "parent" in body:
        code = body.pop("parent")
        parent = None
        if code is not None:
            parent = db.session.execute(
                db.select(PostOffice).where(PostOffice.code == code, PostOffice.kind == "province")
            ).scalar_one_or_none()
            if parent is None:
                raise DomainError(
                    "unknown-office",
                    f"No province unit with code {code}.",
                    status=422,
                    errors={"parent": [f"No province unit {code}."]},
                )
        office.parent_id = parent.id if parent else None
    if "agencies" in body:
        office.agencies = by_codes(Agency, body.pop("agencies"), "agencies", "agency")
    for key, value in body.items():
        setattr(office, key, value)
    if office.kind == "province" and office.parent_id is not None:
        raise DomainError(
            "province-has-no-parent",
            "A province unit is under no other office.",
            status=422,
            errors={"parent": ["Only a commune office has a province unit."]},
        )
    if office.opens_at and office.closes_at and office.opens_at >= office.closes_at:
        raise DomainError(
            "bad-hours",
            "The office must close after it opens. / Giờ đóng cửa phải sau giờ mở cửa.",
            status=422,
            errors={"closes_at": ["Must be after opens_at."]},
        )


@blp.route("")
class Offices(MethodView):
    @auth_required(*STAFF, "postman", "agency")
    @blp.response(200, OfficeViewSchema(many=True))
    def get(self):
        """The post offices the caller sees (a provincial user: their province unit and every office under it)."""
        return db.session.execute(offices_query(current_user())).unique().scalars().all()

    @auth_required("admin")
    @problems(409)
    @blp.arguments(OfficeSchema)
    @blp.response(201, OfficeViewSchema)
    def post(self, body):
        """Create a post office (a province unit, or a commune office under one)."""
        office = PostOffice(code=body["code"], name=body["name"])
        _apply(office, body)
        db.session.add(office)
        audit("office.created", "post_office", office.code)
        commit_unique(f"A post office with code {office.code} already exists.")
        return office


@blp.route("/<int:office_id>")
class OfficeById(MethodView):
    @auth_required(*STAFF, "postman", "agency")
    @blp.response(200, OfficeViewSchema)
    def get(self, office_id):
        """One post office: position (where its rounds start), VietQR bank account, working hours."""
        return load_visible_office(current_user(), office_id)

    @auth_required(*STAFF)
    @problems(409)
    @blp.arguments(OfficeUpdateSchema)
    @blp.response(200, OfficeViewSchema)
    def patch(self, body, office_id):
        """Change a post office (an admin, or a supervisor of its province unit)."""
        user = current_user()
        office = load_visible_office(user, office_id)
        _may_edit(user, office)
        _apply(office, body)
        audit("office.updated", "post_office", office_id, {"fields": sorted(body)})
        commit_unique("Another post office already has that code.")
        return office


def by_codes(model, codes: list[str], field: str, what: str, only=None) -> list:
    """The rows named by code, in order (`only`: a WHERE clause they must meet too); one 422
    naming every code that names none."""
    query = db.select(model).where(model.code.in_(codes))
    found = {
        row.code: row for row in db.session.execute(query if only is None else query.where(only)).scalars()
    }
    unknown = [code for code in dict.fromkeys(codes) if code not in found]
    if unknown:
        raise DomainError(
            f"unknown-{what.replace(' ', '-').removeprefix('post-')}",
            f"Unknown {what}: {', '.join(unknown)}.",
            status=422,
            errors={field: [f"No {what} {code}." for code in unknown]},
        )
    return [found[code] for code in dict.fromkeys(codes)]


def office_ids_of(codes: list[str], user: User) -> list[PostOffice]:
    """The offices named by code, each one the caller sees (422 naming the others)."""
    return by_codes(PostOffice, codes, "offices", "post office", in_offices(PostOffice.id, user))
