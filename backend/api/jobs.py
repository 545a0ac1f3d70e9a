"""Background jobs: how far a large import or a report export has got, from any app node; an
export's file, for the one who started it."""

from __future__ import annotations

from flask.views import MethodView

from backend.api.common import Blueprint, file_response
from backend.api.openapi import problems
from backend.auth.guard import STAFF, auth_required, current_user
from backend.exports import XLSX
from backend.schemas.jobs import JobSchema
from backend.services import jobs

blp = Blueprint(
    "jobs", __name__, url_prefix="/api/jobs", description="Background jobs (large imports, report exports)"
)


@blp.route("/<string(length=36):job_id>")
class Job(MethodView):
    @auth_required(*STAFF)
    @blp.response(200, JobSchema)
    def get(self, job_id):
        """A job's status and progress (rows checked, imported; an export's steps), then its result or
        its problem. An import of another office, or another user's export, is missing (404)."""
        return jobs.describe(jobs.visible_job(current_user(), job_id))


@blp.route("/<string(length=36):job_id>/file")
class JobFile(MethodView):
    @auth_required(*STAFF)
    @problems(409, 410)
    @blp.response(200, {"type": "string", "format": "binary"}, content_type=XLSX)
    @blp.doc(responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}}}})
    def get(self, job_id):
        """The file a finished report export made (CSV or XLSX), for the supervisor who started it;
        409 while the job has not succeeded. Anyone else's export is missing (404)."""
        job = jobs.visible_job(current_user(), job_id, undefer_output=True)
        return file_response(jobs.output_of(job), job.result["media_type"], job.params["file"])
