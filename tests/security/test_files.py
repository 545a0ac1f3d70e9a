"""A proof's files: really images, signatures with ink, uploads bound to their uploader, unfinished
uploads expiring, and a per-user quota."""

from __future__ import annotations

import os
import random
import struct
import zlib

import pytest

from backend import maintenance
from backend.extensions import db
from backend.models import Attachment, AttachmentUpload, DeliveryAttempt
from tests.kit.images import blank_image, jpeg_bytes, noisy_jpeg, pad_signature, png_signature
from tests.kit.phone import Phone, sha
from tests.stores import STORES, age_partial, held_partials, stored_objects, verified_copies

# Every story here holds for files in a directory and in an S3 bucket alike.
pytestmark = pytest.mark.parametrize("attachment_store", STORES, indirect=True)


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _png(*chunks: bytes) -> bytes:
    header = _chunk(b"IHDR", struct.pack(">IIBBBBB", 64, 48, 8, 2, 0, 0, 0))
    return b"\x89PNG\r\n\x1a\n" + header + b"".join(chunks) + _chunk(b"IEND", b"")


GOOD = jpeg_bytes(3, (200, 150))
SOS = GOOD.index(b"\xff\xda")
BROKEN = {
    "truncated JPEG": GOOD[: len(GOOD) // 2],
    "JPEG header without scan data": GOOD[:SOS] + b"\xff\xd9",
    "PNG with garbage IDAT (valid CRC)": _png(_chunk(b"IDAT", os.urandom(400))),
    "PNG with a valid header and no image data": _png(),
    "PNG whose pixel data stops short": _png(_chunk(b"IDAT", zlib.compress(b"\x00" * 40))),
    "not an image": b"%PDF-1.4 this is not a photo",
}


def _put(
    client, headers, content: bytes, start: int = 0, total: int | None = None, digest: str | None = None
):
    total = len(content) if total is None else total
    return client.put(
        f"/api/sync/attachments/{digest or sha(content)}",
        data=content,
        headers=headers | {"Content-Range": f"bytes {start}-{start + len(content) - 1}/{total}"},
        content_type="application/octet-stream",
    )


@pytest.fixture
def postmen(make):
    first, second = make.user("postman"), make.user("postman")
    items = [make.item() for _ in range(4)]
    make.round(first, items=items[:2])
    make.round(second, items=items[2:])
    return first, second, items


@pytest.fixture
def phone(client, postmen):
    """The first postman's phone, signed in, with the round downloaded."""
    phone = Phone(client, postmen[0].username).login()
    phone.pull()
    return phone


def _deliver_in_person(phone, item_id: int, files: dict[str, bytes]) -> None:
    """A result handed to the recipient in person, with these files."""
    phone.capture("deliver", item_id, {"receiver_name": "Bích", "receiver_relation": "self"}, files)


@pytest.mark.parametrize("name", list(BROKEN))
def test_a_file_that_does_not_decode_whole_is_refused_and_nothing_is_kept(client, app, postmen, name):
    phone = Phone(client, postmen[0].username).login()
    response = _put(client, phone.headers, BROKEN[name])
    assert response.status_code == 422, response.get_json()
    body = response.get_json()
    assert body["type"].endswith("/not-an-image") and "/" in body["detail"]  # English / Vietnamese
    with app.app_context():
        assert db.session.get(Attachment, sha(BROKEN[name])) is None
    assert stored_objects(app) == []


def test_a_blank_signature_is_refused_and_a_blank_photo_is_not(client, app, postmen, phone):
    items = postmen[2]
    for blank in (
        blank_image(),
        blank_image("RGBA", (0, 0, 0, 0)),
        blank_image("RGB", (250, 250, 250), "JPEG"),
    ):
        _deliver_in_person(phone, items[0].id, {"signature": blank})
        phone.upload_files()
        result = phone.push()["results"][0]
        assert (result["outcome"], result["reason"]) == ("rejected", "blank-signature"), result
        assert "ký lại" in result["detail"]
    _deliver_in_person(
        phone,
        items[0].id,
        {"signature": png_signature(4), "photo": blank_image("RGB", (128, 128, 128), "JPEG")},
    )
    phone.upload_files()
    assert phone.push()["results"][0]["outcome"] == "applied"


def test_a_blank_signature_sent_after_its_proof_flags_the_proof_for_a_supervisor(client, app, postmen, phone):
    items = postmen[2]
    _deliver_in_person(phone, items[0].id, {"signature": blank_image()})
    assert phone.push()["results"][0]["outcome"] == "applied"  # the file is not there yet
    phone.upload_files()
    with app.app_context():
        proof = db.session.execute(db.select(DeliveryAttempt)).scalar_one()
        assert (proof.flagged, proof.flag_reason) == (True, "blank-signature")


def test_another_postmans_chunks_never_spoil_an_upload_in_progress(client, app, postmen):
    first, second, _ = postmen
    mine, theirs = Phone(client, first.username).login(), Phone(client, second.username).login()
    photo = noisy_jpeg(random.Random(1), quality=90)
    digest, half = sha(photo), len(photo) // 2
    assert (
        _put(client, mine.headers, photo[:half], total=len(photo), digest=digest).get_json()["received"]
        == half
    )
    # The other postman sends garbage under the same name, from the start and at the same offset.
    garbage = os.urandom(len(photo))
    assert _put(client, theirs.headers, garbage[:half], total=len(photo), digest=digest).status_code == 200
    spoil = _put(client, theirs.headers, garbage[half:], start=half, total=len(photo), digest=digest)
    assert spoil.status_code == 422 and spoil.get_json()["type"].endswith("/hash-mismatch")
    assert client.get(f"/api/sync/attachments/{digest}", headers=mine.headers).get_json()["received"] == half
    done = _put(client, mine.headers, photo[half:], start=half, total=len(photo), digest=digest)
    assert done.status_code == 200 and done.get_json()["verified"] is True


def test_a_proof_counts_a_file_only_once_its_own_postman_has_sent_it(client, app, postmen):
    """Knowing a digest is not having the photo: the second postman's proof stays incomplete until
    they upload the bytes themselves; the bytes are still stored once."""
    first, second, items = postmen
    mine, theirs = Phone(client, first.username).login(), Phone(client, second.username).login()
    photo, signature = noisy_jpeg(random.Random(2), quality=90), png_signature(7)
    assert _put(client, mine.headers, photo).get_json()["verified"] is True
    theirs.pull()
    _deliver_in_person(theirs, items[2].id, {"signature": signature, "photo": photo})
    assert _put(client, theirs.headers, signature).get_json()["verified"] is True
    result = theirs.push()["results"][0]
    assert result["outcome"] == "applied" and result["missing_attachments"] == [sha(photo)]
    status = client.get(f"/api/sync/attachments/{sha(photo)}", headers=theirs.headers).get_json()
    assert status == {"sha256": sha(photo), "received": 0, "size": None, "verified": False}
    with app.app_context():
        assert db.session.get(DeliveryAttempt, result["proof_id"]).complete is False
    assert _put(client, theirs.headers, photo).get_json()["verified"] is True
    with app.app_context():
        assert db.session.get(DeliveryAttempt, result["proof_id"]).complete is True
        uploads = (
            db.session.execute(
                db.select(AttachmentUpload.user_id).where(AttachmentUpload.sha256 == sha(photo))
            )
            .scalars()
            .all()
        )
        assert sorted(uploads) == sorted([first.id, second.id])
    assert len(verified_copies(app, sha(photo))) == 1


def test_unfinished_uploads_expire_and_the_maintenance_run_cleans_them(client, app, postmen, runner):
    phone = Phone(client, postmen[0].username).login()
    old, fresh = noisy_jpeg(random.Random(3), quality=90), noisy_jpeg(random.Random(4), quality=90)
    _put(client, phone.headers, old[:100], total=len(old), digest=sha(old))
    _put(client, phone.headers, fresh[:100], total=len(fresh), digest=sha(fresh))
    age_partial(app, sha(old), postmen[0].id, app.config["UPLOAD_EXPIRY_HOURS"] * 3600 + 60)
    assert held_partials(app) == {(postmen[0].id, sha(old)), (postmen[0].id, sha(fresh))}
    with app.app_context():
        counts = maintenance.run()
    assert counts["expired_uploads"] == 1 and held_partials(app) == {(postmen[0].id, sha(fresh))}
    assert not [name for name in stored_objects(app) if sha(old) in name]  # its bytes are gone
    assert (
        client.get(f"/api/sync/attachments/{sha(fresh)}", headers=phone.headers).get_json()["received"] == 100
    )
    result = runner.invoke(args=["maintenance"])
    assert result.exit_code == 0 and "expired_uploads=0" in result.output


def test_a_postman_over_the_upload_quota_gets_a_clear_problem_until_a_proof_names_the_files(
    client, app, postmen, phone
):
    items = postmen[2]
    first, second = noisy_jpeg(random.Random(5), quality=90), noisy_jpeg(random.Random(6), quality=90)
    app.config["UPLOAD_QUOTA_BYTES"] = len(first) + len(second) // 2
    assert _put(client, phone.headers, first).get_json()["verified"] is True
    refused = _put(client, phone.headers, second)
    assert refused.status_code == 413 and refused.content_type == "application/problem+json"
    body = refused.get_json()
    assert (
        body["type"].endswith("/upload-quota-exceeded")
        and "MiB" in body["detail"]
        and "tối đa" in body["detail"]
    )
    _deliver_in_person(phone, items[0].id, {"signature": png_signature(1), "photo": first})
    phone.upload_files()
    assert phone.push()["results"][0]["outcome"] == "applied"  # evidence never counts against the quota
    assert _put(client, phone.headers, second).get_json()["verified"] is True


@pytest.mark.parametrize(
    "strokes, outcome",
    [
        ([(300, 303, 160)], "rejected"),  # a tap
        ([(300, 380, 160)], "applied"),  # short initials
        ([(60, 620, 150), (80, 600, 170)], "applied"),  # a full signature
    ],
)
def test_a_tap_on_the_signature_pad_is_not_a_signature_but_short_initials_are(
    client, postmen, phone, strokes, outcome
):
    items = postmen[2]
    _deliver_in_person(phone, items[0].id, {"signature": pad_signature(strokes)})
    phone.upload_files()
    assert phone.push()["results"][0]["outcome"] == outcome
