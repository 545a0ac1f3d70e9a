"""Proofs of delivery for supervisors: flagged conflicts, the proof viewer, end-of-shift reconciliation."""

from __future__ import annotations

from flask import Response, current_app
from flask.views import MethodView
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.exc import StaleDataError

from backend.api.common import Blueprint, paginate
from backend.api.openapi import json_answer, problems
from backend.audit import audit, audit_read, query_detail
from backend.auth.guard import STAFF, auth_required, current_user
from backend.auth.scope import in_offices, scoped, sees_file, users_query, visible
from backend.domain.rules import DomainError
from backend.extensions import db
from backend.models import Attachment, DeliveryAttempt, Device, Item, Round, User
from backend.schemas.items import ItemSchema
from backend.schemas.proofs import (
    AcceptSchema,
    DeviceSyncSchema,
    ProofQuerySchema,
    ProofSchema,
    ReconciliationQuerySchema,
    RejectSchema,
    ResolveSchema,
)
from backend.services import proof_review
from backend.timeutil import day_bounds, local_today

DOWNLOAD_BLOCK = 64 * 1024


class _Blocks:
    """A stored file of `size` bytes sent in blocks. It is opened at the first block and closed as
    soon as its last byte is read (or when the server closes the answer early)."""

    def __init__(self, open_file, size: int, block: int):
        self._open, self._left, self._block, self._handle = open_file, size, block, None

    def __iter__(self):
        return self

    def __next__(self) -> bytes:
        if self._left <= 0:
            raise StopIteration
        if self._handle is None:
            self._handle = self._open()
        data = self._handle.read(min(self._block, self._left))
        if not data:
            self.close()
            raise OSError("the stored file ended early")
        self._left -= len(data)
        if self._left <= 0:
            self.close()
        return data

    def close(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None


blp = Blueprint("proofs", __name__, url_prefix="/api", description="Proofs of delivery and sync supervision")


@blp.route("/proofs")
class Proofs(MethodView):
    @auth_required(*STAFF)
    @blp.arguments(ProofQuerySchema, location="query")
    @blp.response(200, ProofSchema(many=True))
    def get(self, args):
        """List proofs; `flagged=true&unresolved=true` is the supervisor's conflict queue."""
        query = scoped_proofs(
            db.select(DeliveryAttempt).options(
                selectinload(DeliveryAttempt.attachments), selectinload(DeliveryAttempt.item)
            )
        )
        if args.get("flagged") is not None:
            query = query.where(DeliveryAttempt.flagged.is_(args["flagged"]))
        if args.get("unresolved"):
            query = query.where(DeliveryAttempt.resolved_at.is_(None))
        for key in ("item_id", "postman_id", "outcome"):
            if args.get(key) is not None:
                query = query.where(getattr(DeliveryAttempt, key) == args[key])
        if args.get("date"):
            start, end = day_bounds(args["date"])
            query = query.where(DeliveryAttempt.server_time >= start, DeliveryAttempt.server_time < end)
        rows, total = paginate(
            query.order_by(DeliveryAttempt.server_time.desc()), args["page"], args["per_page"]
        )
        audit_read("proofs.listed", "proof", [r.id for r in rows], query_detail(args))
        return rows, 200, {"X-Total-Count": str(total)}


@blp.route("/proofs/<int:proof_id>")
class ProofById(MethodView):
    @auth_required(*STAFF, "agency")
    @blp.response(200, ProofSchema)
    def get(self, proof_id):
        """One proof, in full (an agency officer: of their agency's items, the outcome on request:
        to whom, as what, the masked ID, the checklist and seal). Every view is written to the audit
        log (personal data)."""
        proof = _load_visible(proof_id)
        audit("proof.viewed", "proof", proof.id, {"item": proof.item.code})
        db.session.commit()
        return proof


def scoped_proofs(query):
    """Proofs of items of the caller's offices."""
    visible = scoped(db.select(Item.id), Item.office_id, current_user())
    return query.where(DeliveryAttempt.item_id.in_(visible))


def _load_visible(proof_id: int) -> DeliveryAttempt:
    """A proof of another office's item is missing, as far as the caller can tell."""
    proof = db.session.get(DeliveryAttempt, proof_id)
    user = current_user()
    if user.role == "agency":  # another agency's proof and a missing one: the same 403
        if proof is None or proof.item.agency_id != user.agency_id:
            raise DomainError(
                "not-your-agency",
                f"Proof {proof_id} is not one of your agency's. / Bằng chứng {proof_id} không thuộc cơ quan của bạn.",
                status=403,
            )
        return proof
    return visible(user, proof, "proof", proof_id, lambda proof: proof.item.office_id)


def _reviewed(decide, proof_id: int, **kwargs) -> DeliveryAttempt:
    proof = _load_visible(proof_id)
    try:
        decide(proof, current_user().id, **kwargs)
        db.session.commit()
    except StaleDataError:
        db.session.rollback()
        raise DomainError(
            "conflict-retry", "The item changed while this was decided; try again.", status=409
        ) from None
    return proof


@blp.route("/proofs/<int:proof_id>/accept")
class AcceptProof(MethodView):
    @auth_required(*STAFF)
    @blp.arguments(AcceptSchema)
    @blp.response(200, ProofSchema)
    def post(self, body, proof_id):
        """Accept a flagged proof: the item becomes delivered / collected (a failed visit is counted),
        leaves another postman's round (their phone gets a removal), audited. 409 `cannot-accept`
        when the item's status no longer allows it (e.g. someone else delivered it), 409
        `already-reviewed` when another supervisor decided first."""
        return _reviewed(proof_review.accept, proof_id, note=body.get("note"))


@blp.route("/proofs/<int:proof_id>/reject")
class RejectProof(MethodView):
    @auth_required(*STAFF)
    @blp.arguments(RejectSchema)
    @blp.response(200, ProofSchema)
    def post(self, body, proof_id):
        """Reject a flagged proof with a reason: it stays stored as evidence, the item does not move."""
        return _reviewed(proof_review.reject, proof_id, reason=body["reason"])


@blp.route("/proofs/<int:proof_id>/resolve")
class ResolveProof(MethodView):
    @auth_required(*STAFF)
    @problems(409)
    @blp.arguments(ResolveSchema)
    @blp.response(200, ProofSchema)
    @blp.doc(deprecated=True)
    def post(self, body, proof_id):
        """Deprecated: the same as reject with `reason` = `note`. A proof already reviewed is
        returned unchanged (as before)."""
        proof = _load_visible(proof_id)
        if not proof.flagged:
            raise DomainError("not-flagged", "Only flagged proofs need resolving.", status=409)
        if proof.review is None:
            return _reviewed(proof_review.reject, proof_id, reason=body["note"], action="proof.resolved")
        return proof


@blp.route("/attachments/<string(length=64):sha256>")
class AttachmentContent(MethodView):
    @auth_required(*STAFF, "agency")
    @problems(410)
    @blp.response(200, {"type": "string", "format": "binary"}, content_type="image/jpeg")
    @blp.doc(
        responses={
            200: {
                "content": {
                    media: {"schema": {"type": "string", "format": "binary"}}
                    for media in ("image/png", "image/webp")
                }
            }
        }
    )
    def get(self, sha256):
        """The bytes of a verified attachment (signature or photo) of a proof or handover record the
        caller sees (an agency officer: of their agency's items and records; another's is 404); audited."""
        row = db.session.get(Attachment, sha256)
        if row is not None and not sees_file(current_user(), sha256):
            row = None  # seen through a proof or a handover record of the caller's offices
        if row is None or not row.verified:
            raise DomainError("not-found", "No verified attachment with that digest.", status=404)
        if row.purged_at is not None:
            raise DomainError(
                "purged",
                "This file was deleted at the end of its retention period. / Tệp này đã "
                "bị xóa khi hết thời hạn lưu.",
                status=410,
            )
        audit("attachment.viewed", "attachment", sha256)
        db.session.commit()
        # Streamed in blocks from the store (a directory or a bucket), never read whole.
        store = current_app.extensions["postround.store"]
        with store.open(sha256) as handle:  # a missing file fails here, before any header is sent
            size = handle.seek(0, 2)
        response = Response(
            _Blocks(lambda: store.open(sha256), size, DOWNLOAD_BLOCK),
            mimetype=row.media_type,
            direct_passthrough=True,
        )
        response.content_length = size
        response.headers["Cache-Control"] = "private, no-store"
        response.headers["ETag"] = f'"{sha256}"'
        # Opened directly, the file is downloaded, never rendered as a page (nosniff: backend/headers.py).
        extension = {"image/png": "png", "image/jpeg": "jpg"}.get(row.media_type, "bin")
        response.headers["Content-Disposition"] = f'attachment; filename="proof-{sha256[:16]}.{extension}"'
        return response


@blp.route("/sync/reconciliation")
class Reconciliation(MethodView):
    @auth_required(*STAFF)
    @blp.arguments(ReconciliationQuerySchema, location="query")
    @blp.response(200)
    @blp.doc(
        **json_answer(
            {
                "type": "object",
                "required": ["date", "postmen"],
                "properties": {
                    "date": {"type": "string", "format": "date"},
                    "postmen": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "properties": {
                                "postman_id": {"type": "integer"},
                                "full_name": {"type": "string"},
                                "items": {"type": "array", "items": {"$ref": "#/components/schemas/Item"}},
                                "devices": {
                                    "type": "array",
                                    "items": {"$ref": "#/components/schemas/DeviceSync"},
                                },
                            },
                        },
                    },
                },
            }
        )
    )
    def get(self, args):
        """End of shift: items still assigned on the day's rounds with no proof, by postman, with
        each postman's devices and when they last synced."""
        day = args.get("date") or local_today()
        query = (
            db.select(Item, Round.postman_id)
            .join(Round, Item.round_id == Round.id)
            .where(
                Round.round_date == day,
                Item.status == "assigned",
                in_offices(Round.office_id, current_user()),
            )
            .where(
                ~db.exists().where(DeliveryAttempt.item_id == Item.id, DeliveryAttempt.round_id == Round.id)
            )
        )
        if args.get("postman_id") is not None:
            query = query.where(Round.postman_id == args["postman_id"])
        by_postman: dict[int, list] = {}
        for item, postman_id in db.session.execute(query.order_by(Round.postman_id, Item.stop_order)):
            by_postman.setdefault(postman_id, []).append(item)
        users = {
            u.id: u for u in db.session.execute(db.select(User).where(User.id.in_(by_postman))).scalars()
        }
        devices = db.session.execute(db.select(Device).where(Device.user_id.in_(by_postman))).scalars().all()
        return {
            "date": day.isoformat(),
            "postmen": [
                {
                    "postman_id": pid,
                    "full_name": users[pid].full_name,
                    "items": ItemSchema(many=True).dump(items),
                    "devices": DeviceSyncSchema(many=True).dump([d for d in devices if d.user_id == pid]),
                }
                for pid, items in by_postman.items()
            ],
        }


@blp.route("/sync/devices")
class SyncDevices(MethodView):
    @auth_required(*STAFF)
    @blp.response(200, DeviceSyncSchema(many=True))
    def get(self):
        """Every registered phone with its last sync time and mutation count."""
        return (
            db.session.execute(
                db.select(Device)
                .where(Device.user_id.in_(users_query(current_user()).with_only_columns(User.id)))
                .options(selectinload(Device.user))
                .order_by(Device.last_sync_at.desc().nulls_last())
            )
            .scalars()
            .all()
        )
