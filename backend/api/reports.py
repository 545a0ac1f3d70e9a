"""Reports for supervisors: per day or month, by agency, procedure or postman; CSV and XLSX exports."""

from __future__ import annotations

from flask import url_for
from flask.views import MethodView

from backend.api.common import Blueprint, file_response
from backend.auth.guard import STAFF, auth_required, current_user
from backend.schemas.jobs import JobSchema
from backend.schemas.reports import ReportExportQuerySchema, ReportQuerySchema, ReportSchema
from backend.services import jobs, reports

blp = Blueprint("reports", __name__, url_prefix="/api/reports", description="Reports and exports")
MEDIA_TYPES = reports.MEDIA_TYPES


def _range(args: dict) -> reports.ReportRange:
    return reports.check_range(args["period"], args["group_by"], args["date_from"], args["date_to"])


@blp.route("")
class Report(MethodView):
    @auth_required(*STAFF)
    @blp.arguments(ReportQuerySchema, location="query")
    @blp.response(200, ReportSchema)
    def get(self, args):
        """Items returned and collected, failed attempts by reason, fees collected versus handed over and
        the share delivered on time, per period and group. An empty range gives `empty: true`."""
        return reports.build_report(_range(args), current_user())


@blp.route("/export-jobs")
class ReportExportJobs(MethodView):
    @auth_required(*STAFF)
    @blp.arguments(ReportExportQuerySchema, location="query")
    @blp.response(
        202, JobSchema, description="The export is queued; follow it at GET /api/jobs/{id} (Location)"
    )
    def post(self, args):
        """Start an export of the report as a background job (any range up to REPORT_MAX_DAYS; what the
        dashboard uses). 202 with the job; once it has succeeded, GET /api/jobs/{id}/file downloads the
        file (for the one who started it only). A range with nothing in it ends the job failed with the
        422 `empty-report` problem."""
        job = jobs.start_export(_range(args), args["format"], actor=current_user())
        return jobs.describe(job), 202, {"Location": url_for("jobs.Job", job_id=job.id)}


@blp.route("/export")
class ReportExport(MethodView):
    @auth_required(*STAFF)
    @blp.arguments(ReportExportQuerySchema, location="query")
    @blp.response(200, {"type": "string", "format": "binary"}, content_type=MEDIA_TYPES["xlsx"])
    @blp.doc(responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}}}})
    @blp.alt_response(422, description="Invalid fields, or nothing in the range: nothing to export")
    def get(self, args):
        """The same report as a file: CSV (UTF-8 with BOM, for Excel) or XLSX, with a totals row, built
        inside the request (small ranges, scripts, older dashboards; the dashboard now starts an export
        job, POST /api/reports/export-jobs). A range with nothing in it is refused with 422
        `empty-report` rather than an empty file."""
        rng = _range(args)
        data = reports.export_file(reports.build_report(rng, current_user()), args["format"])
        return file_response(data, MEDIA_TYPES[args["format"]], reports.file_name(rng, args["format"]))
