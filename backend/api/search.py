"""The dashboard's one search box: items, rounds and postmen of the caller's offices."""

from __future__ import annotations

from flask.views import MethodView

from backend.api.common import Blueprint
from backend.auth.guard import STAFF, auth_required, current_user
from backend.schemas.search import GROUPS, SearchQuerySchema, SearchSchema
from backend.services import search
from backend.timeutil import local_today

blp = Blueprint("search", __name__, url_prefix="/api", description="Search (the dashboard's search box)")


@blp.route("/search")
class Search(MethodView):
    @auth_required(*STAFF)
    @blp.arguments(SearchQuerySchema, location="query")
    @blp.response(200, SearchSchema)
    def get(self, args):
        """Find items, rounds and postmen with or without diacritics; each group paged with its total."""
        user, text = current_user(), args["q"]
        page, per_page = args["page"], args["per_page"]
        words, when = search.split_query(text, local_today())
        wanted = [args["group"]] if args.get("group") else list(GROUPS)
        answer: dict = {"q": text, "date": when, "items": None, "rounds": None, "postmen": None}

        def group(rows, total, more=False):
            return {"total": total, "more": more, "page": page, "per_page": per_page, "results": rows}

        postmen = search.matching_postmen(user, words) if words else []
        if "items" in wanted:
            answer["items"] = group(*search.find_items(user, text, page, per_page))
        if "rounds" in wanted:
            query = search.rounds_query(user, words, when, postmen)
            rows, total, more = (
                search.capped_page(query, page, per_page) if query is not None else ([], 0, False)
            )
            counts = search.stop_counts([r.id for r in rows])
            for rnd in rows:
                rnd.stop_count = counts.get(rnd.id, 0)
            answer["rounds"] = group(rows, total, more)
        if "postmen" in wanted:
            start = (page - 1) * per_page
            answer["postmen"] = group(postmen[start : start + per_page], len(postmen))
        return answer
