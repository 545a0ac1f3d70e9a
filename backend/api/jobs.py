"""Background jobs: how far a large import (or any queued work) has got, from any app node."""

from __future__ import annotations

from flask.views import MethodView

from backend.api.common import Blueprint, get_or_404
from backend.auth.guard import STAFF, auth_required, current_user
from backend.auth.scope import check_visible
from backend.models import BackgroundJob
from backend.schemas.jobs import JobSchema
from backend.services import jobs

blp = Blueprint("jobs", __name__, url_prefix="/api/jobs", description="Background jobs (large imports)")


@blp.route("/<string(length=36):job_id>")
class Job(MethodView):
    @auth_required(*STAFF)
    @blp.response(200, JobSchema)
    def get(self, job_id):
        """A job's status and progress (rows checked, imported), then its result or its problem."""
        job = get_or_404(BackgroundJob, job_id, "job")
        check_visible(current_user(), job.params.get("office_id"), "job", job_id)  # another office's: missing
        return jobs.describe(job)
