"""Administrative procedures and their checklists of papers."""

from __future__ import annotations

from flask.views import MethodView

from backend.api.common import Blueprint, create_coded, get_or_404, update_coded
from backend.api.openapi import problems
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
        return create_coded(Procedure, body, "procedure")


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
        return update_coded(get_or_404(Procedure, procedure_id), body, "procedure")
