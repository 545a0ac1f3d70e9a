"""A Hypothesis state machine over random schedules of offline work and sync.

Pushes, lost responses, retries, duplicated and reordered batches, partial batches
(gaps) and supervisor reassignments and cancellations interleave at random. After every
step and at the end the invariants must hold: each mutation has at most one effect
(exactly one once acknowledged), no proof is lost, every status change the server made
is one the state machine allows, and once the phone drains its outbox its view equals
the server's.
"""

from __future__ import annotations

import random
import shutil
import tempfile
from datetime import date

import hypothesis.strategies as st
from hypothesis import HealthCheck, Phase, settings
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from backend import create_app
from backend.domain.status import TRANSITIONS
from backend.extensions import db
from backend.models import AuditEntry, CashHandover, DeliveryAttempt, Item, SyncMutation
from backend.services.item_events import apply_event
from backend.timeutil import local_today
from tests.conftest import _test_config
from tests.factories import Factory
from tests.kit.phone import Phone

ALLOWED_PAIRS = {
    (direction, src.value, target.value)
    for direction, table in TRANSITIONS.items()
    for sources, target in table.values()
    for src in sources
}
ALLOWED_PAIRS |= {
    (d.value, s, "return_to_agency") for d, s, t in list(ALLOWED_PAIRS) if t == "failed_attempt"
}
ITEMS = 4


class OfflineDay(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        self.tmp = tempfile.mkdtemp(prefix="postround-hyp-")
        self.app = create_app(_test_config(f"sqlite:///{self.tmp}/t.db", STORAGE_DIR=f"{self.tmp}/files"))
        with self.app.app_context():
            db.create_all()
            self.today = local_today()
        make = Factory(self.app)
        self.postman = make.user("postman")
        self.other_round = make.round(make.user("postman"), self.today)
        self.items = [make.item() for _ in range(ITEMS)]
        self.round = make.round(self.postman, self.today, items=self.items)
        self.client = self.app.test_client()
        self.phone = Phone(self.client, self.postman.username).login()
        self.phone.pull()
        self.sent: dict[str, dict] = {}  # every mutation the phone ever created
        self.rng = random.Random(0)

    def teardown(self):
        with self.app.app_context():
            db.session.remove()
            db.engine.dispose()
        shutil.rmtree(self.tmp, ignore_errors=True)

    # --- the postman, offline
    @rule(index=st.integers(0, ITEMS - 1), seed=st.integers(0, 3))
    def deliver(self, index, seed):
        m = self.phone.deliver(self.items[index].id, seed=seed)
        self.sent[m["id"]] = m

    @rule(index=st.integers(0, ITEMS - 1), reason=st.sampled_from(["not_home", "refused", "moved"]))
    def fail(self, index, reason):
        m = self.phone.fail(self.items[index].id, reason)
        self.sent[m["id"]] = m

    @rule(amount=st.sampled_from([26_000, 52_000, 200_000]))
    def hand_over_cash(self, amount):
        """The end of the day, any number of times: more than was collected is kept and flagged."""
        m = self.phone.hand_over_cash(self.today, service_fee_cash=amount)
        self.sent[m["id"]] = m

    # --- the network
    @precondition(lambda self: self.phone.outbox)
    @rule(lose=st.booleans(), shuffle=st.booleans(), twice=st.booleans())
    def push(self, lose, shuffle, twice):
        self.phone.upload_files()
        if shuffle:
            self.rng.shuffle(self.phone.outbox)
        self.phone.push(lose_response=lose)
        if twice:
            self.phone.push(lose_response=lose)

    @precondition(lambda self: len(self.phone.outbox) > 1)
    @rule()
    def push_only_the_last(self):
        """A batch that skips earlier mutations: the server must see the gap."""
        keep = self.phone.outbox
        self.phone.outbox = keep[-1:]
        self.phone.push()
        self.phone.outbox = [
            m for m in keep if m["id"] in {x["id"] for x in self.phone.outbox} or m is not keep[-1]
        ]

    @rule()
    def pull(self):
        self.phone.pull()

    # --- the supervisor
    @rule(index=st.integers(0, ITEMS - 1), to_other=st.booleans())
    def reassign(self, index, to_other):
        with self.app.app_context():
            item = db.session.get(Item, self.items[index].id)
            if item.status not in ("assigned", "failed_attempt", "at_post_office"):
                return
            item.round_id = self.other_round.id if to_other else self.round.id
            apply_event(item, "assign")
            db.session.commit()

    @rule(index=st.integers(0, ITEMS - 1))
    def cancel(self, index):
        with self.app.app_context():
            item = db.session.get(Item, self.items[index].id)
            if item.status in ("registered", "at_post_office", "assigned", "failed_attempt"):
                apply_event(item, "cancel")
                db.session.commit()

    # --- invariants
    @invariant()
    def each_mutation_has_at_most_one_effect(self):
        with self.app.app_context():
            ledger = db.session.execute(db.select(SyncMutation.id, SyncMutation.outcome)).all()
            ids = [row.id for row in ledger]
            assert len(ids) == len(set(ids))
            proofs = db.session.execute(db.select(DeliveryAttempt.client_mutation_id)).scalars().all()
            assert len(proofs) == len(set(proofs))
            cash = db.session.execute(db.select(CashHandover.client_mutation_id)).scalars().all()
            assert len(cash) == len(set(cash))
            applied = {row.id for row in ledger if row.outcome == "applied"}
            # every applied deliver/fail left exactly one proof, every cash handover one record
            assert set(proofs) | set(cash) == applied and not set(proofs) & set(cash)
            for mutation_id, outcome in self.phone.outcomes.items():
                assert mutation_id in ids or outcome.get("retryable"), outcome

    @invariant()
    def status_changes_follow_the_state_machine(self):
        with self.app.app_context():
            entries = db.session.execute(
                db.select(AuditEntry).where(AuditEntry.action.like("item.%"))
            ).scalars()
            directions = dict(db.session.execute(db.select(Item.code, Item.direction)).all())
            for entry in entries:
                if entry.detail and "from" in entry.detail and entry.detail["from"] != entry.detail["to"]:
                    pair = (directions[entry.entity_id], entry.detail["from"], entry.detail["to"])
                    assert pair in ALLOWED_PAIRS, pair

    def teardown_checks(self):
        for _ in range(3):  # drain: the outbox empties and the view converges
            self.phone.upload_files()
            self.phone.push()
        assert self.phone.outbox == []
        self.phone.pull()
        with self.app.app_context():
            ledger = set(db.session.execute(db.select(SyncMutation.id)).scalars())
            assert ledger == set(self.sent)  # nothing lost
            server = {
                i.id: (i.status, i.version)
                for i in db.session.execute(db.select(Item).where(Item.round_id == self.round.id)).scalars()
            }
        assert {k: (v["status"], v["version"]) for k, v in self.phone.items.items()} == server


class OfflineDayWithChecks(OfflineDay):
    def teardown(self):
        try:
            self.teardown_checks()
        finally:
            super().teardown()


OfflineDayWithChecks.TestCase.settings = settings(
    max_examples=25,
    stateful_step_count=20,
    deadline=None,
    # Each example builds a fresh app and database; shrinking would blow the CI budget.
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
test_random_schedules_keep_the_sync_invariants = OfflineDayWithChecks.TestCase
_ = date  # dates come from the app's local day
