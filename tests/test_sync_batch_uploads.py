"""A day's proofs over a slow link (issue 16): the phone asks once what the server lacks of a batch's
files, and sends the small ones together, each verified on its own."""

from __future__ import annotations

import pytest

from tests.kit.images import jpeg_bytes, png_signature
from tests.kit.phone import Phone, sha
from tests.stores import both_stores

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
