"""The handover rule table, over every recorder, direction and item status."""

from __future__ import annotations

import itertools

import pytest

from backend.domain.handover_rules import (
    CASH_START,
    CashEvent,
    CashRefusal,
    CashStatus,
    HandoverDirection,
    Recorder,
    Refusal,
    cash_next,
    cash_refusal,
    decide,
    fees_need_postman,
)
from backend.domain.status import Direction, Status, next_status


def _decide_for_a_known_item(recorder, direction, item_direction, status, carried):
    """The decision for an item the server knows, of the record's own agency."""
    return decide(
        recorder,
        direction,
        exists=True,
        same_agency=True,
        item_direction=item_direction,
        status=status,
        carried=carried,
    )


EVERY_LINE = list(itertools.product(Recorder, HandoverDirection, Direction, Status, (False, True)))


@pytest.mark.parametrize(("recorder", "direction", "item_direction", "status", "carried"), EVERY_LINE)
def test_a_handover_moves_an_item_only_as_the_state_machine_allows(
    recorder, direction, item_direction, status, carried
):
    decision = _decide_for_a_known_item(recorder, direction, item_direction, status, carried=carried)

    if decision.event is not None:
        target = next_status(item_direction, status, decision.event)
        if direction == HandoverDirection.AGENCY_TO_POST:
            assert (status, target) == (Status.REGISTERED, Status.AT_POST_OFFICE)
        else:
            assert target in (Status.HANDED_TO_AGENCY, Status.RETURNED_TO_AGENCY)


@pytest.mark.parametrize(
    ("direction", "item_direction", "status"), list(itertools.product(HandoverDirection, Direction, Status))
)
def test_a_postman_hands_to_the_agency_only_what_they_carry_and_never_documents(
    direction, item_direction, status
):
    carried = _decide_for_a_known_item(Recorder.POSTMAN, direction, item_direction, status, carried=True)
    loose = _decide_for_a_known_item(Recorder.POSTMAN, direction, item_direction, status, carried=False)

    if direction == HandoverDirection.POST_TO_AGENCY:
        assert not loose.accepted
    assert not carried.accepted or carried.event is not None  # listing without a move is for supervisors


@pytest.mark.parametrize(("recorder", "direction"), list(itertools.product(Recorder, HandoverDirection)))
def test_an_unknown_item_or_one_of_another_agency_is_refused_whoever_records(recorder, direction):
    assert decide(recorder, direction, exists=False).refusal == Refusal.UNKNOWN
    assert (
        decide(
            recorder,
            direction,
            exists=True,
            same_agency=False,
            item_direction="collect",
            status="collected",
            carried=True,
        ).refusal
        == Refusal.OTHER_AGENCY
    )


def test_a_supervisor_documents_a_result_already_received_once():
    received = {"exists": True, "same_agency": True, "item_direction": "return", "status": "at_post_office"}
    first = decide(Recorder.STAFF, "agency_to_post", **received)
    again = decide(Recorder.STAFF, "agency_to_post", **received, documented=True)

    assert first.accepted and first.event is None
    assert again.refusal == Refusal.DOCUMENTED


# Cash handed to the office ----------------------------------------------------------------------------


def test_a_phones_cash_handover_waits_for_a_supervisor_and_a_desk_one_is_received_at_once():
    assert CASH_START[Recorder.POSTMAN] == CashStatus.DECLARED
    assert CASH_START[Recorder.STAFF] == CashStatus.RECEIVED
    assert cash_next(CashStatus.DECLARED, CashEvent.RECEIVE) == CashStatus.RECEIVED
    assert cash_next(CashStatus.RECEIVED, CashEvent.RECEIVE) is None  # received once


@pytest.mark.parametrize(
    ("held", "handed", "refusal"),
    [
        ((52_000, 0), (52_000, 0), None),
        ((52_000, 5_000), (26_000, 5_000), None),
        ((52_000, 0), (0, 0), CashRefusal.NOTHING),
        ((52_000, 0), (78_000, 0), CashRefusal.MORE_THAN_HELD),  # the transfer counted as cash
        ((52_000, 0), (0, 5_000), CashRefusal.MORE_THAN_HELD),  # each fee kind on its own
    ],
)
def test_a_cash_handover_fits_what_the_postman_holds_per_fee_kind(held, handed, refusal):
    assert cash_refusal(held, handed) == refusal


def test_a_record_that_passes_fees_on_names_its_postman():
    assert fees_need_postman(None, 8_000)
    assert not fees_need_postman(7, 8_000)
    assert not fees_need_postman(None, 0)  # papers only: no money moves
