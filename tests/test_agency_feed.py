"""An agency's system pages through its change feed while the day goes on, and loses nothing.

GET /api/agency/changes?cursor=… answers events in commit order with the cursor to go on from
(never an offset). The poller below asks for two events at a time while supervisors and a phone
keep changing items between its pages: it sees every status change exactly once, in the order
each item went through them, an unassign and a reassign between two polls as two events, and
nothing for a change the agency does not see (an address corrected). A transaction still running
is invisible until it commits, then arrives after what was committed before it.
"""

from __future__ import annotations

import itertools

import pytest
from sqlalchemy.orm import Session

from backend.extensions import db
from backend.models import Item
from tests.kit.phone import Phone


class Poller:
    """The agency's system: keeps the cursor the server gave and every event it received."""

    def __init__(self, client, headers, limit=2):
        self.client, self.headers, self.limit = client, headers, limit
        self.cursor: str | None = None
        self.events: list[dict] = []
        self.pages = 0

    def page(self) -> dict:
        query = {"limit": self.limit} | ({"cursor": self.cursor} if self.cursor else {})
        response = self.client.get("/api/agency/changes", query_string=query, headers=self.headers)
        assert response.status_code == 200, response.get_json()
        body = response.get_json()
        assert len(body["events"]) <= self.limit
        self.events += body["events"]
        self.cursor = body["next_cursor"]
        self.pages += 1
        return body

    def drain(self) -> None:
        while self.page()["has_more"]:
            pass

    def story(self, item_id: int) -> list[tuple]:
        return [
            (e["type"], e["data"]["from_status"], e["data"]["to_status"])
            for e in self.events
            if e["data"].get("item_id") == item_id
        ]


def test_the_paged_feed_sees_each_change_once_in_order_while_changes_happen_between_pages(
    app, client, make, auth, agency_world
):
    staff, officer = auth(agency_world["supervisor"]), auth(agency_world["officer"])
    poller = Poller(client, officer)
    poller.drain()
    assert poller.events == []
    rid = agency_world["round"].id
    items = [make.item(agency_id=agency_world["agency"].id, status="registered") for _ in range(4)]
    theirs = make.item(agency_id=agency_world["other_agency"].id)
    poller.page()  # a first page of the four creations
    for item in items:
        client.post(f"/api/items/{item.id}/events", json={"event": "receive_from_agency"}, headers=staff)
        poller.page()  # a page between every change
    ids = [i.id for i in items] + [theirs.id]
    assert client.post(f"/api/rounds/{rid}/assign", json={"item_ids": ids}, headers=staff).status_code == 200
    poller.page()
    moved = items[3].id
    client.post(f"/api/rounds/{rid}/unassign", json={"item_ids": [moved]}, headers=staff)
    client.post(f"/api/rounds/{rid}/assign", json={"item_ids": [moved]}, headers=staff)
    client.patch(f"/api/items/{moved}", json={"address_line": "Tổ 12, Ấp Láng Cát"}, headers=staff)
    poller.page()
    phone = Phone.with_its_round(client, agency_world["postman"].username)
    phone.fail(items[0].id, reason="wrong_address")
    phone.deliver(items[1].id, seed=3)
    phone.upload_files()
    phone.push()
    poller.page()
    phone.fail(items[0].id, reason="not_home")  # a second failed visit: the status stays, an event
    phone.push()
    client.post(
        f"/api/items/{items[2].id}/events", json={"event": "cancel", "reason": "Dân xin hủy"}, headers=staff
    )
    poller.drain()

    ids_seen = [e["id"] for e in poller.events]
    assert len(ids_seen) == len(set(ids_seen))  # each event once
    assert not any(e["data"].get("item_id") == theirs.id for e in poller.events)
    cursors = [tuple(int(x) for x in e["cursor"].split(".")) for e in poller.events]
    assert cursors == sorted(cursors)  # in commit order
    a, b, c, d = items
    assert poller.story(a.id) == [
        ("item.created", None, "registered"),
        ("item.status_changed", "registered", "at_post_office"),
        ("item.status_changed", "at_post_office", "assigned"),
        ("item.attempt_failed", "assigned", "failed_attempt"),
        ("item.attempt_failed", "failed_attempt", "failed_attempt"),
    ]
    assert [e["data"]["reason"] for e in poller.events if e["type"] == "item.attempt_failed"] == [
        "wrong_address",
        "not_home",
    ]
    assert poller.story(b.id)[-1] == ("item.delivered", "assigned", "delivered")
    assert poller.story(c.id)[-1] == ("item.status_changed", "assigned", "cancelled")
    assert poller.story(d.id)[2:] == [
        ("item.status_changed", "at_post_office", "assigned"),
        ("item.status_changed", "assigned", "at_post_office"),  # unassigned ...
        ("item.status_changed", "at_post_office", "assigned"),  # ... and reassigned: two events
    ]  # and the address corrected: none

    # The item's history is the same events.
    history = client.get(f"/api/items/{a.id}/events", headers=officer).get_json()
    assert [e["id"] for e in history["events"]] == [
        e["id"] for e in poller.events if e["data"].get("item_id") == a.id
    ]
    # A poll with nothing new answers nothing and keeps its place.
    again = poller.page()
    assert again["events"] == [] and again["has_more"] is False

    # Another agency's officer sees none of it, and not the item's history.
    other = auth(make.user("agency", agency_id=agency_world["other_agency"].id))
    theirs_feed = client.get("/api/agency/changes", query_string={"limit": 500}, headers=other).get_json()
    assert {e["data"]["item_id"] for e in theirs_feed["events"]} == {theirs.id}
    assert client.get(f"/api/items/{a.id}/events", headers=other).status_code == 403


def test_a_transaction_still_running_is_invisible_until_it_commits_and_then_comes_after(
    app, client, make, auth, agency_world, backend_name
):
    """On PostgreSQL another change commits while the slow one runs: the poller gets that one first
    and the slow one at a later poll, never neither (SQLite has one writer at a time: only the read)."""
    officer, staff = auth(agency_world["officer"]), auth(agency_world["supervisor"])
    first, second = (make.item(agency_id=agency_world["agency"].id, status="registered") for _ in range(2))
    poller = Poller(client, officer, limit=50)
    poller.drain()
    with app.app_context():
        slow = Session(db.engine)  # a long transaction: its change has a ticket, not yet a seq
        slow.get_one(Item, first.id).status = "at_post_office"
        slow.flush()
    try:
        if backend_name == "postgresql":
            response = client.post(
                f"/api/items/{second.id}/events", json={"event": "receive_from_agency"}, headers=staff
            )
            assert response.status_code == 200
        poller.drain()
        moved = [(e["data"]["item_id"], e["data"]["to_status"]) for e in poller.events]
        assert (first.id, "at_post_office") not in moved
        if backend_name == "postgresql":
            assert moved[-1] == (second.id, "at_post_office")
        with app.app_context():
            slow.commit()
    finally:
        slow.close()
    poller.drain()
    assert (poller.events[-1]["data"]["item_id"], poller.events[-1]["data"]["to_status"]) == (
        first.id,
        "at_post_office",
    )
    ids = [e["id"] for e in poller.events]
    assert len(ids) == len(set(ids))


def test_a_cursor_the_server_never_gave_is_refused_and_admins_read_one_agency(
    app, client, make, auth, agency_world
):
    officer = auth(agency_world["officer"])
    for cursor in ("abc", "-3", "1.x", "5.-1"):
        response = client.get("/api/agency/changes", query_string={"cursor": cursor}, headers=officer)
        assert response.status_code == 422, cursor
        assert response.get_json()["type"].endswith("bad-cursor")
    ours = make.item(agency_id=agency_world["agency"].id)
    make.item(agency_id=agency_world["other_agency"].id)
    admin = auth(make.user("admin", offices=()))
    body = client.get(
        "/api/agency/changes", query_string={"agency_id": agency_world["agency"].id}, headers=admin
    ).get_json()
    assert [e["data"]["item_id"] for e in body["events"]] == [ours.id]
    both = client.get("/api/agency/changes", headers=admin).get_json()
    assert len(both["events"]) == 2
    assert client.get("/api/agency/changes", headers=auth(agency_world["supervisor"])).status_code == 403


@pytest.mark.parametrize("backend_name", ["postgresql"], indirect=True)  # SQLite has one writer at a time
def test_writers_racing_a_poller_lose_it_nothing(app, client, make, auth, agency_world, backend_name):
    """PostgreSQL: four writers commit status changes as fast as they can while the agency's system
    pages three events at a time; afterwards its events are exactly the committed ones, in commit
    order, and each item's events chain (each starts where the one before ended)."""
    import random
    import threading

    from backend.models import AgencyEvent, CommitLog
    from backend.services.locks import lock_items_and_rounds

    officer = auth(agency_world["officer"])
    items = [make.item(agency_id=agency_world["agency"].id, status="at_post_office") for _ in range(6)]
    poller = Poller(client, officer, limit=3)
    poller.drain()
    errors: list[BaseException] = []

    def writer(seed: int) -> None:
        rnd = random.Random(seed)
        try:
            with app.app_context():
                for _ in range(20):
                    chosen = sorted(rnd.sample([i.id for i in items], 2))
                    lock_items_and_rounds(db.session, chosen)  # the house's lock order
                    for item_id in chosen:
                        row = db.session.get_one(Item, item_id, populate_existing=True)
                        row.status = "assigned" if row.status == "at_post_office" else "at_post_office"
                    db.session.commit()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    while any(thread.is_alive() for thread in threads):
        poller.page()
    for thread in threads:
        thread.join()
    assert not errors, errors
    poller.drain()

    with app.app_context():
        committed = (
            db.session.execute(
                db.select(AgencyEvent.id)
                .join(CommitLog, CommitLog.id == AgencyEvent.ticket)
                .where(AgencyEvent.agency_id == agency_world["agency"].id)
                .order_by(CommitLog.seq, AgencyEvent.id)
            )
            .scalars()
            .all()
        )
    assert [e["id"] for e in poller.events] == [f"evt_{n}" for n in committed]
    assert poller.pages > 10
    for item in items:
        story = poller.story(item.id)[1:]  # after its creation
        assert len(story) > 0
        for before, after in itertools.pairwise(story):
            assert after[1] == before[2]  # no change missed between two
