"""The dashboard's search box and an item's page: a supervisor finds an item, a round or a postman by
what they remember of it (with or without diacritics), never another office's; the item's page tells
its whole story with who and when, and what may be done with it now."""

from __future__ import annotations

from datetime import date

import pytest

from backend.extensions import db
from backend.models import Item
from tests.factories import item_body
from tests.kit.phone import Phone


@pytest.fixture
def desk(make):
    """Two commune offices; a supervisor of each; items of the same name in both."""
    foreign_office = make.office(code="BC-KHAC", name="Bưu cục Giục Tượng")
    supervisor = make.user("supervisor", full_name="Hồ Thị Giám Sát")
    foreign_supervisor = make.user("supervisor", offices=(foreign_office.id,), full_name="Lý Văn Khác")
    lan = make.user("postman", full_name="Trần Thị Lan", phone="0901 111 222")
    foreign_postman = make.user("postman", offices=(foreign_office.id,), full_name="Trần Thị Lan Anh")
    binh = make.item(
        recipient_name="Nguyễn Văn Bình",
        recipient_phone="0912 345 678",
        address_line="Ấp Phước Lợi",
        commune="Xã Mong Thọ",
        dossier_code="000.00.31.H12-261201-0007",
    )
    other = make.item(recipient_name="Nguyễn Văn Bình", office_id=foreign_office.id)
    elsewhere = make.item(
        recipient_name="Phạm Thị Đào",
        recipient_phone="0987 654 321",
        address_line="Khu phố Đông Hòa",
        commune="Xã Châu Thành",
    )
    return {
        "supervisor": supervisor,
        "foreign_supervisor": foreign_supervisor,
        "lan": lan,
        "foreign_postman": foreign_postman,
        "binh": binh,
        "other": other,
        "elsewhere": elsewhere,
        "foreign_office": foreign_office,
    }


def search(client, headers, q, **query):
    response = client.get("/api/search", query_string={"q": q, **query}, headers=headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def codes(group):
    return [hit["code"] for hit in group["results"]]


def test_a_name_typed_without_diacritics_finds_the_item_of_the_own_office_only(client, auth, desk):
    headers = auth(desk["supervisor"])
    for typed in (
        "nguyen van binh",
        "NGUYỄN Văn Bình",
        "binh nguyen",
        "phuoc loi",
        "0912 345",
        "0912345678",
        "mong tho",
    ):
        found = search(client, headers, typed)["items"]
        assert codes(found) == [desk["binh"].code], typed
        assert found["total"] == 1, typed  # the other office's Nguyễn Văn Bình is not counted either
    assert codes(search(client, headers, desk["binh"].code.lower())["items"]) == [desk["binh"].code]
    assert codes(search(client, headers, "h12-261201-0007")["items"]) == [desk["binh"].code]
    assert search(client, headers, "nguyen van binh dao")["items"]["total"] == 0  # every word must match

    theirs = search(client, auth(desk["foreign_supervisor"]), "nguyen van binh")["items"]
    assert codes(theirs) == [desk["other"].code]
    assert search(client, auth(desk["foreign_supervisor"]), desk["binh"].code)["items"]["total"] == 0


def test_an_item_is_found_by_what_was_corrected_and_not_by_what_it_was(client, auth, desk):
    headers = auth(desk["supervisor"])
    item = client.get(f"/api/items/{desk['elsewhere'].id}", headers=headers)
    changed = client.patch(
        f"/api/items/{desk['elsewhere'].id}",
        json={"recipient_name": "Phạm Thị Đào Hương", "address_line": "Ấp Hòa Thạnh"},
        headers={**headers, "If-Match": item.headers["ETag"]},
    )
    assert changed.status_code == 200, changed.get_json()
    assert codes(search(client, headers, "dao huong hoa thanh")["items"]) == [desk["elsewhere"].code]
    assert search(client, headers, "dong hoa")["items"]["total"] == 0


def test_rounds_are_found_by_the_postman_name_or_the_day_and_postmen_by_name(client, make, auth, desk):
    today = date(2026, 12, 1)
    mine = make.round(desk["lan"], today, items=[desk["binh"]])
    make.round(desk["foreign_postman"], today, office_id=desk["foreign_office"].id)
    headers = auth(desk["supervisor"])

    by_name = search(client, headers, "tran thi lan")
    assert [r["id"] for r in by_name["rounds"]["results"]] == [mine.id]
    assert by_name["rounds"]["results"][0]["postman"]["full_name"] == "Trần Thị Lan"
    assert by_name["rounds"]["results"][0]["stop_count"] == 1
    assert [p["full_name"] for p in by_name["postmen"]["results"]] == ["Trần Thị Lan"]
    assert by_name["postmen"]["total"] == 1  # not the other office's Trần Thị Lan Anh

    for typed in ("01/12/2026", "2026-12-01", "lan 1/12/2026"):
        answer = search(client, headers, typed)
        assert answer["date"] == "2026-12-01", typed
        assert [r["id"] for r in answer["rounds"]["results"]] == [mine.id], typed
    assert search(client, headers, "02/12/2026")["rounds"]["total"] == 0
    assert search(client, headers, "0901 111")["postmen"]["results"][0]["full_name"] == "Trần Thị Lan"


def test_each_group_is_paged_with_its_total(client, make, auth, desk):
    for n in range(5):
        make.item(recipient_name=f"Võ Thị Hoa {n}")
    headers = auth(desk["supervisor"])
    first = search(client, headers, "vo thi hoa", per_page=2)
    assert (first["items"]["total"], len(first["items"]["results"])) == (5, 2)
    pages = [
        codes(search(client, headers, "vo thi hoa", per_page=2, page=p, group="items")["items"])
        for p in (1, 2, 3)
    ]
    assert [len(p) for p in pages] == [2, 2, 1]
    assert len({c for p in pages for c in p}) == 5
    only = search(client, headers, "vo thi hoa", group="items")
    assert only["rounds"] is None and only["postmen"] is None
    refused = client.get("/api/search", query_string={"q": "hoa", "per_page": 51}, headers=headers)
    assert refused.status_code == 422 and refused.content_type == "application/problem+json"
    assert client.get("/api/search", headers=headers).status_code == 422  # q is required


def test_a_code_or_phone_typed_whole_is_looked_up_directly_and_finds_only_its_item(client, make, auth, desk):
    # Another item whose text holds the first one's phone digits inside a longer number, and a dossier
    # code that holds the first one's: a whole code or number names one item, not every text holding it.
    make.item(recipient_name="Lê Văn Cường", recipient_phone="0912 345 6789", dossier_code="X-0007")
    headers = auth(desk["supervisor"])
    for typed in ("0912345678", "0912 345 678", "+84 912 345 678", "84912345678", "0912.345.678"):
        found = search(client, headers, typed)["items"]
        assert (codes(found), found["total"], found["more"]) == ([desk["binh"].code], 1, False), typed
    assert codes(search(client, headers, "000.00.31.H12-261201-0007")["items"]) == [desk["binh"].code]
    assert codes(search(client, headers, f"  {desk['binh'].code.lower()} ")["items"]) == [desk["binh"].code]
    assert search(client, headers, "0912 345")["items"]["total"] == 2  # part of a number: the word search
    # Another office's item is not looked up either.
    assert desk["binh"].code not in codes(
        search(client, auth(desk["foreign_supervisor"]), "0912345678")["items"]
    )


def test_a_word_most_items_hold_is_counted_up_to_the_limit_and_newest_change_comes_first(
    app, client, make, auth, desk, monkeypatch
):
    from backend.services import search as service

    monkeypatch.setattr(service, "COUNT_LIMIT", 4)  # 1,000 in service; six items are enough to pass it
    made = [make.item(recipient_name=f"Nguyễn Thị Mai {n}") for n in range(5)]
    headers = auth(desk["supervisor"])
    item = client.get(f"/api/items/{made[2].id}", headers=headers)
    changed = client.patch(
        f"/api/items/{made[2].id}",
        json={"note": "gọi trước"},
        headers={**headers, "If-Match": item.headers["ETag"]},
    )
    assert changed.status_code == 200, changed.get_json()
    found = search(client, headers, "nguyen", per_page=3)["items"]  # 7 items hold it, Nguyễn Văn Bình too
    assert (found["total"], found["more"], len(found["results"])) == (4, True, 3)
    assert codes(found)[0] == made[2].code  # the one changed last
    few = search(client, headers, "thi mai")["items"]
    assert (few["total"], few["more"]) == (4, True)
    assert search(client, headers, "nguyen van binh")["items"] | {"results": None} == {
        "total": 1,
        "more": False,
        "page": 1,
        "per_page": 8,
        "results": None,
    }


def test_postmen_and_agency_officers_have_no_search_box(client, make, auth, desk):
    for user in (desk["lan"], make.user("agency")):
        response = client.get("/api/search", query_string={"q": "binh"}, headers=auth(user))
        assert response.status_code == 403


def test_an_item_page_tells_the_whole_story_with_who_and_when(app, client, make, auth, desk):
    supervisor = desk["supervisor"]
    headers = auth(supervisor)
    agency, procedure = make.agency(), make.procedure()
    body = item_body(procedure.id, agency.id, 61_000_001, recipient_name="Đỗ Thị Mai")
    created = client.post("/api/items", json=body, headers=headers)
    assert created.status_code == 201, created.get_json()
    item_id = created.get_json()["id"]
    minh = make.user("postman", full_name="Võ Văn Minh")
    lan_round, minh_round = make.round(desk["lan"]), make.round(minh)

    assert (
        client.post(
            f"/api/rounds/{lan_round.id}/assign", json={"item_ids": [item_id]}, headers=headers
        ).status_code
        == 200
    )
    phone = Phone(client, desk["lan"].username).login()
    phone.pull()
    phone.fail(item_id, reason="not_home")
    phone.sync()
    phone.deliver(item_id, seed=7)  # offline, while the office gives the item to Minh
    moved = client.post(f"/api/rounds/{minh_round.id}/assign", json={"item_ids": [item_id]}, headers=headers)
    assert moved.status_code == 200, moved.get_json()
    phone.sync()
    flagged = [o for o in phone.outcomes.values() if o.get("flag")]
    assert len(flagged) == 1

    page = client.get(f"/api/items/{item_id}/timeline", headers=headers)
    assert page.status_code == 200, page.get_json()
    story = page.get_json()
    assert page.headers["ETag"] == f'"{story["version"]}"'
    kinds = [(e["kind"], e.get("event") or e.get("outcome")) for e in story["entries"]]
    assert kinds == [
        ("created", None),
        ("event", "receive_from_agency"),
        ("event", "assign"),
        ("proof", "failed"),
        ("event", "fail"),
        ("reassigned", "assign"),
        ("proof", "delivered"),
        ("fee", None),
    ], kinds
    by_kind = {e["kind"]: e for e in story["entries"]}
    assert by_kind["created"]["actor"] == {
        "id": supervisor.id,
        "full_name": "Hồ Thị Giám Sát",
        "role": "supervisor",
    }
    failed = story["entries"][3]
    assert (failed["reason"], failed["actor"]["full_name"]) == ("not_home", "Trần Thị Lan")
    assert failed["counts_as_invitation"] is True
    reassigned = by_kind["reassigned"]
    assert reassigned["from_round"]["postman"]["full_name"] == "Trần Thị Lan"
    assert reassigned["round"]["postman"]["full_name"] == "Võ Văn Minh"
    assert (reassigned["from_status"], reassigned["to_status"]) == ("failed_attempt", "assigned")
    delivered = by_kind["proof"]
    assert (delivered["flagged"], delivered["flag_reason"], delivered["review"]) == (
        True,
        "item-reassigned",
        None,
    )
    assert by_kind["fee"]["service_fee"] == 26_000 and by_kind["fee"]["receipt_number"] == "BL-7"
    assert story["status"] == "assigned"
    assert set(story["allowed_events"]) >= {"cancel", "assign", "unassign", "accept_proof"}
    assert story["editable"] is True

    accepted = client.post(
        f"/api/proofs/{delivered['proof_id']}/accept", json={"note": "Đã gọi người nhận"}, headers=headers
    )
    assert accepted.status_code == 200, accepted.get_json()
    after = client.get(f"/api/items/{item_id}/timeline", headers=headers).get_json()
    review = after["entries"][-1]
    assert (review["kind"], review["review"], review["note"]) == ("review", "accepted", "Đã gọi người nhận")
    assert review["actor"]["full_name"] == "Hồ Thị Giám Sát"
    event = after["entries"][-2]
    assert (event["event"], event["to_status"], event["proof_id"]) == (
        "accept_proof",
        "delivered",
        delivered["proof_id"],
    )
    assert (after["status"], after["editable"], after["allowed_events"]) == ("delivered", False, [])
    with app.app_context():
        assert db.session.get(Item, item_id).status == "delivered"
        times = [e["at"] for e in after["entries"]]
        assert times == sorted(times)


def test_a_dossier_handed_to_the_agency_shows_its_handover_record(client, make, auth, desk):
    headers = auth(desk["supervisor"])
    agency = make.agency(name="UBND xã Mong Thọ")
    dossier = make.item(
        direction="collect", status="collected", agency_id=agency.id, recipient_name="Lâm Văn Tư"
    )
    record = client.post(
        "/api/handovers",
        json={
            "direction": "post_to_agency",
            "agency_id": agency.id,
            "officer_name": "Cán bộ Một Cửa",
            "lines": [{"item_id": dossier.id, "originals": 2, "copies": 1}],
        },
        headers=headers,
    )
    assert record.status_code == 201, record.get_json()
    story = client.get(f"/api/items/{dossier.id}/timeline", headers=headers).get_json()
    handover = next(e for e in story["entries"] if e["kind"] == "handover")
    assert handover["number"] == f"BG-{record.get_json()['id']:06d}"
    assert (handover["agency"], handover["officer_name"], handover["originals"], handover["copies"]) == (
        "UBND xã Mong Thọ",
        "Cán bộ Một Cửa",
        2,
        1,
    )
    assert handover["actor"]["full_name"] == "Hồ Thị Giám Sát"
    moved = next(e for e in story["entries"] if e.get("event") == "hand_to_agency")
    assert moved["handover_id"] == record.get_json()["id"]
    assert story["status"] == "handed_to_agency" and story["allowed_events"] == []


def test_a_cancelled_item_shows_why_and_another_office_cannot_read_its_story(client, auth, desk):
    headers = auth(desk["supervisor"])
    item_id = desk["elsewhere"].id
    etag = client.get(f"/api/items/{item_id}/timeline", headers=headers).headers["ETag"]
    cancelled = client.post(
        f"/api/items/{item_id}/events",
        json={"event": "cancel", "reason": "Cơ quan báo hủy hồ sơ"},
        headers={**headers, "If-Match": etag},
    )
    assert cancelled.status_code == 200, cancelled.get_json()
    entry = client.get(f"/api/items/{item_id}/timeline", headers=headers).get_json()["entries"][-1]
    assert (entry["event"], entry["reason"], entry["to_status"]) == (
        "cancel",
        "Cơ quan báo hủy hồ sơ",
        "cancelled",
    )

    stale = client.post(
        f"/api/items/{item_id}/events", json={"event": "give_up"}, headers={**headers, "If-Match": etag}
    )
    assert stale.status_code == 412  # the version the page saw is gone
    foreign = client.get(f"/api/items/{item_id}/timeline", headers=auth(desk["foreign_supervisor"]))
    assert foreign.status_code == 404 and desk["elsewhere"].code not in foreign.get_data(as_text=True)
