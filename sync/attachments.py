"""Resumable, verified, content-addressed attachment uploads (no base64 on the wire)."""

from __future__ import annotations

import hashlib
import io
import re
import struct
import zlib
from dataclasses import dataclass
from datetime import timedelta
from typing import BinaryIO, NamedTuple, TypeGuard

from flask import current_app
from PIL import Image, UnidentifiedImageError
from sqlalchemy import exists, func, insert, select, text, update
from sqlalchemy.orm import Session

from backend.domain.rules import DomainError
from backend.errors import PROBLEM_TYPE_BASE
from backend.models import (
    Attachment,
    AttachmentUpload,
    DeliveryAttempt,
    Handover,
    HandoverAttachment,
    ProofAttachment,
)
from backend.models.base import now_utc
from sync.storage import AttachmentStore, OffsetMismatch

IMAGE_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
MAX_PIXELS = 40_000_000
SIGNATURE_KINDS = ("signature", "postman_signature")
INK_CONTRAST = 64  # shades (of 255) a pixel must differ from the background to count as ink


@dataclass
class UploadStatus:
    sha256: str
    received: int
    size: int | None
    verified: bool

    def as_dict(self) -> dict:
        return {
            "sha256": self.sha256,
            "received": self.received,
            "size": self.size,
            "verified": self.verified,
        }


def has_uploaded(session: Session, sha256: str, user_id: int) -> bool:
    return (
        session.execute(
            select(AttachmentUpload.id).where(
                AttachmentUpload.sha256 == sha256, AttachmentUpload.user_id == user_id
            )
        ).first()
        is not None
    )


def status(session: Session, store: AttachmentStore, sha256: str, user_id: int | None) -> UploadStatus:
    """Upload progress as `user_id` sees it: a file is verified for a postman once they have sent it
    whole themselves (staff, user_id None, see whether the server has it at all)."""
    row = session.get(Attachment, sha256)
    if row is not None and row.verified and (user_id is None or has_uploaded(session, sha256, user_id)):
        return UploadStatus(sha256, row.size_bytes, row.size_bytes, True)
    return UploadStatus(sha256, store.received(sha256, user_id) if user_id is not None else 0, None, False)


def statuses(
    session: Session, store: AttachmentStore, digests: list[str], user_id: int
) -> list[UploadStatus]:
    """`status` for many files at once, as the postman `user_id` sees each (two statements, however
    many digests): what they have sent of it, and whether it is verified for them. A file someone
    else sent reads as not received, as on the single-file GET."""
    verified = dict(
        session.execute(
            select(Attachment.sha256, Attachment.size_bytes).where(
                Attachment.sha256.in_(digests), Attachment.verified.is_(True)
            )
        ).all()
    )
    mine = set(
        session.execute(
            select(AttachmentUpload.sha256).where(
                AttachmentUpload.sha256.in_(digests), AttachmentUpload.user_id == user_id
            )
        ).scalars()
    )
    return [
        UploadStatus(sha256, verified[sha256], verified[sha256], True)
        if sha256 in verified and sha256 in mine
        else UploadStatus(sha256, store.received(sha256, user_id), None, False)
        for sha256 in digests
    ]


def _refuse(message_en: str, message_vi: str, kind: str = "not-an-image", status: int = 422):
    return DomainError(kind, f"{message_en} / {message_vi}", status=status)


def ink_share(image: Image.Image) -> float:
    """Share of pixels that stand out from the background (the most common shade), transparent
    pixels counting as background: a blank or near-blank signature pad scores ~0."""
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        flat = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        flat.alpha_composite(rgba)
        grey = flat.convert("L")
    else:
        grey = image.convert("L")
    grey.thumbnail((800, 800))
    histogram = grey.histogram()
    total = sum(histogram) or 1
    background = max(range(256), key=histogram.__getitem__)
    ink = sum(count for shade, count in enumerate(histogram) if abs(shade - background) > INK_CONTRAST)
    return ink / total


def _check_image(store: AttachmentStore, sha256: str, owner: int) -> tuple[str, int, int, float]:
    with store.open_partial(sha256, owner) as handle:
        return _check_image_file(handle)


def _check_image_file(handle: BinaryIO) -> tuple[str, int, int, float]:
    """Decode the whole image (not only its header): truncated data or garbage pixels are refused."""
    try:
        with Image.open(handle) as image:
            kind, (width, height) = image.format, image.size
            if kind not in IMAGE_TYPES:
                raise _refuse(
                    f"{kind} images are not accepted; send JPEG, PNG or WebP.",
                    f"Không nhận ảnh {kind}; hãy gửi JPEG, PNG hoặc WebP.",
                )
            if width * height > MAX_PIXELS:
                raise _refuse(
                    f"The image is {width}x{height}; resize it on the phone.",
                    f"Ảnh {width}x{height} quá lớn; hãy thu nhỏ trên điện thoại.",
                    "image-too-large",
                )
            image.load()  # every pixel; raises on truncated or corrupt data
            if getattr(image, "n_frames", 1) != 1:
                raise _refuse("Animated images are not accepted.", "Không nhận ảnh động.")
            ink = ink_share(image)
    except DomainError:
        raise
    except (
        UnidentifiedImageError,
        OSError,
        SyntaxError,
        ValueError,
        EOFError,
        zlib.error,
        struct.error,
        IndexError,
        TypeError,
        Image.DecompressionBombError,
    ):
        raise _refuse(
            "The upload is not a readable JPEG, PNG or WebP image (its data is incomplete or corrupt).",
            "Tệp tải lên không phải ảnh JPEG, PNG hoặc WebP đọc được (dữ liệu thiếu hoặc hỏng).",
        ) from None
    return IMAGE_TYPES[kind], width, height, ink


def held_bytes(session: Session, store: AttachmentStore, user_id: int) -> int:
    """What counts towards a user's quota: their unfinished uploads plus verified files they sent
    that none of their proofs or handover records names yet. Evidence (files their proofs and
    records name) never counts."""
    named = exists().where(
        ProofAttachment.sha256 == AttachmentUpload.sha256,
        DeliveryAttempt.id == ProofAttachment.attempt_id,
        DeliveryAttempt.postman_id == user_id,
    )
    on_record = exists().where(
        HandoverAttachment.sha256 == AttachmentUpload.sha256,
        Handover.id == HandoverAttachment.handover_id,
        Handover.postman_id == user_id,
    )
    loose = session.execute(
        select(func.coalesce(func.sum(AttachmentUpload.size_bytes), 0)).where(
            AttachmentUpload.user_id == user_id, ~named, ~on_record
        )
    ).scalar_one()
    return int(loose) + store.partial_bytes(user_id)


class QuotaTally:
    """What a user holds against their quota, read once per request and kept up to date as that
    request's files are taken: a batch upload checks each part without asking again."""

    def __init__(self) -> None:
        self.held: int | None = None


def _check_quota(
    session: Session,
    store: AttachmentStore,
    user_id: int,
    incoming: int,
    quota: int,
    tally: QuotaTally | None = None,
) -> None:
    if tally is not None and tally.held is not None:
        held = tally.held
    else:
        held = held_bytes(session, store, user_id)
        if tally is not None:
            tally.held = held
    if held + incoming > quota:
        mib = quota / (1024 * 1024)
        raise DomainError(
            "upload-quota-exceeded",
            f"Your uploads waiting for a proof take {held} bytes; at most {mib:.0f} MiB may wait. "
            f"Push your proofs (or let unfinished uploads expire), then send this again. / Tệp "
            f"tải lên chưa gắn với bằng chứng nào đã chiếm {held} byte; tối đa {mib:.0f} MiB. Hãy "
            f"đồng bộ bằng chứng rồi gửi lại.",
            status=413,
            errors={"quota": [str(quota)], "held": [str(held)]},
        )


def receive_chunk(
    session: Session,
    store: AttachmentStore,
    sha256: str,
    start: int,
    total: int,
    data: bytes,
    max_bytes: int,
    user_id: int,
    quota: int,
    *,
    tally: QuotaTally | None = None,
    commit: bool = True,
) -> UploadStatus:
    """Take bytes [start, start+len(data)) of `user_id`'s `total`-byte file; verify it when complete.

    Partial uploads are per uploader, so another user's chunks never touch this one. A file the
    server verified already is stored once; a second postman still sends it whole (the bytes
    are checked against the digest and dropped) before their proofs count it.

    A whole file in one request (and nothing of it received before) is checked in memory and put
    in place at once, without a partial upload. `commit=False` (a batch upload) leaves the commit
    of a verified file to the caller, once for the request; `tally` carries the quota between files."""
    if total > max_bytes:
        raise DomainError(
            "attachment-too-large",
            f"Attachments may be at most {max_bytes} bytes. / Tệp đính kèm tối đa {max_bytes} byte.",
            status=413,
        )
    whole = start == 0 and len(data) == total and not store.received(sha256, user_id)
    if whole:
        lock_digests(session, [sha256])  # read under the lock that recording it takes anyway
    row = session.get(Attachment, sha256)
    if row is not None and row.verified and has_uploaded(session, sha256, user_id):
        mark_complete_proofs(session, sha256)  # repairs a proof that raced the first upload
        if commit:
            session.commit()
        return UploadStatus(sha256, row.size_bytes, row.size_bytes, True)  # stored once
    if start + len(data) > total:
        raise DomainError("chunk-out-of-range", "The chunk runs past the declared total size.", status=422)
    if whole:
        return _receive_whole(session, store, sha256, data, row, user_id, quota, tally, commit)
    if not commit:
        session.commit()  # the batch's files so far: what follows may roll back (a lost race)
    if (row is None or not row.verified) and store.exists(sha256):
        # Verified and moved into place, but the server died before recording it.
        # Who sent it is unknown, so this uploader still proves possession below.
        _recover_promoted(session, store, sha256)
    have = store.received(sha256, user_id)
    fresh = max(start + len(data) - have, 0)
    if fresh:
        _check_quota(session, store, user_id, fresh, quota, tally)
    try:
        if start > have:
            raise OffsetMismatch(have)
        # Bytes the server already has (a retry after a lost answer, or a crash after the write)
        # are skipped, so the upload can always be finished.
        received = store.append(sha256, have, data[have - start :], user_id) if fresh else have
    except OffsetMismatch as mismatch:
        raise DomainError(
            "offset-mismatch",
            f"The server has {mismatch.received} bytes of this file; resume from there.",
            status=409,
            errors={"received": [str(mismatch.received)]},
            extra={"received": mismatch.received},
        ) from None
    if received < total:
        return UploadStatus(sha256, received, total, False)
    if received > total:
        store.discard(sha256, user_id)
        raise DomainError(
            "hash-mismatch",
            "More bytes arrived than the declared size; the upload was "
            "discarded, send it again from the start.",
            status=422,
        )
    try:
        return _verify_and_promote(session, store, sha256, total, user_id)
    except FileNotFoundError:
        # A concurrent request for the same file (same uploader) finished it first.
        session.rollback()
        if has_uploaded(session, sha256, user_id):
            return status(session, store, sha256, user_id)
        if store.exists(sha256):
            return _recover_promoted(session, store, sha256, user_id)
        raise


def receive_part(
    session: Session,
    store: AttachmentStore,
    name: str | None,
    data: bytes | None,
    user_id: int,
    *,
    part_limit: int,
    max_bytes: int,
    quota: int,
    tally: QuotaTally | None = None,
) -> dict:
    """One part of a batch upload: a whole small file named by its digest, verified on its own. A
    refused part answers its problem and leaves the others alone (`data` None: it was larger than
    `part_limit` and was not kept). The caller commits the parts taken, once for the request: a
    part is refused before it writes anything, so the parts before it stay as they are."""
    digest = _digest_or_none(name)
    try:
        if digest is None:
            raise DomainError(
                "bad-digest", "Name each part by its file's lower-case hex SHA-256.", status=422
            )
        if data is None:
            raise DomainError(
                "part-too-large",
                f"A part may be at most {part_limit} bytes; send this file with PUT.",
                status=413,
                errors={"size": [str(part_limit)]},
            )
        if not data:
            raise _refuse("The part is empty.", "Tệp rỗng.")
        return receive_chunk(
            session, store, digest, 0, len(data), data, max_bytes, user_id, quota, tally=tally, commit=False
        ).as_dict()
    except DomainError as error:
        problem = _problem(error)
        if digest is None:
            return {"sha256": None, "received": 0, "size": None, "verified": False, "problem": problem}
        return status(session, store, digest, user_id).as_dict() | {"problem": problem}


def is_digest(value: object) -> TypeGuard[str]:
    """A file's name in the protocol: its lower-case hex SHA-256."""
    return isinstance(value, str) and re.fullmatch(r"[0-9a-f]{64}", value) is not None


def _digest_or_none(name: str | None) -> str | None:
    return name if is_digest(name) else None


def receive_parts(
    session: Session,
    store: AttachmentStore,
    parts: list[tuple[str | None, bytes | None]],
    user_id: int,
    *,
    part_limit: int,
    max_bytes: int,
    quota: int,
) -> list[dict]:
    """A batch upload's parts, each verified on its own with the answer `receive_part` gives it, but
    the batch's files taken together: their locks in one statement, their rows and this postman's
    uploads read in two, the new files written and synced to disk at once, then their rows in one
    flush and the proofs they complete in one update, whatever the number of parts. A part off the
    usual path (a partial upload of it exists, a bad name or size...) goes through `receive_part`
    alone, after the files before it are written. The caller commits, once for the request."""
    tally = QuotaTally()
    digests = sorted({d for name, data in parts if (d := _digest_or_none(name)) and data})
    lock_digests(session, digests)  # one order (digests sorted) as for a proof's files
    rows = (
        {
            row.sha256: row
            for row in session.execute(select(Attachment).where(Attachment.sha256.in_(digests))).scalars()
        }
        if digests
        else {}
    )
    mine = (
        set(
            session.execute(
                select(AttachmentUpload.sha256).where(
                    AttachmentUpload.sha256.in_(digests), AttachmentUpload.user_id == user_id
                )
            ).scalars()
        )
        if digests
        else set()
    )
    # The files verified for this postman, by size: those read, then those this request takes.
    theirs = {d: row.size_bytes for d, row in rows.items() if row.verified and d in mine}
    batch = _PartsBatch(rows)
    results = []
    for name, data in parts:
        digest = _digest_or_none(name)
        if (
            digest is None
            or not data
            or len(data) > max_bytes
            or (digest not in theirs and store.received(digest, user_id))
        ):
            batch.write(session, store, user_id)
            results.append(
                result := receive_part(
                    session,
                    store,
                    name,
                    data,
                    user_id,
                    part_limit=part_limit,
                    max_bytes=max_bytes,
                    quota=quota,
                    tally=tally,
                )
            )
            if result["verified"]:
                theirs[result["sha256"]] = result["size"]
            continue
        if digest in theirs:
            batch.settled.append(digest)  # stored once; its proofs are looked at with the others
            results.append(UploadStatus(digest, theirs[digest], theirs[digest], True).as_dict())
            continue
        row = rows.get(digest)
        try:
            _check_quota(session, store, user_id, len(data), quota, tally)
            if hashlib.sha256(data).hexdigest() != digest:
                raise _hash_mismatch()
            if row is not None and row.verified:  # someone else's file: this postman proved they hold it
                batch.uploads.append((digest, len(data)))
            else:
                media_type, width, height, ink = _check_image_file(io.BytesIO(data))
                batch.files.append((digest, data, (media_type, width, height, ink)))
        except DomainError as error:
            results.append(status(session, store, digest, user_id).as_dict() | {"problem": _problem(error)})
            continue
        if tally.held is not None:
            tally.held += len(data)
        theirs[digest] = len(data)  # sent again in this request: stored once
        results.append(UploadStatus(digest, len(data), len(data), True).as_dict())
    batch.write(session, store, user_id)
    return results


class _PartsBatch:
    """What a batch upload has checked and not yet written: new files (digest, bytes, image facts),
    upload rows of files the server held already, and files already this postman's."""

    def __init__(self, rows: dict) -> None:
        self.rows = dict(rows)  # the rows as read under the lock, before this batch's parts
        self.files: list[tuple[str, bytes, tuple]] = []
        self.uploads: list[tuple[str, int]] = []
        self.settled: list[str] = []

    def write(self, session: Session, store: AttachmentStore, user_id: int) -> None:
        if not (self.files or self.uploads or self.settled):
            return
        keys = store.put_verified_many([(digest, data) for digest, data, _ in self.files])
        for (digest, data, (media_type, width, height, ink)), key in zip(self.files, keys, strict=True):
            verified = Verified(len(data), media_type, width, height, key, ink)
            self.rows[digest] = _set_verified(session, self.rows.get(digest), digest, verified)
        session.flush()
        uploads = [*((digest, len(data)) for digest, data, _ in self.files), *self.uploads]
        if uploads:  # this postman's upload rows in one statement: nothing reads them back as objects
            session.execute(
                insert(AttachmentUpload),
                [{"sha256": digest, "user_id": user_id, "size_bytes": size} for digest, size in uploads],
            )
        for digest, _, facts in self.files:
            _flag_blank_signatures(session, digest, facts[3])
        mark_complete_proofs(
            session, *(d for d, _, _ in self.files), *(d for d, _ in self.uploads), *self.settled
        )
        self.files, self.uploads, self.settled = [], [], []


def _problem(error: DomainError) -> dict:
    problem = {"type": PROBLEM_TYPE_BASE + error.kind, "status": error.status, "detail": error.detail}
    if error.errors:
        problem["errors"] = error.errors
    problem.update(getattr(error, "extra", None) or {})
    return problem


def _hash_mismatch() -> DomainError:
    return DomainError(
        "hash-mismatch",
        "The bytes do not match their SHA-256; the upload was discarded, send it again from the start.",
        status=422,
    )


def _receive_whole(
    session: Session,
    store: AttachmentStore,
    sha256: str,
    data: bytes,
    row: Attachment | None,
    user_id: int,
    quota: int,
    tally: QuotaTally | None,
    commit: bool,
) -> UploadStatus:
    """A whole file in memory: the same checks as a finished partial upload (quota, digest, an image
    that decodes whole), with one write of the file and, for a batch, no commit of its own."""
    total = len(data)
    _check_quota(session, store, user_id, total, quota, tally)
    if hashlib.sha256(data).hexdigest() != sha256:
        raise _hash_mismatch()
    if row is not None and row.verified:
        # The same bytes as the stored file: the uploader has proved they hold them; stored once.
        _record_upload(session, sha256, user_id, total)
        mark_complete_proofs(session, sha256)
    else:
        media_type, width, height, ink = _check_image_file(io.BytesIO(data))
        key = store.put_verified(sha256, data)
        _write_verified(session, row, sha256, Verified(total, media_type, width, height, key, ink), user_id)
    if tally is not None and tally.held is not None:
        tally.held += total
    if commit:
        session.commit()
    return UploadStatus(sha256, total, total, True)


def store_whole(
    session: Session, store: AttachmentStore, data: bytes, user_id: int, quota: int
) -> Attachment:
    """A small image sent whole by a signed-in user (a signature drawn on the dashboard): checked
    and stored like an upload, without a commit of its own. Returns its verified row."""
    sha256 = hashlib.sha256(data).hexdigest()
    lock_digests(session, [sha256])
    _receive_whole(session, store, sha256, data, session.get(Attachment, sha256), user_id, quota, None, False)
    row = session.get(Attachment, sha256)
    assert row is not None and row.verified
    return row


def _verify_and_promote(
    session: Session, store: AttachmentStore, sha256: str, total: int, user_id: int
) -> UploadStatus:
    if store.partial_digest(sha256, user_id) != sha256:
        store.discard(sha256, user_id)
        raise _hash_mismatch()
    row = session.get(Attachment, sha256)
    if row is not None and row.verified:
        # The same bytes as the stored file (the digest matched): the uploader has proved they hold
        # them; nothing is stored twice.
        store.discard(sha256, user_id)
        _record_upload(session, sha256, user_id, total)
        mark_complete_proofs(session, sha256)
        session.commit()
        return UploadStatus(sha256, total, total, True)
    try:
        media_type, width, height, ink = _check_image(store, sha256, user_id)
    except DomainError:
        store.discard(sha256, user_id)
        raise
    key = store.promote(sha256, user_id)
    _record_verified(session, sha256, Verified(total, media_type, width, height, key, ink), user_id)
    return UploadStatus(sha256, total, total, True)


def _recover_promoted(
    session: Session, store: AttachmentStore, sha256: str, user_id: int | None = None
) -> UploadStatus:
    # Only bytes whose digest matched and that decoded are ever promoted, so what is in place is the
    # file. It is recorded for `user_id` only when that user's own upload was the one promoted.
    with store.open(sha256) as handle, Image.open(handle) as image:
        media_type, (width, height) = (
            IMAGE_TYPES.get(image.format or "", "application/octet-stream"),
            image.size,
        )
        image.load()
        ink = ink_share(image)
        handle.seek(0, 2)
        size = handle.tell()
    _record_verified(
        session, sha256, Verified(size, media_type, width, height, store.key(sha256), ink), user_id
    )
    return UploadStatus(sha256, size, size, True)


def lock_digests(session: Session, digests) -> None:
    """Serialise, per file, a proof being linked to it and the file being verified.

    Without it a push and the last chunk's upload can each miss the other's uncommitted
    write and leave the proof incomplete for ever. SQLite serialises writers already.
    """
    ordered = sorted(set(digests))
    if not ordered or session.get_bind().dialect.name != "postgresql":
        return
    if len(ordered) == 1:
        session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:d))"), {"d": ordered[0]})
        return
    # One statement for a proof's files, taken in digest order (the array's order, no sort node
    # that could run the locks in another order), as the one-at-a-time locks were.
    session.execute(
        text(
            "SELECT pg_advisory_xact_lock(hashtext(t.d)) "
            "FROM unnest(CAST(:ds AS text[])) WITH ORDINALITY AS t(d, n)"
        ),
        {"ds": ordered},
    )


def _record_upload(session: Session, sha256: str, user_id: int, size: int) -> None:
    if not has_uploaded(session, sha256, user_id):
        session.add(AttachmentUpload(sha256=sha256, user_id=user_id, size_bytes=size))
        session.flush()


class Verified(NamedTuple):
    """What the server learnt of a file's bytes once they were checked, and where they are."""

    size: int
    media_type: str
    width: int
    height: int
    key: str
    ink: float


def _record_verified(
    session: Session, sha256: str, facts: Verified, user_id: int | None, commit: bool = True
) -> None:
    lock_digests(session, [sha256])
    _write_verified(session, session.get(Attachment, sha256), sha256, facts, user_id)
    if commit:
        session.commit()


def _write_verified(
    session: Session, row: Attachment | None, sha256: str, facts: Verified, user_id: int | None
) -> None:
    """Record verified bytes; `row` is the file's row as read under its lock (None: not yet)."""
    _set_verified(session, row, sha256, facts)
    session.flush()
    if user_id is not None:
        _record_upload(session, sha256, user_id, facts.size)
    _flag_blank_signatures(session, sha256, facts.ink)
    mark_complete_proofs(session, sha256)


def _set_verified(session: Session, row: Attachment | None, sha256: str, facts: Verified) -> Attachment:
    """The file's row (added if there is none yet) carrying what its verified bytes showed."""
    size, media_type, width, height, key, ink = facts
    if row is None:
        row = Attachment(sha256=sha256)
        session.add(row)
    row.size_bytes, row.media_type, row.width, row.height = size, media_type, width, height
    row.storage_path, row.received_bytes, row.verified, row.verified_at = key, size, True, now_utc()
    row.ink_share = ink
    return row


def _flag_blank_signatures(session: Session, sha256: str, ink: float) -> None:
    """A signature that arrives after its proof or handover record and turns out blank: the record
    is kept (evidence; the papers moved) and flagged for a supervisor. (Sent before it, the
    mutation is rejected instead.)"""
    if ink >= current_app.config["SIGNATURE_MIN_INK"]:
        return
    signed = select(ProofAttachment.attempt_id).where(
        ProofAttachment.sha256 == sha256, ProofAttachment.kind.in_(SIGNATURE_KINDS)
    )
    session.execute(
        update(DeliveryAttempt)
        .where(DeliveryAttempt.id.in_(signed), DeliveryAttempt.flagged.is_(False))
        .values(flagged=True, flag_reason="blank-signature")
    )
    handed = select(HandoverAttachment.handover_id).where(
        HandoverAttachment.sha256 == sha256, HandoverAttachment.kind.in_(SIGNATURE_KINDS)
    )
    session.execute(
        update(Handover)
        .where(Handover.id.in_(handed), Handover.flag_reason.is_(None))
        .values(flag_reason="blank-signature")
    )


def mark_complete_proofs(session: Session, *digests: str) -> None:
    """Proofs waiting for these files become complete when all their files are verified."""
    # Correlated per proof, so it uses the indexes and stays cheap however many files exist.
    # A file counts for a proof once the proof's own postman has uploaded it (only verified files
    # have upload rows).
    waiting = select(ProofAttachment.attempt_id).where(ProofAttachment.sha256.in_(digests))
    still_missing = exists().where(
        ProofAttachment.attempt_id == DeliveryAttempt.id,
        ~exists().where(
            AttachmentUpload.sha256 == ProofAttachment.sha256,
            AttachmentUpload.user_id == DeliveryAttempt.postman_id,
        ),
    )
    session.execute(
        update(DeliveryAttempt)
        .where(DeliveryAttempt.id.in_(waiting), DeliveryAttempt.complete.is_(False), ~still_missing)
        .values(complete=True)
    )


def expire_uploads(store: AttachmentStore, now=None) -> int:
    """Delete unfinished uploads untouched for UPLOAD_EXPIRY_HOURS; returns how many.
    Run by backend.maintenance.run (the one scheduled entry point)."""
    cutoff = (now or now_utc()) - timedelta(hours=current_app.config["UPLOAD_EXPIRY_HOURS"])
    expired = [p for p in store.partials() if p.modified < cutoff]
    for partial in expired:
        store.discard(partial.sha256, partial.owner)
    return len(expired)
