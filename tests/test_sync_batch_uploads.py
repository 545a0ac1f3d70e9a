"""A day's proofs over a slow link (issue 16): the phone asks once what the server lacks of a batch's
files, and sends the small ones together, each verified on its own."""

from __future__ import annotations

import random

import pytest

from tests.kit.images import drawn_signature, jpeg_bytes, noisy_jpeg, png_signature
from tests.kit.phone import Phone, sha
from tests.kit.statements import statements_of
from tests.stores import both_stores, held_partials, verified_copies

CHECK = "/api/sync/attachments/check"


def _put(phone, content: bytes, start: int = 0, end: int | None = None):
    end = len(content) if end is None else end
    return phone.client.put(
        f"/api/sync/attachments/{sha(content)}",
        data=content[start:end],
        headers=phone.headers | {"Content-Range": f"bytes {start}-{end - 1}/{len(content)}"},
        content_type="application/octet-stream",
    )


def _check(phone, digests):
    return phone.client.post(CHECK, json={"digests": digests}, headers=phone.headers)


@both_stores
def test_one_call_says_per_file_what_the_server_holds_of_a_batch_and_whether_it_is_verified(client, make):
    phone, _ = Phone.on_a_round(client, make)
    sent, half, never = png_signature(1), jpeg_bytes(2, (200, 150)), jpeg_bytes(3)
    assert _put(phone, sent).get_json()["verified"] is True
    assert _put(phone, half, 0, 100).get_json()["received"] == 100

    response = _check(phone, [sha(never), sha(sent), sha(half), sha(sent)])

    assert response.status_code == 200
    assert response.get_json()["attachments"] == [  # in the order asked, each digest once
        {"sha256": sha(never), "received": 0, "size": None, "verified": False},
        {"sha256": sha(sent), "received": len(sent), "size": len(sent), "verified": True},
        {"sha256": sha(half), "received": 100, "size": None, "verified": False},
    ]
    # ... and the largest file the batch upload takes, so the phone need not know the setting.
    assert response.get_json()["small_upload_bytes"] == client.application.config["SMALL_UPLOAD_BYTES"]
    for state in response.get_json()["attachments"]:  # the same as the single-file GET says
        single = client.get(f"/api/sync/attachments/{state['sha256']}", headers=phone.headers)
        assert single.get_json() == state


@both_stores
def test_the_batch_check_tells_a_postman_nothing_of_files_other_postmen_sent(client, make):
    """Another postman's whole file and unfinished upload read as never sent, as on the single GET."""
    phone, _ = Phone.on_a_round(client, make)
    other, _ = Phone.on_a_round(client, make)
    theirs, unfinished = jpeg_bytes(4), jpeg_bytes(5, (200, 150))
    assert _put(other, theirs).get_json()["verified"] is True
    assert _put(other, unfinished, 0, 100).get_json()["received"] == 100

    answer = _check(phone, [sha(theirs), sha(unfinished)]).get_json()["attachments"]

    assert answer == [
        {"sha256": sha(theirs), "received": 0, "size": None, "verified": False},
        {"sha256": sha(unfinished), "received": 0, "size": None, "verified": False},
    ]


@pytest.mark.parametrize(
    "body, field",
    [
        ({"digests": []}, "digests"),
        ({"digests": ["a" * 64] * 1001}, "digests"),
        ({"digests": ["A" * 64]}, "digests"),
        ({"digests": ["abc"]}, "digests"),
        ({"digests": "a" * 64}, "digests"),
        ({}, "digests"),
        ({"digests": ["a" * 64], "more": 1}, "more"),
    ],
    ids=["empty", "too many", "upper case", "short", "not a list", "missing", "unknown field"],
)
def test_a_bad_batch_check_is_a_422_problem_naming_the_field(client, make, body, field):
    phone, _ = Phone.on_a_round(client, make)
    response = phone.client.post(CHECK, json=body, headers=phone.headers)
    assert response.status_code == 422
    assert response.content_type == "application/problem+json"
    problem = response.get_json()
    assert problem["type"].endswith("/validation-error")
    assert field in str(problem["errors"])
    assert response.headers["X-PostRound-Protocol"] == "1"


BATCH = "/api/sync/attachments"
BOUNDARY = "postround-test-boundary-7f3a"


def multipart(parts: list[tuple[str, bytes]], boundary: str = BOUNDARY) -> bytes:
    """A multipart/form-data body as a phone's FormData sends it: raw bytes, one part per file."""
    body = b""
    for name, content in parts:
        body += (
            (
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{name[:16]}"\r\n'
                "Content-Type: application/octet-stream\r\n\r\n"
            ).encode()
            + content
            + b"\r\n"
        )
    return body + f"--{boundary}--\r\n".encode()


def _send_batch(phone, parts, **kwargs):
    return phone.client.post(
        BATCH,
        data=multipart(parts),
        content_type=f"multipart/form-data; boundary={BOUNDARY}",
        headers=phone.headers,
        **kwargs,
    )


@both_stores
def test_small_files_travel_together_and_each_part_is_verified_on_its_own(client, app, make):
    phone, _ = Phone.on_a_round(client, make)
    signatures = [png_signature(seed) for seed in range(1, 4)]
    impostor = png_signature(9)
    parts = [(sha(s), s) for s in signatures]
    parts.insert(1, (sha(impostor), impostor[:-5] + b"xxxxx"))  # bytes that are not what they claim
    parts.append((sha(b"just some text"), b"just some text"))  # not an image
    parts.append(("not-a-digest", signatures[0]))

    response = _send_batch(phone, parts)

    assert response.status_code == 200
    results = response.get_json()["attachments"]
    assert [r["sha256"] for r in results] == [name for name, _ in parts[:-1]] + [None]
    assert [r["verified"] for r in results] == [True, False, True, True, False, False]
    assert [r.get("problem", {}).get("type", "").rsplit("/", 1)[-1] for r in results] == [
        "",
        "hash-mismatch",
        "",
        "",
        "not-an-image",
        "bad-digest",
    ]
    assert results[1]["problem"]["status"] == 422 and results[1]["received"] == 0
    for signature in signatures:  # the single-file GET agrees, and nothing is left half-stored
        state = client.get(f"/api/sync/attachments/{sha(signature)}", headers=phone.headers).get_json()
        assert state == {
            "sha256": sha(signature),
            "received": len(signature),
            "size": len(signature),
            "verified": True,
        }
    assert held_partials(app) == set()
    assert all(len(verified_copies(app, sha(s))) == 1 for s in signatures)

    again = _send_batch(phone, parts[:1] + parts[2:4]).get_json()["attachments"]  # a retry is safe
    assert [r["verified"] for r in again] == [True, True, True]
    assert all(len(verified_copies(app, sha(s))) == 1 for s in signatures)


@both_stores
def test_a_part_over_the_small_file_limit_is_refused_alone_without_being_kept(client, app, make):
    app.config["SMALL_UPLOAD_BYTES"] = 2048
    phone, _ = Phone.on_a_round(client, make)
    small, big = png_signature(1), jpeg_bytes(7, (400, 300))
    assert len(small) <= 2048 < len(big)

    results = _send_batch(phone, [(sha(big), big), (sha(small), small)]).get_json()["attachments"]

    assert results[0]["verified"] is False
    assert results[0]["problem"]["type"].endswith("/part-too-large")
    assert results[0]["problem"]["status"] == 413 and results[0]["problem"]["errors"] == {"size": ["2048"]}
    assert results[1]["verified"] is True
    assert held_partials(app) == set()  # nothing of the big one was written
    assert _put(phone, big).get_json()["verified"] is True  # it goes by PUT as before


def test_a_batch_larger_than_the_upload_limit_is_refused_before_it_is_read(client, app, make):
    app.config["MAX_UPLOAD_BYTES"] = 4096
    phone, _ = Phone.on_a_round(client, make)
    signatures = [png_signature(seed) for seed in range(1, 40)]
    body = multipart([(sha(s), s) for s in signatures])
    assert len(body) > 4096

    response = _send_batch(phone, [(sha(s), s) for s in signatures])

    assert response.status_code == 413
    assert response.content_type == "application/problem+json"
    assert held_partials(app) == set()
    state = _check(phone, [sha(s) for s in signatures]).get_json()["attachments"]
    assert not any(s["verified"] for s in state)


def test_a_proof_whose_files_came_in_one_batch_is_complete_when_pushed(client, make):
    phone, items = Phone.on_a_round(client, make)
    phone.deliver(items[0].id, seed=3)
    assert all(len(content) <= 64 * 1024 for content in phone.files.values())

    results = _send_batch(phone, list(phone.files.items())).get_json()["attachments"]
    assert all(r["verified"] for r in results) and len(results) == 2
    pushed = phone.push()

    assert pushed["results"][0]["outcome"] == "applied"
    assert "missing_attachments" not in pushed["results"][0]


@pytest.mark.parametrize(
    "content_type, body, kind, status",
    [
        ("application/octet-stream", b"raw bytes", "unsupported-media-type", 415),
        ("multipart/form-data", b"--x\r\n", "unsupported-media-type", 415),  # no boundary
        (f"multipart/form-data; boundary={BOUNDARY}", b"no parts at all", "malformed-body", 400),
        (
            f"multipart/form-data; boundary={BOUNDARY}",
            f"--{BOUNDARY}\r\nContent-Type: image/png\r\n\r\nxx\r\n--{BOUNDARY}--\r\n".encode(),
            "malformed-body",
            400,
        ),
    ],
    ids=["not multipart", "no boundary", "no parts", "no content-disposition"],
)
def test_a_batch_upload_that_is_not_readable_multipart_is_a_problem(
    client, make, content_type, body, kind, status
):
    phone, _ = Phone.on_a_round(client, make)
    response = phone.client.post(BATCH, data=body, content_type=content_type, headers=phone.headers)
    assert response.status_code == status
    assert response.content_type == "application/problem+json"
    assert response.get_json()["type"].endswith(f"/{kind}")
    assert response.headers["X-PostRound-Protocol"] == "1"


def test_a_batch_upload_with_no_parts_answers_an_empty_list(client, make):
    phone, _ = Phone.on_a_round(client, make)
    for body in (b"", f"--{BOUNDARY}--\r\n".encode()):
        response = phone.client.post(
            BATCH, data=body, content_type=f"multipart/form-data; boundary={BOUNDARY}", headers=phone.headers
        )
        assert response.status_code == 200 and response.get_json() == {"attachments": []}


def test_more_parts_than_a_batch_takes_is_refused(client, make):
    phone, _ = Phone.on_a_round(client, make)
    signature = png_signature(1)
    response = _send_batch(phone, [(sha(signature), signature)] * 201)
    assert response.status_code == 413
    assert response.content_type == "application/problem+json"


def test_a_day_photo_of_the_usual_size_travels_in_the_batch_by_default(client, make):
    """A ~120 KB photo (what the app's camera keeps) is under the default limit: the day's photos go
    together with the signatures, not one PUT each."""
    phone, _ = Phone.on_a_round(client, make)
    photo = noisy_jpeg(random.Random(7), (480, 360))  # ~130 KB of noise: it does not compress
    assert 60 * 1024 < len(photo) <= client.application.config["SMALL_UPLOAD_BYTES"] == 256 * 1024

    results = _send_batch(phone, [(sha(photo), photo)]).get_json()["attachments"]

    assert results == [{"sha256": sha(photo), "received": len(photo), "size": len(photo), "verified": True}]


@both_stores
def test_the_files_of_a_batch_cut_short_that_arrived_whole_are_kept(client, app, make):
    """The server commits a batch's files once, at the end of the request; a body that breaks off
    in the middle of a part still keeps the parts before it, and the phone learns so from a check."""
    phone, _ = Phone.on_a_round(client, make)
    whole = [png_signature(seed) for seed in (1, 2)]
    cut = png_signature(3)
    body = multipart([(sha(s), s) for s in whole])
    body = body[: -len(f"--{BOUNDARY}--\r\n")]  # ... and the third part breaks off mid-file
    body += (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{sha(cut)}"; filename="x"\r\n\r\n'
    ).encode() + cut[: len(cut) // 2]

    response = phone.client.post(
        BATCH, data=body, content_type=f"multipart/form-data; boundary={BOUNDARY}", headers=phone.headers
    )

    assert response.status_code == 400 and response.get_json()["type"].endswith("/malformed-body")
    state = _check(phone, [sha(s) for s in [*whole, cut]]).get_json()["attachments"]
    assert [s["verified"] for s in state] == [True, True, False]
    assert state[2]["received"] == 0  # nothing of the broken part is kept
    assert held_partials(app) == set()
    assert all(len(verified_copies(app, sha(s))) == 1 for s in whole)


def test_a_file_sent_whole_in_one_put_leaves_no_partial_upload_behind(client, app, make):
    """A whole file in one request is checked in memory and put in place: no partial upload is
    written for it (nothing for expiry to find), and sending it again is stored once."""
    phone, _ = Phone.on_a_round(client, make)
    photo = jpeg_bytes(11, (320, 240))
    for _ in range(2):
        assert _put(phone, photo).get_json() == {
            "sha256": sha(photo),
            "received": len(photo),
            "size": len(photo),
            "verified": True,
        }
        assert held_partials(app) == set()
        assert len(verified_copies(app, sha(photo))) == 1
    other = jpeg_bytes(12, (320, 240))
    wrong = phone.client.put(  # other bytes under a name that is not theirs
        f"/api/sync/attachments/{sha(b'not these bytes')}",
        data=other,
        headers=phone.headers,
        content_type="application/octet-stream",
    )
    assert wrong.status_code == 422 and wrong.get_json()["type"].endswith("/hash-mismatch")
    assert held_partials(app) == set()


def test_a_batch_of_many_files_costs_the_server_no_more_statements_than_a_batch_of_two(client, app, make):
    """The batch's files are looked up, written and recorded together: a day's photos in one request
    do not cost a round of statements each."""
    phone, _ = Phone.on_a_round(client, make)
    few = [drawn_signature(seed) for seed in (1, 2)]
    many = [drawn_signature(seed) for seed in range(3, 15)]

    def send(files):
        return lambda: _send_batch(phone, [(sha(f), f) for f in files]).get_json()

    (for_few, sent_few), (for_many, sent_many) = statements_of(app, send(few)), statements_of(app, send(many))
    answers = [sent_few, sent_many]

    assert [len(a["attachments"]) for a in answers] == [2, 12]
    assert all(r["verified"] for a in answers for r in a["attachments"])
    assert len(for_many) == len(for_few), "\n".join(s[:150] for s in for_few + ["----"] + for_many)
    assert all(len(verified_copies(app, sha(f))) == 1 for f in few + many)


@both_stores
def test_a_file_sent_twice_in_one_batch_is_stored_once_and_completes_the_proof_pushed_before_it(
    client, app, make
):
    phone, items = Phone.on_a_round(client, make)
    phone.deliver(items[0].id, seed=4)
    pushed = phone.push()
    assert pushed["results"][0]["outcome"] == "applied"
    assert sorted(pushed["results"][0]["missing_attachments"]) == sorted(phone.files)
    signature, photo = phone.files.values()

    results = _send_batch(
        phone, [(sha(signature), signature), (sha(photo), photo), (sha(signature), signature)]
    ).get_json()["attachments"]

    assert [(r["sha256"], r["verified"], r["size"]) for r in results] == [
        (sha(signature), True, len(signature)),
        (sha(photo), True, len(photo)),
        (sha(signature), True, len(signature)),
    ]
    assert all(len(verified_copies(app, digest)) == 1 for digest in phone.files)
    assert held_partials(app) == set()
    from backend.models import DeliveryAttempt

    with app.app_context():
        (proof,) = DeliveryAttempt.query.filter_by(item_id=items[0].id).all()
        assert proof.complete and not proof.flagged


def test_a_push_looks_at_its_files_once_for_the_batch_not_once_per_proof(client, app, make):
    """Which of a batch's files this postman has sent, and which signatures are blank, is read once
    for the whole push (under the files' locks), however many proofs it carries."""
    phone, items = Phone.on_a_round(client, make, items=[make.item() for _ in range(4)])
    for n, item in enumerate(items[:3], start=1):
        phone.deliver(item.id, seed=n)
    phone.upload_files()

    statements, answer = statements_of(app, phone.push)

    assert [r["outcome"] for r in answer["results"]] == ["applied"] * 3
    assert not any("missing_attachments" in r for r in answer["results"])
    assert len([s for s in statements if "FROM attachment_uploads" in s]) == 1
    assert len([s for s in statements if "FROM attachments" in s]) == 1
