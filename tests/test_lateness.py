"""Due and overdue in working days, one rule (backend/domain/workdays.py) for the agency portal's list
and its filters, the items export, the one-stop block and the supervisor's overdue exceptions.

A due date on a weekend or holiday moves to the next working day; an open item is overdue once a working
day has gone by after it. An officer's Friday item is not overdue on the Saturday, it is on the Monday;
over Tết nothing counts.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from backend.domain.workdays import (
    due_on_or_before,
    overdue_by,
    overdue_on_or_before,
    working_days_left,
)

FRI, SAT, SUN, MON, TUE = (date(2026, 3, d) for d in (6, 7, 8, 9, 10))
BEFORE_TET, TET_MON, AFTER_TET = date(2026, 2, 13), date(2026, 2, 16), date(2026, 2, 23)  # Tết: 16-20 Feb


def test_a_friday_item_is_due_over_the_weekend_and_overdue_on_monday():
    assert working_days_left(FRI, FRI) == 0
    assert working_days_left(FRI, SAT) == working_days_left(FRI, SUN) == 0
    assert working_days_left(FRI, MON) == -1
    assert working_days_left(FRI, TUE) == -2
    assert working_days_left(TUE, FRI) == 2  # Mon and Tue ahead


def test_a_due_date_on_a_weekend_or_holiday_moves_to_the_next_working_day():
    assert working_days_left(SAT, MON) == working_days_left(SUN, MON) == 0  # due Monday, in effect
    assert working_days_left(SAT, TUE) == -1
    assert working_days_left(TET_MON, AFTER_TET) == 0  # due on Tết: the Monday after is the day
    assert working_days_left(BEFORE_TET, AFTER_TET) == -1  # the week of Tết does not count
    assert working_days_left(AFTER_TET, BEFORE_TET) == 1


def test_the_column_cut_offs_say_what_the_function_says_every_day_for_a_year():
    """The filters are column comparisons; over a year with Tết and the holidays they agree with the
    function for every due date within 40 days either side."""
    first = date(2025, 12, 20)
    for offset in range(380):
        today = first + timedelta(days=offset)
        overdue_cut = overdue_on_or_before(today)
        soon = {n: due_on_or_before(today, n) for n in (0, 2, 5)}
        for shift in range(-40, 41):
            due = today + timedelta(days=shift)
            left = working_days_left(due, today)
            assert (left < 0) == (due <= overdue_cut), (today, due)
            for n, cut in soon.items():
                assert (0 <= left <= n) == (overdue_cut < due <= cut), (today, due, n)
        for late in (1, 2, 7):
            assert working_days_left(overdue_by(today, late), today) == -late


@pytest.fixture
def officer_items(make, agency, today):
    """An officer's items: overdue by 3 and by 1 working day, due now, due in 2, in 5 working days, one
    overdue but delivered, one overdue but going back after the attempts; another agency's overdue."""
    make_item = lambda due, **kw: make.item(agency_id=agency.id, due_date=due, **kw)  # noqa: E731
    return {
        "late3": make_item(overdue_by(today, 3)),
        "late1": make_item(overdue_by(today, 1), direction="collect", status="collected"),
        "now": make_item(today),
        "in2": make_item(due_on_or_before(today, 2), status="registered"),
        "in5": make_item(due_on_or_before(today, 5)),
        "delivered": make_item(overdue_by(today, 4), status="delivered"),
        "going_back": make_item(overdue_by(today, 4), status="return_to_agency"),
        "theirs": make.item(due_date=overdue_by(today, 4)),
    }


def test_the_officer_sees_working_days_left_and_filters_due_and_overdue_by_them(
    client, auth, officer, officer_items, today
):
    ids = {item.id: name for name, item in officer_items.items()}

    def names(**query):
        response = client.get("/api/items", headers=auth(officer), query_string={**query, "per_page": 100})
        assert response.status_code == 200, response.get_json()
        return {ids[row["id"]]: row["working_days_left"] for row in response.get_json()}

    everything = names()
    assert everything == {
        "late3": -3,
        "late1": -1,  # a collected dossier is still owed to the agency
        "now": working_days_left(today, today),  # 0 on a working day, 1 on a Saturday
        "in2": everything["in2"],
        "in5": everything["in5"],
        "delivered": None,
        "going_back": None,
    }
    assert 0 <= everything["in2"] <= 2 < everything["in5"] <= 5
    assert names(overdue="true") == {"late3": -3, "late1": -1}  # not another agency's
    within2 = names(due_within=2)
    assert set(within2) == {"now", "in2"} and all(0 <= v <= 2 for v in within2.values())
    assert set(names(due_within=5)) == {"now", "in2", "in5"}


def test_the_export_counts_as_the_list_does(client, auth, officer, officer_items):
    listed = {
        row["code"]: row["working_days_left"]
        for row in client.get("/api/items", headers=auth(officer), query_string={"per_page": 100}).get_json()
    }
    text = client.get("/api/items/export", headers=auth(officer), query_string={"format": "csv"}).get_data(
        as_text=True
    )
    exported = {
        line.split(",")[0]: line.split(",")[6] for line in text.splitlines()[1:-1] if line.split(",")[0]
    }
    assert exported == {code: "" if left is None else str(left) for code, left in listed.items()}
    only_late = client.get(
        "/api/items/export", headers=auth(officer), query_string={"format": "csv", "overdue": "true"}
    ).get_data(as_text=True)
    assert {line.split(",")[0] for line in only_late.splitlines()[1:-1]} == {
        officer_items["late3"].code,
        officer_items["late1"].code,
    }


def test_the_onestop_block_counts_its_deadline_by_the_same_rule(
    client, auth, officer, supervisor, make, agency
):
    item = make.item(agency_id=agency.id, status="registered")
    block = client.get(f"/api/items/{item.id}", headers=auth(officer)).get_json()["onestop"]
    assert block["deadline"] is None and block["deadline_working_days_left"] is None  # no J yet
    received = client.post(
        f"/api/items/{item.id}/events", json={"event": "receive_from_agency"}, headers=auth(supervisor)
    )
    assert received.status_code == 200, received.get_json()
    block = client.get(f"/api/items/{item.id}", headers=auth(officer)).get_json()["onestop"]
    # Received today: J+n is n working days away, whatever day of the week today is.
    assert block["deadline_working_days_left"] == block["deadline_working_days"]
    assert (
        working_days_left(date.fromisoformat(block["deadline"]), date.fromisoformat(block["received_on"]))
        == (block["deadline_working_days"])
    )


def test_the_supervisors_overdue_exceptions_count_working_days(client, auth, supervisor, make, today):
    late = make.item(due_date=overdue_by(today, 2))
    make.item(due_date=today)  # due now: not yet an exception
    response = client.get("/api/dashboard/exceptions", headers=auth(supervisor))
    overdue = [e for e in response.get_json()["exceptions"] if e["kind"] == "overdue"]
    assert [(e["item"]["code"], e["facts"]) for e in overdue] == [(late.code, {"days_late": 2})]
