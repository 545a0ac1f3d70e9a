"""Where a proof's files live does not change what postmen and supervisors see: the directory on one
server, or an S3 bucket that several app nodes share (issue 11, "Stateless nodes")."""

from __future__ import annotations

import io
import os
import threading

import pytest
from PIL import Image

from backend import create_app
from backend.extensions import db
from backend.models import Attachment, AttachmentUpload, User
from sync.s3_storage import S3Store
from sync.storage import OffsetMismatch
from tests.conftest import _test_config, s3_bucket
from tests.kit.phone import Phone, sha
from tests.stores import S3_REGION, both_stores, held_partials

CHUNK = 64 * 1024


def _photo(size=(640, 480)) -> bytes:
    """A photo that does not compress to nothing: several chunks and several download blocks."""
    buffer = io.BytesIO()
    Image.frombytes("RGB", size, os.urandom(size[0] * size[1] * 3)).save(buffer, "JPEG", quality=92)
    return buffer.getvalue()


def _put(client, headers, photo: bytes, start: int, end: int):
    return client.put(
        f"/api/sync/attachments/{sha(photo)}",
        data=photo[start:end],
        headers=headers | {"Content-Range": f"bytes {start}-{end - 1}/{len(photo)}"},
        content_type="application/octet-stream",
    )


def _deliver_with(phone: Phone, photo: bytes) -> None:
    """The phone's delivery of its one item, with this photo (already uploaded) as the proof's photo:
    a supervisor sees a file only through a proof of an item of their office."""
    (item_id,) = phone.items
    mutation = phone.deliver(item_id, photo=photo)
    phone.upload_files()
    phone.push()
    assert phone.outcomes[mutation["id"]]["outcome"] == "applied", phone.outcomes[mutation["id"]]


@both_stores
def test_a_supervisor_downloads_a_proof_photo_streamed_in_blocks_with_the_usual_headers(client, app, make):
    supervisor = make.user("supervisor")
    phone, _ = Phone.on_a_round(client, make)
    photo = _photo()
    assert _put(client, phone.headers, photo, 0, len(photo)).get_json()["verified"] is True
    _deliver_with(phone, photo)
    desk = Phone(client, supervisor.username).login()
    response = client.get(f"/api/attachments/{sha(photo)}", headers=desk.headers, buffered=False)
    try:
        assert response.status_code == 200
        assert response.headers["Content-Length"] == str(len(photo))
        assert response.headers["Content-Type"] == "image/jpeg"
        assert (
            response.headers["Content-Disposition"] == f'attachment; filename="proof-{sha(photo)[:16]}.jpg"'
        )
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Cache-Control"] == "private, no-store"
        blocks = list(response.response)
    finally:
        response.close()
    assert (
        len(blocks) > 1 and max(len(block) for block in blocks) <= 64 * 1024
    )  # never the whole file at once
    assert b"".join(blocks) == photo


@both_stores
def test_an_upload_whose_last_bytes_were_written_just_before_the_server_died_is_finished(client, app, make):
    """Every byte in the store, nothing verified: the phone re-sends the last chunk and it verifies."""
    postman = make.user("postman")
    phone = Phone(client, postman.username).login()
    photo = _photo((300, 200))
    store = app.extensions["postround.store"]
    for start in range(0, len(photo), CHUNK):  # what the dead server had written
        store.append(sha(photo), start, photo[start : start + CHUNK], postman.id)
    state = client.get(f"/api/sync/attachments/{sha(photo)}", headers=phone.headers).get_json()
    assert state == {"sha256": sha(photo), "received": len(photo), "size": None, "verified": False}
    retry = _put(client, phone.headers, photo, len(photo) - 1000, len(photo))
    assert retry.status_code == 200 and retry.get_json()["verified"] is True
    assert held_partials(app) == set()
    with store.open(sha(photo)) as handle:
        assert handle.read() == photo


@pytest.fixture
def two_nodes(app, tmp_path):
    """A second app node on the same database and the same bucket, with a disk of its own."""
    assert app.config["ATTACHMENT_STORE"] == "s3"
    other = create_app(
        _test_config(
            app.config["SQLALCHEMY_DATABASE_URI"],
            STORAGE_DIR=str(tmp_path / "node-b"),
            **{
                name: app.config[name]
                for name in ("ATTACHMENT_STORE", "S3_BUCKET", "S3_ENDPOINT_URL", "S3_REGION")
            },
        )
    )
    yield app, other
    with other.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.mark.parametrize("attachment_store", ["s3"], indirect=True)
def test_an_upload_whose_chunks_alternate_between_two_nodes_completes_and_verifies(client, two_nodes, make):
    node_a, node_b = two_nodes
    clients = [client, node_b.test_client()]
    supervisor = make.user("supervisor")
    phone, _ = Phone.on_a_round(client, make)
    photo = _photo()
    starts = list(range(0, len(photo), CHUNK))
    assert len(starts) >= 4
    for n, start in enumerate(starts):
        node = clients[n % 2]
        answer = _put(node, phone.headers, photo, start, min(start + CHUNK, len(photo)))
        assert answer.status_code == 200, answer.get_json()
        done = start + CHUNK >= len(photo)
        assert answer.get_json()["verified"] is done
        if not done:  # the other node knows how far the upload got
            asked = clients[(n + 1) % 2].get(f"/api/sync/attachments/{sha(photo)}", headers=phone.headers)
            assert asked.get_json()["received"] == start + CHUNK
    with node_a.app_context():
        row = db.session.get(Attachment, sha(photo))
        assert row.verified and row.size_bytes == len(photo)
        postman_id = db.session.execute(db.select(User.id).where(User.username == phone.username)).scalar()
        assert db.session.execute(db.select(AttachmentUpload.user_id)).scalars().all() == [postman_id]
    assert held_partials(node_a) == set()
    assert not any(
        os.path.exists(node.config["STORAGE_DIR"]) for node in two_nodes
    )  # nothing on a node's disk
    _deliver_with(phone, photo)
    desk = Phone(clients[0], supervisor.username).login()
    for node in clients:  # either node serves the file
        download = node.get(f"/api/attachments/{sha(photo)}", headers=desk.headers)
        assert download.status_code == 200 and download.data == photo


class _LookedTooEarly(S3Store):
    """A node that read the upload's size just before another node wrote the next chunk."""

    def __init__(self, *args, stale: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.stale = stale
        self.lock = threading.Lock()

    def received(self, sha256, owner):
        with self.lock:
            stale, self.stale = self.stale, None
        return stale if stale is not None else super().received(sha256, owner)


def test_two_nodes_writing_the_same_chunk_at_once_keep_one_and_tell_the_other_where_the_upload_is(s3_server):
    bucket = s3_bucket(s3_server)
    photo = _photo((400, 300))
    digest = sha(photo)
    first = S3Store(bucket, s3_server, S3_REGION)
    first.append(digest, 0, photo[:CHUNK], 7)
    late = _LookedTooEarly(bucket, s3_server, S3_REGION, stale=0)
    with pytest.raises(OffsetMismatch) as refused:
        late.append(digest, 0, b"x" * CHUNK, 7)  # would overwrite the first chunk
    assert refused.value.received == CHUNK
    assert late.received(digest, 7) == CHUNK and first.partial_digest(digest, 7) == sha(photo[:CHUNK])
    late.append(digest, CHUNK, photo[CHUNK:], 7)
    assert first.partial_digest(digest, 7) == digest
    assert first.promote(digest, 7) == f"{digest[:2]}/{digest[2:4]}/{digest}"
    assert list(first.partials()) == [] and first.exists(digest)


def test_a_promotion_stores_only_the_bytes_that_match_the_name(s3_server):
    """Bytes that arrive after the upload was verified (a late retry past the end) never get into the file."""
    bucket = s3_bucket(s3_server)
    store = S3Store(bucket, s3_server, S3_REGION)
    photo = _photo((200, 150))
    digest = sha(photo)
    store.append(digest, 0, photo, 3)
    assert store.partial_digest(digest, 3) == digest
    store.append(digest, len(photo), b"late garbage", 3)
    store.promote(digest, 3)
    with store.open(digest) as handle:
        assert handle.read() == photo
    assert store.partial_bytes(3) == 0


def test_listing_partial_uploads_survives_an_owner_folder_tidied_away_meanwhile(tmp_path):
    """Parallel uploads of one postman (the PWA sends four at once): each promote or discard removes the
    owner's folder when it empties, while another request counts that owner's quota. The count must
    read an absent folder as nothing held, never fail with FileNotFoundError (a 500)."""
    import contextlib

    from sync.storage import DirectoryStore

    store = DirectoryStore(tmp_path)
    folder = tmp_path / "partial" / "7"
    done = threading.Event()

    def upload_and_tidy():
        while not done.is_set():
            with contextlib.suppress(OSError):
                folder.mkdir()
            with contextlib.suppress(OSError):
                folder.rmdir()

    churn = threading.Thread(target=upload_and_tidy)
    churn.start()
    try:
        for _ in range(20_000):
            assert store.partial_bytes(7) == 0
            assert list(store.partials()) == []
    finally:
        done.set()
        churn.join()


@pytest.mark.parametrize("kind", ["directory", "s3"])
def test_several_verified_files_put_at_once_are_each_whole_in_place_and_nothing_else_is_left(
    kind, tmp_path, request
):
    """A batch upload's files go in together (synced to disk at once): each lands whole under its own
    name, a file already there is simply replaced by the same bytes, and no temporary is left."""
    from sync.storage import DirectoryStore

    if kind == "s3":
        server = request.getfixturevalue("s3_server")
        store = S3Store(s3_bucket(server), server, S3_REGION)
    else:
        store = DirectoryStore(tmp_path)
    photos = [_photo((120 + n, 90)) for n in range(5)]
    store.put_verified(sha(photos[0]), photos[0])

    keys = store.put_verified_many([(sha(p), p) for p in photos])

    assert keys == [f"{sha(p)[:2]}/{sha(p)[2:4]}/{sha(p)}" for p in photos]
    for photo in photos:
        assert store.exists(sha(photo))
        with store.open(sha(photo)) as handle:
            assert handle.read() == photo
    assert list(store.partials()) == []
    if kind == "directory":
        assert sorted(p.name for p in tmp_path.rglob("*") if p.is_file()) == sorted(sha(p) for p in photos)
