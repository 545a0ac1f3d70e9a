"""Administrative procedures and their checklists of papers."""

from __future__ import annotations

from flask.views import MethodView

from backend.api.common import Blueprint, commit_unique, get_or_404
from backend.api.openapi import problems
from backend.audit import audit
from backend.auth.guard import auth_required
from backend.extensions import db
from backend.models import Procedure
from backend.schemas.org import ProcedureSchema, ProcedureUpdateSchema

blp = Blueprint(
    "procedures",
    __name__,
    url_prefix="/api/procedures",
    description="Administrative procedures (checklists, fees, allowed by post)",
)


@blp.route("")
class Procedures(MethodView):
    @auth_required()
    @blp.response(200, ProcedureSchema(many=True))
    def get(self):
        """List procedures (every signed-in user: postmen need the checklists)."""
        return db.session.execute(db.select(Procedure).order_by(Procedure.code)).scalars().all()

    @auth_required("admin")
    @problems(409)
    @blp.arguments(ProcedureSchema)
    @blp.response(201, ProcedureSchema)
    def post(self, body):
        """Create a procedure."""
        procedure = Procedure(**body)
        db.session.add(procedure)
        audit("procedure.created", "procedure", body["code"])
        commit_unique(f"A procedure with code {body['code']} already exists.")
        return procedure


@blp.route("/<int:procedure_id>")
class ProcedureById(MethodView):
    @auth_required()
    @blp.response(200, ProcedureSchema)
    def get(self, procedure_id):
        """One procedure."""
        return get_or_404(Procedure, procedure_id)

    @auth_required("admin")
    @problems(409)
    @blp.arguments(ProcedureUpdateSchema)
    @blp.response(200, ProcedureSchema)
    def patch(self, body, procedure_id):
        """Change a procedure."""
        procedure = get_or_404(Procedure, procedure_id)
        for key, value in body.items():
            setattr(procedure, key, value)
        audit("procedure.updated", "procedure", procedure_id, {"fields": sorted(body)})
        commit_unique("Another procedure already has that code.")
        return procedure
