"""Resumable, verified, content-addressed attachment uploads (no base64 on the wire)."""

from __future__ import annotations

from dataclasses import dataclass

from PIL import Image, UnidentifiedImageError
from sqlalchemy import exists, select, text, update
from sqlalchemy.orm import Session

from backend.domain.rules import DomainError
from backend.models import Attachment, DeliveryAttempt, ProofAttachment
from backend.models.base import now_utc
from sync.storage import AttachmentStore, OffsetMismatch

IMAGE_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
MAX_PIXELS = 40_000_000


@dataclass
class UploadStatus:
    sha256: str
    received: int
    size: int | None
    verified: bool

    def as_dict(self) -> dict:
        return {"sha256": self.sha256, "received": self.received, "size": self.size, "verified": self.verified}


def status(session: Session, store: AttachmentStore, sha256: str) -> UploadStatus:
    row = session.get(Attachment, sha256)
    if row is not None and row.verified:
        return UploadStatus(sha256, row.size_bytes, row.size_bytes, True)
    return UploadStatus(sha256, store.received(sha256), None, False)


def _check_image(store: AttachmentStore, sha256: str) -> tuple[str, int, int]:
    try:
        with store.open_partial(sha256) as handle, Image.open(handle) as image:
            image.verify()
            kind, (width, height) = image.format, image.size
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise DomainError("not-an-image", "The upload is not a readable JPEG, PNG or WebP image.",
                          status=422) from None
    if kind not in IMAGE_TYPES:
        raise DomainError("not-an-image", f"{kind} images are not accepted; send JPEG, PNG or WebP.",
                          status=422)
    if width * height > MAX_PIXELS:
        raise DomainError("image-too-large", f"The image is {width}x{height}; resize it on the phone.",
                          status=422)
    return IMAGE_TYPES[kind], width, height


def receive_chunk(session: Session, store: AttachmentStore, sha256: str, start: int, total: int,
                  data: bytes, max_bytes: int) -> UploadStatus:
    """Take bytes [start, start+len(data)) of a `total`-byte file; verify it when complete."""
    if total > max_bytes:
        raise DomainError("attachment-too-large", f"Attachments may be at most {max_bytes} bytes.", status=413)
    current = status(session, store, sha256)
    if current.verified:
        mark_complete_proofs(session, sha256)  # repairs a proof that raced the first upload
        session.commit()
        return current  # stored once, however often it is sent
    if start + len(data) > total:
        raise DomainError("chunk-out-of-range", "The chunk runs past the declared total size.", status=422)
    if store.exists(sha256):
        # Verified and moved into place, but the server died before recording it.
        return _recover_promoted(session, store, sha256)
    have = store.received(sha256)
    try:
        if start > have:
            raise OffsetMismatch(have)
        # Bytes the server already has (a retry after a lost answer, or a crash after the write)
        # are skipped, so the upload can always be finished.
        received = store.append(sha256, have, data[have - start:]) if start + len(data) > have else have
    except OffsetMismatch as mismatch:
        raise DomainError("offset-mismatch", f"The server has {mismatch.received} bytes of this file; "
                          f"resume from there.", status=409,
                          errors={"received": [str(mismatch.received)]},
                          extra={"received": mismatch.received}) from None
    if received < total:
        return UploadStatus(sha256, received, total, False)
    if received > total:
        store.discard(sha256)
        raise DomainError("hash-mismatch", "More bytes arrived than the declared size; the upload was "
                          "discarded, send it again from the start.", status=422)
    try:
        return _verify_and_promote(session, store, sha256, total)
    except FileNotFoundError:
        # A concurrent request for the same file finished it first.
        if store.exists(sha256):
            return _recover_promoted(session, store, sha256)
        raise


def _verify_and_promote(session: Session, store: AttachmentStore, sha256: str, total: int) -> UploadStatus:
    if store.partial_digest(sha256) != sha256:
        store.discard(sha256)
        raise DomainError("hash-mismatch", "The bytes do not match their SHA-256; the upload was discarded, "
                          "send it again from the start.", status=422)
    try:
        media_type, width, height = _check_image(store, sha256)
    except DomainError:
        store.discard(sha256)
        raise
    key = store.promote(sha256)
    _record_verified(session, sha256, total, media_type, width, height, key)
    return UploadStatus(sha256, total, total, True)


def _recover_promoted(session: Session, store: AttachmentStore, sha256: str) -> UploadStatus:
    # Only bytes whose digest matched are ever promoted, so what is in place is the file.
    with store.open(sha256) as handle, Image.open(handle) as image:
        media_type, (width, height) = IMAGE_TYPES.get(image.format, "application/octet-stream"), image.size
        handle.seek(0, 2)
        size = handle.tell()
    _record_verified(session, sha256, size, media_type, width, height, store.key(sha256))
    return UploadStatus(sha256, size, size, True)


def lock_digests(session: Session, digests) -> None:
    """Serialise, per file, a proof being linked to it and the file being verified.

    Without it a push and the last chunk's upload can each miss the other's uncommitted
    write and leave the proof incomplete for ever. SQLite serialises writers already.
    """
    if session.get_bind().dialect.name == "postgresql":
        for digest in sorted(set(digests)):
            session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:d))"), {"d": digest})


def _record_verified(session: Session, sha256: str, size: int, media_type: str, width: int, height: int,
                     key: str) -> None:
    lock_digests(session, [sha256])
    row = session.get(Attachment, sha256)
    if row is None:
        row = Attachment(sha256=sha256)
        session.add(row)
    row.size_bytes, row.media_type, row.width, row.height = size, media_type, width, height
    row.storage_path, row.received_bytes, row.verified, row.verified_at = key, size, True, now_utc()
    session.flush()
    mark_complete_proofs(session, sha256)
    session.commit()


def mark_complete_proofs(session: Session, sha256: str) -> None:
    """Proofs waiting for this file become complete when all their files are verified."""
    # Correlated per proof, so it uses the indexes and stays cheap however many files exist.
    waiting = select(ProofAttachment.attempt_id).where(ProofAttachment.sha256 == sha256)
    still_missing = exists().where(
        ProofAttachment.attempt_id == DeliveryAttempt.id,
        ~exists().where(Attachment.sha256 == ProofAttachment.sha256, Attachment.verified.is_(True)))
    session.execute(update(DeliveryAttempt).where(DeliveryAttempt.id.in_(waiting),
                                                  DeliveryAttempt.complete.is_(False), ~still_missing)
                    .values(complete=True))
