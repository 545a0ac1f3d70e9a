"""A supervisor acts on many items at once from the planning page's backlog.

The backlog is filtered (commune, agency, procedure, due date, status, direction), sorted and paged
with its total; "select all matching" is the whole filtered set; one call assigns, reschedules or
cancels the selection, all or nothing, naming each refused item. Run on SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from backend.domain.vocabulary import label
from backend.extensions import db
from backend.models import AuditEntry, Item, Round

TODAY = datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).date()
WAITING = ["at_post_office", "registered", "failed_attempt"]


def _round(client, headers, postman):
    created = client.post(
        "/api/rounds", headers=headers, json={"postman_id": postman.id, "round_date": TODAY.isoformat()}
    )
    assert created.status_code == 201
    return created.get_json()["id"]


def _bulk(client, headers, body):
    """One bulk action from the planning page's selection."""
    return client.post("/api/items/bulk-action", headers=headers, json=body)


def _round_holding(app, client, make, headers, postman, count, on_round):
    """`count` waiting items, and today's round of `postman` with the first `on_round` (version 2)."""
    made = make.waiting_items(count)
    round_id = _round(client, headers, postman)
    ids = made[0][:on_round]
    assert (
        client.post(f"/api/rounds/{round_id}/assign", headers=headers, json={"item_ids": ids}).status_code
        == 200
    )
    return made, round_id


def test_a_supervisor_assigns_all_300_items_of_a_commune_to_one_round_in_one_go(
    app, client, make, auth, supervisor, postman
):
    headers = auth(supervisor)
    ids, _, _ = make.waiting_items(300)
    elsewhere = make.item(commune="Xã Khánh Bình")
    round_id = _round(client, headers, postman)
    backlog = {"status": WAITING, "commune": "Xã Mỹ Hòa Hưng", "unassigned": True}

    page = client.get(
        "/api/items", headers=headers, query_string={**backlog, "per_page": 50, "sort": "due_date"}
    )
    assert page.headers["X-Total-Count"] == "300" and len(page.get_json()) == 50
    dues = [i["due_date"] for i in page.get_json()]
    assert dues == sorted(dues) and dues[0] == TODAY.isoformat()

    done = _bulk(
        client,
        {**headers, "If-Match": '"1"'},
        {"action": "assign", "round_id": round_id, "filter": backlog},
    )
    assert done.status_code == 200, done.get_json()
    assert (done.get_json()["count"], done.get_json()["round_version"]) == (300, 2)
    assert sorted(done.get_json()["item_ids"]) == sorted(ids)

    detail = client.get(f"/api/rounds/{round_id}", headers=headers).get_json()
    assert [s["stop_order"] for s in detail["stops"]] == list(range(1, 301))
    assert {s["id"] for s in detail["stops"]} == set(ids)
    assert all(s["status"] == "assigned" for s in detail["stops"])
    assert db.session.get(Item, elsewhere.id).round_id is None
    assert client.get("/api/items", headers=headers, query_string=backlog).headers["X-Total-Count"] == "0"


def test_one_delivered_item_refuses_the_whole_reschedule_and_says_which(app, client, make, auth, supervisor):
    headers = auth(supervisor)
    ids, _, _ = make.waiting_items(5)
    delivered = make.item(status="delivered")
    new_due = TODAY + timedelta(days=10)

    refused = _bulk(
        client,
        headers,
        {"action": "reschedule", "due_date": new_due.isoformat(), "item_ids": [*ids, delivered.id]},
    )
    assert refused.status_code == 409
    problem = refused.get_json()
    assert problem["type"].endswith("bulk-refused")
    assert [r["code"] for r in problem["refused"]] == [delivered.code]
    assert "1 of 6 items cannot be rescheduled" in problem["detail"]
    vi, en = label("status", "delivered"), label("status", "delivered", "en")
    assert problem["errors"]["items"] == {str(delivered.id): [f"đang ở trạng thái “{vi}”. / it is “{en}”."]}
    db.session.expire_all()
    assert all(db.session.get(Item, i).due_date != new_due for i in ids)

    done = _bulk(
        client,
        headers,
        {"action": "reschedule", "due_date": new_due.isoformat(), "item_ids": ids},
    )
    assert done.status_code == 200 and done.get_json()["count"] == 5
    db.session.expire_all()
    assert all(db.session.get(Item, i).due_date == new_due for i in ids)
    versions = {db.session.get(Item, i).version for i in ids}
    assert versions == {2}  # the item page's If-Match sees the change


def test_cancelling_items_on_a_round_takes_them_off_it_and_tells_the_round(
    app, client, make, auth, supervisor, postman
):
    headers = auth(supervisor)
    (ids, agency_id, procedure_id), round_id = _round_holding(app, client, make, headers, postman, 4, 2)

    done = _bulk(
        client,
        headers,
        {
            "action": "cancel",
            "reason": "Cơ quan rút hồ sơ",
            "filter": {"agency_id": agency_id, "procedure_id": procedure_id},
        },
    )
    assert done.status_code == 200 and done.get_json()["count"] == 4
    db.session.expire_all()
    assert {db.session.get(Item, i).status for i in ids} == {"cancelled"}
    assert db.session.get(Round, round_id).items == []
    reasons = (
        db.session.execute(db.select(AuditEntry.detail).where(AuditEntry.action == "item.cancel"))
        .scalars()
        .all()
    )
    assert len(reasons) == 4 and all(r["reason"] == "Cơ quan rút hồ sơ" for r in reasons)
    stale = client.post(f"/api/rounds/{round_id}/optimise", headers={**headers, "If-Match": '"2"'})
    assert stale.status_code == 412
    assert stale.get_json()["changes"][0]["summary_en"] == "cancelled 2 items"


def test_a_bulk_assign_on_a_stale_round_is_refused_and_nothing_moves(
    app, client, make, auth, supervisor, postman
):
    (ids, _, _), round_id = _round_holding(app, client, make, auth(supervisor), postman, 3, 1)
    headers = auth(supervisor)
    stale = _bulk(
        client,
        {**headers, "If-Match": '"1"'},
        {"action": "assign", "round_id": round_id, "item_ids": ids[1:]},
    )
    assert stale.status_code == 412 and stale.get_json()["current_version"] == 2
    db.session.expire_all()
    assert [db.session.get(Item, i).round_id for i in ids[1:]] == [None, None]


def test_a_filter_matching_more_than_one_request_may_move_is_refused_not_cut(
    app, client, make, auth, supervisor
):
    app.config["MAX_BULK_ITEMS"] = 10
    headers = auth(supervisor)
    make.waiting_items(12)
    refused = _bulk(
        client,
        headers,
        {"action": "reschedule", "due_date": TODAY.isoformat(), "filter": {"commune": "Xã Mỹ Hòa Hưng"}},
    )
    assert refused.status_code == 422
    assert (refused.get_json()["matching"], refused.get_json()["limit"]) == (12, 10)
    nothing = _bulk(
        client,
        headers,
        {"action": "reschedule", "due_date": TODAY.isoformat(), "filter": {"commune": "Xã Không Có"}},
    )
    assert nothing.status_code == 422 and nothing.get_json()["type"].endswith("nothing-selected")


def test_another_offices_items_are_never_matched_nor_moved(app, client, make, auth, supervisor):
    headers = auth(supervisor)
    province = make.office(kind="province")
    foreign = make.office(parent_id=province.id)
    theirs = make.item(office_id=foreign.id, commune="Xã Mỹ Hòa Hưng")
    ids, _, _ = make.waiting_items(2)
    done = _bulk(
        client,
        headers,
        {"action": "cancel", "reason": "x", "filter": {"commune": "Xã Mỹ Hòa Hưng"}},
    )
    assert done.status_code == 200 and sorted(done.get_json()["item_ids"]) == sorted(ids)
    named = _bulk(
        client,
        headers,
        {"action": "cancel", "reason": "x", "item_ids": [theirs.id]},
    )
    assert named.status_code == 422 and named.get_json()["type"].endswith("unknown-items")
    db.session.expire_all()
    assert db.session.get(Item, theirs.id).status == "at_post_office"


def test_the_backlog_filters_by_procedure_and_due_date_and_sorts_both_ways(
    app, client, make, auth, supervisor
):
    headers = auth(supervisor)
    ids, _, procedure_id = make.waiting_items(10)
    make.item(due_date=TODAY)  # another procedure
    query = {
        "procedure_id": procedure_id,
        "due_from": TODAY.isoformat(),
        "due_to": (TODAY + timedelta(days=1)).isoformat(),
    }
    found = client.get("/api/items", headers=headers, query_string={**query, "sort": "-due_date"})
    assert found.headers["X-Total-Count"] == "4"
    assert [i["due_date"] for i in found.get_json()] == [(TODAY + timedelta(days=1)).isoformat()] * 2 + [
        TODAY.isoformat()
    ] * 2
    assert client.get("/api/items", headers=headers, query_string={"sort": "price"}).status_code == 422


def test_labels_print_for_every_item_matching_the_filter(app, client, make, auth, supervisor):
    headers = auth(supervisor)
    make.waiting_items(3)
    pdf = client.post(
        "/api/items/labels.pdf?lang=vi", headers=headers, json={"filter": {"commune": "Xã Mỹ Hòa Hưng"}}
    )
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    both = client.post("/api/items/labels.pdf?lang=vi", headers=headers, json={"filter": {}, "item_ids": [1]})
    assert both.status_code == 422
