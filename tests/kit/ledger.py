"""What "everything exactly once" means after a phone's deliveries, checked in the database: one
ledger row, one proof, one fee and two file links per mutation, every proof complete, every item
delivered, and the phone's counter at its last mutation."""

from __future__ import annotations

from collections import Counter

import sqlalchemy as sa

from backend.models import DeliveryAttempt, Device, FeeEntry, Item, ProofAttachment, SyncMutation


def assert_delivered_exactly_once(session, device_id: str, ids: list[str]) -> None:
    ledger = session.execute(sa.select(SyncMutation)).scalars().all()
    assert Counter(r.id for r in ledger) == dict.fromkeys(ids, 1)
    assert {r.outcome for r in ledger} == {"applied"}
    assert session.get(Device, device_id).last_seq == len(ids)
    proofs = session.execute(sa.select(DeliveryAttempt)).scalars().all()
    assert Counter(p.client_mutation_id for p in proofs) == dict.fromkeys(ids, 1)
    assert Counter(session.execute(sa.select(FeeEntry.client_mutation_id)).scalars()) == dict.fromkeys(ids, 1)
    assert [p for p in proofs if not p.complete or p.flagged] == []
    links = Counter(session.execute(sa.select(ProofAttachment.attempt_id)).scalars())
    assert links == {p.id: 2 for p in proofs}
    assert set(session.execute(sa.select(Item.status)).scalars()) == {"delivered"}
