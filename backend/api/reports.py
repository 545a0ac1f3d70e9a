"""Reports for supervisors: per day or month, by agency, procedure or postman; CSV and XLSX exports."""

from __future__ import annotations

from flask import Response
from flask.views import MethodView

from backend.api.common import Blueprint
from backend.auth.guard import STAFF, auth_required, current_user
from backend.schemas.reports import ReportExportQuerySchema, ReportQuerySchema, ReportSchema
from backend.services import reports

blp = Blueprint("reports", __name__, url_prefix="/api/reports", description="Reports and exports")
MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def _report(args: dict) -> dict:
    return reports.build_report(
        reports.check_range(args["period"], args["group_by"], args["date_from"], args["date_to"]),
        current_user(),
    )


@blp.route("")
class Report(MethodView):
    @auth_required(*STAFF)
    @blp.arguments(ReportQuerySchema, location="query")
    @blp.response(200, ReportSchema)
    def get(self, args):
        """Items returned and collected, failed attempts by reason, fees collected versus handed over and
        the share delivered on time, per period and group. An empty range gives `empty: true`."""
        return _report(args)


@blp.route("/export")
class ReportExport(MethodView):
    @auth_required(*STAFF)
    @blp.arguments(ReportExportQuerySchema, location="query")
    @blp.response(200, {"type": "string", "format": "binary"}, content_type=MEDIA_TYPES["xlsx"])
    @blp.doc(responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}}}})
    @blp.alt_response(422, description="Invalid fields, or nothing in the range: nothing to export")
    def get(self, args):
        """The same report as a file: CSV (UTF-8 with BOM, for Excel) or XLSX, with a totals row.
        A range with nothing in it is refused with 422 `empty-report` rather than an empty file."""
        report = _report(args)
        reports.require_rows(report)
        data = reports.to_csv(report) if args["format"] == "csv" else reports.to_xlsx(report)
        response = Response(data, mimetype=MEDIA_TYPES[args["format"]])
        response.headers["Content-Disposition"] = (
            f'attachment; filename="{reports.file_name(report, args["format"])}"'
        )
        response.headers["Cache-Control"] = "no-store"
        return response
