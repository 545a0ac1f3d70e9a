"""User stories for /api/rounds: a supervisor plans a postman's day, a postman reads it."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from backend.domain.status import Status
from backend.extensions import db
from backend.models import AuditEntry, Item, Round

PROBLEM = "application/problem+json"
TODAY = datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).date()  # the default POSTROUND_TIMEZONE


def row(model, key):
    """A fresh copy of a row, as the database has it now."""
    obj = db.session.get(model, key)
    db.session.refresh(obj)
    return obj


def create_round(client, headers, postman, day=TODAY, **extra):
    return client.post(
        "/api/rounds",
        headers=headers,
        json={"postman_id": postman.id, "round_date": day.isoformat(), **extra},
    )


def item_events(action):
    return db.session.execute(db.select(AuditEntry).where(AuditEntry.action == action)).scalars().all()


# Planning a day ------------------------------------------------------------------------------------


def test_a_supervisor_plans_todays_round_assigns_items_and_optimises(client, make, auth, supervisor, postman):
    headers = auth(supervisor)
    far, near, middle = (make.item(lat=10.0035, lon=105.1694 + d) for d in (0.03, 0.01, 0.02))

    created = create_round(client, headers, postman, note="Xã Mong Thọ")
    assert created.status_code == 201
    round_id = created.get_json()["id"]
    assert created.get_json()["postman"]["id"] == postman.id
    assert created.get_json()["stops"] == []

    assigned = client.post(
        f"/api/rounds/{round_id}/assign", headers=headers, json={"item_ids": [far.id, near.id, middle.id]}
    )
    assert assigned.status_code == 200
    body = assigned.get_json()
    assert [s["code"] for s in body["stops"]] == [far.code, near.code, middle.code]
    assert [s["stop_order"] for s in body["stops"]] == [1, 2, 3]
    assert body["progress"] == {"assigned": 3}

    optimised = client.post(f"/api/rounds/{round_id}/optimise", headers=headers)
    assert optimised.status_code == 200
    body = optimised.get_json()
    assert [s["id"] for s in body["stops"]] in ([near.id, middle.id, far.id], [far.id, middle.id, near.id])
    assert (
        sum(s["leg_distance_m"] for s in body["stops"]) + body["return_distance_m"]
        == body["total_distance_m"]
    )
    assert 6000 < body["total_distance_m"] < 7000  # 3.3 km out along a parallel and back

    rnd = row(Round, round_id)
    assert (rnd.postman_id, rnd.round_date, rnd.created_by_id) == (postman.id, TODAY, supervisor.id)
    assert rnd.total_distance_m == body["total_distance_m"]
    stored = {i: row(Item, i) for i in (far.id, near.id, middle.id)}
    assert all(item.status == Status.ASSIGNED and item.round_id == round_id for item in stored.values())
    assert [stored[s["id"]].stop_order for s in body["stops"]] == [1, 2, 3]
    assert len(item_events("item.assign")) == 3


def test_an_admin_may_plan_rounds_too(client, make, auth, postman):
    response = create_round(client, auth(make.user("admin")), postman)
    assert response.status_code == 201


def test_a_second_round_for_the_same_postman_and_day_is_a_conflict(client, make, auth, supervisor, postman):
    make.round(postman, TODAY)
    response = create_round(client, auth(supervisor), postman)
    assert response.status_code == 409
    assert response.content_type == PROBLEM
    assert response.get_json()["type"].endswith("/round-exists")
    assert db.session.execute(db.select(db.func.count()).select_from(Round)).scalar() == 1


def test_the_same_postman_may_have_a_round_the_next_day(client, make, auth, supervisor, postman):
    make.round(postman, TODAY)
    response = create_round(client, auth(supervisor), postman, day=TODAY + timedelta(days=1))
    assert response.status_code == 201


@pytest.mark.parametrize("who", ["supervisor", "inactive postman", "nobody"])
def test_a_round_is_only_for_an_active_postman(client, make, auth, supervisor, who):
    target = {
        "supervisor": lambda: make.user("supervisor"),
        "inactive postman": lambda: make.user("postman", active=False),
        "nobody": lambda: type("Ghost", (), {"id": 999_999})(),
    }[who]()
    response = create_round(client, auth(supervisor), target)
    assert response.status_code == 422
    assert response.content_type == PROBLEM
    assert "postman_id" in response.get_json()["errors"]
    assert db.session.execute(db.select(Round)).first() is None


# Assigning -----------------------------------------------------------------------------------------


def test_reassigning_an_item_moves_it_to_the_other_round(client, make, auth, supervisor, postman):
    moving, staying = make.item(), make.item()
    old = make.round(postman, TODAY, items=[moving, staying])
    new = make.round(make.user("postman"), TODAY)

    response = client.post(
        f"/api/rounds/{new.id}/assign", headers=auth(supervisor), json={"item_ids": [moving.id]}
    )
    assert response.status_code == 200
    assert [s["id"] for s in response.get_json()["stops"]] == [moving.id]

    moved, left = row(Item, moving.id), row(Item, staying.id)
    assert (moved.round_id, moved.stop_order, moved.status) == (new.id, 1, Status.ASSIGNED)
    assert (left.round_id, left.stop_order) == (old.id, 1)
    assert item_events("item.assign")[0].detail["from_round_id"] == old.id


def test_a_delivered_item_cannot_be_assigned(client, make, auth, supervisor, postman):
    delivered = make.item(status=Status.DELIVERED.value)
    rnd = make.round(postman, TODAY)

    response = client.post(
        f"/api/rounds/{rnd.id}/assign", headers=auth(supervisor), json={"item_ids": [delivered.id]}
    )
    assert response.status_code == 409
    assert response.content_type == PROBLEM
    body = response.get_json()
    assert body["type"].endswith("/illegal-transition")
    assert delivered.code in body["detail"]
    assert "0" in body["errors"]["item_ids"]

    assert (row(Item, delivered.id).round_id, row(Item, delivered.id).status) == (None, Status.DELIVERED)


def test_an_item_whose_procedure_needs_the_person_present_cannot_be_assigned(
    client, make, auth, supervisor, postman
):
    in_person = make.item(procedure_id=make.procedure(name="Đăng ký kết hôn", allowed_by_post=False).id)
    rnd = make.round(postman, TODAY)

    response = client.post(
        f"/api/rounds/{rnd.id}/assign", headers=auth(supervisor), json={"item_ids": [in_person.id]}
    )
    assert response.status_code == 409
    assert response.get_json()["type"].endswith("/procedure-not-by-post")
    assert "Đăng ký kết hôn" in response.get_json()["detail"]
    assert row(Item, in_person.id).status == Status.AT_POST_OFFICE


def test_an_item_that_fails_mid_batch_leaves_nothing_changed(client, make, auth, supervisor, postman):
    first, cancelled, last = make.item(), make.item(status=Status.CANCELLED.value), make.item()
    already = make.item()
    rnd = make.round(postman, TODAY, items=[already])

    response = client.post(
        f"/api/rounds/{rnd.id}/assign",
        headers=auth(supervisor),
        json={"item_ids": [first.id, cancelled.id, last.id]},
    )
    assert response.status_code == 409
    body = response.get_json()
    assert cancelled.code in body["detail"]
    assert list(body["errors"]["item_ids"]) == ["1"]

    for item in (first, last):
        stored = row(Item, item.id)
        assert (stored.status, stored.round_id, stored.stop_order, stored.version) == (
            Status.AT_POST_OFFICE,
            None,
            None,
            item.version,
        )
    assert row(Item, already.id).stop_order == 1
    assert row(Round, rnd.id).total_distance_m is None
    assert item_events("item.assign") == []


def test_unknown_item_ids_are_named_and_nothing_changes(client, make, auth, supervisor, postman):
    real = make.item()
    rnd = make.round(postman, TODAY)
    response = client.post(
        f"/api/rounds/{rnd.id}/assign", headers=auth(supervisor), json={"item_ids": [real.id, 987_654]}
    )
    assert response.status_code == 422
    assert response.get_json()["errors"] == {"item_ids": {"1": ["No item with id 987654."]}}
    assert row(Item, real.id).round_id is None


def test_repeated_item_ids_are_a_validation_error(client, make, auth, supervisor, postman):
    item = make.item()
    rnd = make.round(postman, TODAY)
    response = client.post(
        f"/api/rounds/{rnd.id}/assign", headers=auth(supervisor), json={"item_ids": [item.id, item.id]}
    )
    assert response.status_code == 422
    assert "item_ids" in response.get_json()["errors"]


def test_unassigning_puts_items_back_at_the_post_office_and_renumbers_the_rest(
    client, make, auth, supervisor, postman
):
    a, b, c = make.item(), make.item(), make.item()
    rnd = make.round(postman, TODAY, items=[a, b, c])

    response = client.post(
        f"/api/rounds/{rnd.id}/unassign", headers=auth(supervisor), json={"item_ids": [a.id]}
    )
    assert response.status_code == 200
    assert [(s["id"], s["stop_order"]) for s in response.get_json()["stops"]] == [(b.id, 1), (c.id, 2)]

    removed = row(Item, a.id)
    assert (removed.status, removed.round_id, removed.stop_order) == (Status.AT_POST_OFFICE, None, None)


def test_an_item_on_another_round_cannot_be_unassigned_from_this_one(client, make, auth, supervisor, postman):
    elsewhere = make.item()
    make.round(make.user("postman"), TODAY, items=[elsewhere])
    rnd = make.round(postman, TODAY)
    response = client.post(
        f"/api/rounds/{rnd.id}/unassign", headers=auth(supervisor), json={"item_ids": [elsewhere.id]}
    )
    assert response.status_code == 422
    assert response.get_json()["type"].endswith("/not-on-round")
    assert row(Item, elsewhere.id).status == Status.ASSIGNED


# Ordering ------------------------------------------------------------------------------------------


def test_a_manual_order_is_stored_and_measured(client, make, auth, supervisor, postman):
    a, b = make.item(lat=10.01, lon=105.17), make.item(lat=None, lon=None)
    c = make.item(lat=10.02, lon=105.18)
    rnd = make.round(postman, TODAY, items=[a, b, c])

    response = client.put(
        f"/api/rounds/{rnd.id}/order", headers=auth(supervisor), json={"item_ids": [c.id, b.id, a.id]}
    )
    assert response.status_code == 200
    stops = response.get_json()["stops"]
    assert [(s["id"], s["stop_order"]) for s in stops] == [(c.id, 1), (b.id, 2), (a.id, 3)]
    assert stops[1]["leg_distance_m"] is None
    total = response.get_json()["total_distance_m"]
    assert (
        stops[0]["leg_distance_m"] + stops[2]["leg_distance_m"] + response.get_json()["return_distance_m"]
        == total
    )

    assert [row(Item, i).stop_order for i in (c.id, b.id, a.id)] == [1, 2, 3]
    assert row(Round, rnd.id).total_distance_m == total


@pytest.mark.parametrize("order", ["missing one", "a stranger", "empty"])
def test_an_order_that_is_not_a_permutation_of_the_rounds_items_is_refused(
    client, make, auth, supervisor, postman, order
):
    a, b = make.item(), make.item()
    stranger = make.item()
    rnd = make.round(postman, TODAY, items=[a, b])
    ids = {"missing one": [b.id], "a stranger": [b.id, a.id, stranger.id], "empty": []}[order]

    response = client.put(f"/api/rounds/{rnd.id}/order", headers=auth(supervisor), json={"item_ids": ids})
    assert response.status_code == 422
    assert response.content_type == PROBLEM
    assert "item_ids" in response.get_json()["errors"]
    assert [row(Item, i).stop_order for i in (a.id, b.id)] == [1, 2]


def test_optimising_puts_stops_without_coordinates_last(client, make, auth, supervisor, postman):
    lost = make.item(lat=None, lon=None)
    found = [make.item(lat=10.0035 + d, lon=105.1694) for d in (0.02, 0.01)]
    rnd = make.round(postman, TODAY, items=[lost, *found])

    response = client.post(f"/api/rounds/{rnd.id}/optimise", headers=auth(supervisor))
    assert response.status_code == 200
    stops = response.get_json()["stops"]
    assert [s["id"] for s in stops][-1] == lost.id
    assert stops[-1]["leg_distance_m"] is None
    assert row(Item, lost.id).stop_order == 3


# Who sees what -------------------------------------------------------------------------------------


def test_a_postman_sees_only_their_own_rounds(client, make, auth, postman):
    item = make.item()
    mine = make.round(postman, TODAY, items=[item])
    theirs = make.round(make.user("postman"), TODAY)
    headers = auth(postman)

    listed = client.get("/api/rounds", headers=headers)
    assert listed.status_code == 200
    assert [r["id"] for r in listed.get_json()] == [mine.id]

    today = client.get("/api/rounds/mine", headers=headers)
    assert today.status_code == 200
    assert [r["id"] for r in today.get_json()] == [mine.id]
    assert today.get_json()[0]["stops"][0]["code"] == item.code
    assert client.get(f"/api/rounds/mine?date={TODAY + timedelta(days=1)}", headers=headers).get_json() == []

    assert client.get(f"/api/rounds/{mine.id}", headers=headers).status_code == 200
    other = client.get(f"/api/rounds/{theirs.id}", headers=headers)
    assert other.status_code == 403
    assert other.content_type == PROBLEM
    assert client.get(f"/api/rounds?postman_id={theirs.postman_id}", headers=headers).status_code == 403


@pytest.mark.parametrize(
    "method, path",
    [
        ("post", "/api/rounds"),
        ("post", "/api/rounds/{id}/assign"),
        ("post", "/api/rounds/{id}/unassign"),
        ("put", "/api/rounds/{id}/order"),
        ("post", "/api/rounds/{id}/optimise"),
    ],
)
def test_a_postman_cannot_plan_even_their_own_round(client, make, auth, postman, method, path):
    rnd = make.round(postman, TODAY)
    response = getattr(client, method)(path.format(id=rnd.id), headers=auth(postman), json={"item_ids": [1]})
    assert response.status_code == 403
    assert response.content_type == PROBLEM


@pytest.mark.parametrize("path", ["/api/rounds", "/api/rounds/mine", "/api/rounds/{id}"])
def test_agency_officers_have_no_access_to_rounds(client, make, auth, postman, path):
    rnd = make.round(postman, TODAY)
    response = client.get(path.format(id=rnd.id), headers=auth(make.user("agency")))
    assert response.status_code == 403
    assert response.get_json()["type"].endswith("/forbidden")


def test_rounds_need_a_token(client):
    response = client.get("/api/rounds")
    assert response.status_code == 401
    assert response.content_type == PROBLEM


def test_the_list_filters_by_day_and_postman_and_counts_progress(client, make, auth, supervisor, postman):
    done, pending = make.item(), make.item()
    today = make.round(postman, TODAY, items=[done, pending])
    make.round(postman, TODAY - timedelta(days=1))
    make.round(make.user("postman"), TODAY)
    with client.application.app_context():
        db.session.get(Item, done.id).status = Status.DELIVERED.value
        db.session.commit()

    response = client.get(f"/api/rounds?date={TODAY}&postman_id={postman.id}", headers=auth(supervisor))
    assert response.status_code == 200
    assert response.headers["X-Total-Count"] == "1"
    [listed] = response.get_json()
    assert (listed["id"], listed["stop_count"]) == (today.id, 2)
    assert listed["progress"] == {"assigned": 1, "delivered": 1}
    assert "stops" not in listed


def test_a_missing_round_is_a_404_problem(client, auth, supervisor):
    response = client.post("/api/rounds/424242/optimise", headers=auth(supervisor))
    assert response.status_code == 404
    assert response.content_type == PROBLEM
