"""No global serialisation point, on PostgreSQL (docs/decisions/0006-commit-log.md).

A big import runs beside twenty phones pushing and none of them waits for it; a poller reading
the change feed meanwhile misses nothing and gets nothing twice; a supervisor renumbering a round
while its postman pushes never deadlocks; two rounds' writers never wait for each other.
"""

from __future__ import annotations

import random
import statistics
import subprocess
import sys
import threading
import time
from collections import defaultdict
from datetime import timedelta

import pytest
import sqlalchemy as sa

from backend import create_app
from backend.domain.s10 import make_s10
from backend.extensions import db
from backend.models import Agency, CommitLog, Item, PostOffice, Procedure, Round, User
from backend.timeutil import local_today
from sync.changes import current_seq
from sync.protocol import Cursor
from sync.pull import pull
from tests.conftest import _test_config, freeze_what_is_alive
from tests.factories import Factory, _hashed
from tests.kit.phone import Phone
from tests.test_sync_postgres import (  # noqa: F401 (pytest fixtures)
    WAIT,
    new_app,
    pg_url,
    post_push,
    push_until_done,
    run_together,
)

pytestmark = pytest.mark.postgres

IMPORT_ROWS = 10_000
PHONES = 20
STOPS = 6  # per phone's round; a stop may fail 19 times (FAILED_ATTEMPT_LIMIT below)
MAX_PUSHES = 100
BASELINE_S = 5  # seconds of pushes without the import
RACES = 15  # rounds renumbered while their postman pushes
WRITERS, WRITES = 4, 15
HOLD_S = 5  # seconds the import's transaction stays open after writing, phones pushing
ALLOWED_EXTRA_S = 0.2  # what the import may add to any push (issue 11.2)
SAMPLE_S = 0.02  # how often PostgreSQL is asked who waits for the import's locks


@pytest.fixture
def apps(new_app):  # noqa: F811 (the fixture imported above)
    """apps() -> one more app on the run's database, its own engine; a stop may fail many times."""
    return lambda: new_app(FAILED_ATTEMPT_LIMIT=20)


def post_office(app, code: str = "BC-AG1") -> int:
    """The post office `code` (made on first use), serving every agency there is."""
    with app.app_context():
        office = db.session.execute(sa.select(PostOffice).where(PostOffice.code == code)).scalar()
        if office is None:
            office = PostOffice(code=code, name=f"Bưu cục {code}", kind="commune", lat=10.38, lon=105.43)
            db.session.add(office)
        office.agencies = list(db.session.execute(sa.select(Agency)).scalars())
        db.session.commit()
        return office.id


def postmen_with_rounds(app, postmen: int, stops: int, day_offset: int = 0, office: str = "BC-AG1") -> dict:
    """`postmen` postmen of the post office `office`, each with a round of `stops` items today:
    username -> (round id, item ids). One agency and one procedure for all, written in one transaction."""
    with app.app_context():
        agency = db.session.execute(sa.select(Agency)).scalars().first()
        procedure = db.session.execute(sa.select(Procedure)).scalars().first()
        if agency is None:
            agency = Agency(code="AGX", name="Trung tâm PVHCC", kind="commune_centre", province="An Giang")
            procedure = Procedure(code="TTHC-X", name="Cấp giấy khai sinh", allowed_by_post=True)
            db.session.add_all([agency, procedure])
            db.session.flush()
        office_id = post_office(app, office)
        serial = db.session.execute(sa.select(sa.func.count()).select_from(Item)).scalar_one()
        rounds = {}
        for _ in range(postmen):
            user = User(
                username=f"buuta{serial}",
                password_hash=_hashed(Factory.PASSWORD),
                full_name="Lê Văn Bưu",
                role="postman",
            )
            user.offices = [db.session.get(PostOffice, office_id)]
            rnd = Round(postman=user, round_date=local_today(), office_id=office_id)
            rows = _stops(rnd, office_id, 20_000_000 + serial, stops, agency.id, procedure.id)
            serial += stops
            db.session.add_all([user, rnd, *rows])
            db.session.flush()
            rounds[user.username] = (rnd.id, [i.id for i in rows])
        db.session.commit()
        return rounds


def _item(n: int, agency_id: int, procedure_id: int) -> dict:
    return {
        "code": make_s10("RR", n),
        "direction": "collect",
        "procedure_id": procedure_id,
        "agency_id": agency_id,
        "recipient_name": "Trần Thị Bích",
        "address_line": f"Ấp Phước Lợi {n}",
        "commune": "Xã Mong Thọ",
        "province": "An Giang",
        "service_fee": 26_000,
        "government_fee": 0,
    }


def _stops(rnd: Round, office_id: int, first: int, count: int, agency_id: int, procedure_id: int) -> list:
    """`count` items on `rnd`, assigned in stop order, numbered from `first`."""
    return [
        Item(
            **_item(first + s, agency_id, procedure_id),
            status="assigned",
            attempt_count=0,
            round=rnd,
            stop_order=s + 1,
            office_id=office_id,
        )
        for s in range(count)
    ]


def push_one_fail(phone: Phone, item_id: int) -> float:
    """One push of one failed visit; its latency in seconds. It must be applied."""
    mutation = phone.fail(item_id)
    phone.outbox = []
    started = time.perf_counter()
    response = post_push(phone.client, phone, [mutation])
    took = time.perf_counter() - started
    assert response.status_code == 200, response.get_json()
    result = response.get_json()["results"][0]
    assert result["outcome"] == "applied", result
    return took


def import_main() -> None:
    """The import, in a process of its own (so it shares neither connection nor interpreter lock
    with the phones): `python -c '...import_main()' URL AGENCY PROCEDURE ROWS`. Prints `backend
    <pid>` and `ready` once started (it waits for a line on stdin before it writes, so its start-up's
    CPU is not in the phones' baseline), then `writing` at its first item INSERT, `holding` once every
    row is written (its transaction stays open until another line arrives) and `committed <seconds
    since writing>`."""
    from backend.services.item_import import ImportRow, import_items

    url, agency_id, procedure_id, rows, office_id = sys.argv[1], *map(int, sys.argv[2:6])
    app = create_app(_test_config(url, DB_STATEMENT_TIMEOUT_MS=300_000))
    with app.app_context():
        started: list[float] = []

        def first_insert(conn, cursor, statement, parameters, context, executemany):
            if not started and statement.startswith("INSERT INTO items"):
                started.append(time.perf_counter())
                print("writing", flush=True)

        def hold(items) -> None:  # the import's own hook, inside its transaction
            db.session.flush()
            print("holding", flush=True)
            sys.stdin.readline()

        sa.event.listen(db.engine, "before_cursor_execute", first_insert)
        # The session keeps this connection until the import commits: the backend nobody may wait for.
        print(f"backend {db.session.execute(sa.text('SELECT pg_backend_pid()')).scalar_one()}", flush=True)
        lines = [ImportRow(n + 2, _item(30_000_000 + n, agency_id, procedure_id)) for n in range(rows)]
        print("ready", flush=True)
        sys.stdin.readline()
        import_items(
            lines,
            source={"file": "xa-mong-tho.xlsx", "sha256": "0" * 64},
            office_id=office_id,
            before_commit=hold,
        )
        print(f"committed {time.perf_counter() - started[0]:.2f}", flush=True)


class ImportProcess:
    """The real import service writing `rows` items in its own process and connection."""

    def __init__(self, url: str, agency_id: int, procedure_id: int, rows: int, office_id: int):
        self.ready, self.writing = threading.Event(), threading.Event()
        self.holding, self.committed = threading.Event(), threading.Event()
        self.transaction_s: float | None = None
        self.backend_pid: int | None = None
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-c",
                "from tests.test_commit_log_postgres import import_main; import_main()",
                url,
                str(agency_id),
                str(procedure_id),
                str(rows),
                str(office_id),
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            word, *rest = line.split()
            if word == "backend":
                self.backend_pid = int(rest[0])
            elif word == "ready":
                self.ready.set()
            elif word == "writing":
                self.writing.set()
            elif word == "holding":
                self.holding.set()
            elif word == "committed":
                self.transaction_s = float(rest[0])
                self.committed.set()

    def start_writing(self) -> None:
        assert self.ready.wait(WAIT * 4), "the import never started"
        assert self.process.stdin is not None
        self.process.stdin.write("go\n")
        self.process.stdin.flush()

    def commit(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write("commit\n")
        self.process.stdin.close()
        assert self.process.wait(WAIT * 4) == 0, "the import failed"
        self.reader.join(WAIT)
        assert self.process.stdout is not None
        self.process.stdout.close()
        assert self.committed.is_set()


def committed_seq(server, item_id: int) -> int:
    """The commit-log number of the transaction that last changed the item."""
    with server.app_context():
        return db.session.execute(
            sa.select(CommitLog.seq).join(Item, Item.change_ticket == CommitLog.id).where(Item.id == item_id)
        ).scalar_one()


def poll_items(client, headers, cursor: int) -> tuple[list[dict], int]:
    """An agency system's poll of unassigned items changed after `cursor`, every page."""
    rows, page, next_cursor = [], 1, None
    while True:
        response = client.get(
            f"/api/items?changed_since={cursor}&unassigned=true&per_page=500&page={page}", headers=headers
        )
        assert response.status_code == 200, response.get_json()
        next_cursor = next_cursor if next_cursor is not None else int(response.headers["X-Change-Cursor"])
        rows += response.get_json()
        if page * 500 >= int(response.headers["X-Total-Count"]):
            return rows, next_cursor
        page += 1


def supervisor_login(app, client, office: str = "BC-AG1") -> dict:
    """A supervisor of the post office `office`, signed in on `client`."""
    username = f"giamsat.{office.lower()}"
    with app.app_context():
        user = User(
            username=username,
            password_hash=_hashed(Factory.PASSWORD),
            full_name="Giám sát",
            role="supervisor",
        )
        user.offices = [db.session.get(PostOffice, post_office(app, office))]
        db.session.add(user)
        db.session.commit()
    response = client.post("/api/auth/login", json={"username": username, "password": Factory.PASSWORD})
    assert response.status_code == 200, response.get_json()
    return {"Authorization": f"Bearer {response.get_json()['access_token']}"}


# The import beside twenty phones -----------------------------------------------------------------


class BlockedByImport:
    """Asks PostgreSQL every SAMPLE_S, on a connection of its own, which backends wait for a lock the
    import's backend holds; `longest()` is the longest any one of them was seen waiting in a row."""

    def __init__(self, app, import_pid: int):
        self.app, self.pid = app, import_pid
        self.stop = threading.Event()
        self.samples = 0
        self.alive = 0  # samples that saw the import's backend itself: the right pid is watched
        self.spans: dict[int, list[float]] = {}  # waiting pid -> [first seen, last seen] of its current wait
        self.waits: list[float] = []

    def run(self) -> None:
        with self.app.app_context(), db.engine.connect() as connection:
            while not self.stop.is_set():
                now = time.perf_counter()
                blocked = set(
                    connection.execute(
                        sa.text("SELECT pid FROM pg_stat_activity WHERE :pid = ANY(pg_blocking_pids(pid))"),
                        {"pid": self.pid},
                    ).scalars()
                )
                self.alive += connection.execute(
                    sa.text("SELECT count(*) FROM pg_stat_activity WHERE pid = :pid"), {"pid": self.pid}
                ).scalar_one()
                connection.rollback()
                self.samples += 1
                for pid in list(self.spans):
                    if pid not in blocked:
                        first, last = self.spans.pop(pid)
                        self.waits.append(last - first + SAMPLE_S)
                for pid in blocked:
                    self.spans.setdefault(pid, [now, now])[1] = now
                time.sleep(SAMPLE_S)
        self.waits += [last - first + SAMPLE_S for first, last in self.spans.values()]

    def longest(self) -> float:
        return max(self.waits, default=0.0)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


@pytest.mark.alone
def test_a_ten_thousand_row_import_adds_no_wait_to_twenty_phones_pushing_beside_it(apps):
    """Each phone pushes a failed visit about once a second (twenty phones in one process, short of
    what saturates its interpreter on a slow machine), first without the import, then while the
    import writes its rows, while its transaction stays open after writing them, and while it
    commits.

    The promise (issue 11.2: the import adds no more than ~0.2 s to any push) is held where the import
    could add to a push whatever the machine's load: its locks. PostgreSQL is asked every SAMPLE_S who
    waits for a lock the import's backend holds, from its first row to after its commit (when it holds
    the commit clock, as every committing writer does, decision 0006): no backend is ever seen waiting
    for it longer than ALLOWED_EXTRA_S. The latency itself, noisy on a shared 2-core machine, is
    compared where the import takes no CPU: beside its open transaction, the median and the 95th
    percentile are within ALLOWED_EXTRA_S of those without it. While it writes and commits it takes
    CPU and disk too: those pushes are reported. A poller of the change feed sees the import all at
    once, after its commit."""
    server = apps()
    rounds = postmen_with_rounds(server, PHONES, STOPS)
    with server.app_context():
        agency_id = db.session.execute(sa.select(Agency.id)).scalar_one()
        procedure_id = db.session.execute(sa.select(Procedure.id)).scalar_one()
    running = ImportProcess(
        server.config["SQLALCHEMY_DATABASE_URI"], agency_id, procedure_id, IMPORT_ROWS, post_office(server)
    )
    phones = {name: Phone(apps().test_client(), name).login() for name in rounds}
    for phone in phones.values():
        phone.pull()
    poller = apps().test_client()
    headers = supervisor_login(server, poller)
    _, cursor = poll_items(poller, headers, 0)
    pace = random.Random(11)
    phase = {"now": "baseline"}
    took: dict[str, list[float]] = {"baseline": [], "writing": [], "holding": [], "committing": []}

    def pushes(name: str, until: threading.Event) -> None:
        phone, stops = phones[name], rounds[name][1]
        time.sleep(pace.uniform(0, 1))
        for n in range(MAX_PUSHES):
            if until.is_set():
                break
            now = phase["now"]
            took[now].append(push_one_fail(phone, stops[n % len(stops)]))
            time.sleep(pace.uniform(0.8, 1.2))
        phone.pull()

    # Each phone's first push pays for its own app's cold caches (~2 s): one each, not timed, before
    # the baseline; and the import's process has started (its imports and app) and waits, idle. The
    # twenty phones' apps are frozen out of the collector's walks: a full collection over them stopped
    # every phone at once for 0.5-0.7 s, in whichever phase it fell.
    freeze_what_is_alive()
    run_together(*(lambda name=name: push_one_fail(phones[name], rounds[name][1][0]) for name in phones))
    assert running.ready.wait(WAIT * 4), "the import never started"
    enough = threading.Event()
    threading.Timer(BASELINE_S, enough.set).start()
    run_together(*(lambda n=n: pushes(n, enough) for n in phones))

    running.start_writing()
    assert running.writing.wait(WAIT * 4), "the import never started writing"
    assert running.backend_pid is not None
    phase["now"] = "writing"
    seen_during: list[dict] = []  # by polls that ended before the commit began: must stay empty
    seen_late: list[dict] = []  # by a poll still running when it began (it may see the commit)
    blocked = BlockedByImport(server, running.backend_pid)
    open_ended, done = threading.Event(), threading.Event()
    commit_began: list[float] = []

    def watch() -> None:
        nonlocal cursor
        while not open_ended.is_set():
            rows, cursor = poll_items(poller, headers, cursor)
            (seen_late if commit_began else seen_during).extend(rows)
            time.sleep(0.05)

    def conduct() -> None:
        assert running.holding.wait(WAIT * 4), "the import never finished writing"
        phase["now"] = "holding"
        time.sleep(HOLD_S)
        open_ended.set()
        phase["now"] = "committing"  # phones keep pushing while it commits, and a little after
        commit_began.append(time.monotonic())
        running.commit()
        time.sleep(1)
        done.set()
        blocked.stop.set()

    run_together(*(lambda n=n: pushes(n, done) for n in phones), watch, conduct, blocked.run)
    late_cursor = cursor  # what the poll that ran while the import committed handed back
    imported, after = poll_items(poller, headers, cursor)
    again, _ = poll_items(poller, headers, after)

    def summary(times: list[float]) -> str:
        if not times:
            return "no pushes"
        return (
            f"{len(times)} pushes, median {statistics.median(times):.3f} s, "
            f"p95 {percentile(times, 0.95):.3f} s, max {max(times):.3f} s"
        )

    report = (
        f"import of {IMPORT_ROWS} rows, transaction {running.transaction_s:.1f} s; without it: "
        f"{summary(took['baseline'])}; while it writes: {summary(took['writing'])}; while it is open after "
        f"writing: {summary(took['holding'])}; while it commits and after: {summary(took['committing'])}; "
        f"{blocked.samples} lock samples ({blocked.alive} saw the import), {len(blocked.waits)} waits for it, longest "
        f"{blocked.longest():.3f} s"
    )
    print(report)
    assert blocked.longest() <= ALLOWED_EXTRA_S, f"a connection waited for the import's locks; {report}"
    assert blocked.samples >= (HOLD_S / SAMPLE_S) / 4 and len(took["holding"]) >= PHONES, report
    assert blocked.alive >= blocked.samples / 2, report  # it was watching the import's backend
    assert took["committing"], report
    baseline, beside = took["baseline"], took["holding"]
    assert statistics.median(beside) <= statistics.median(baseline) + ALLOWED_EXTRA_S, report
    assert percentile(beside, 0.95) <= percentile(baseline, 0.95) + ALLOWED_EXTRA_S, report
    # The feed: nothing of the import before it committed, all of it once after, in commit order.
    assert seen_during == []
    # A poll that straddled the commit (its first page before it, a later page after it) hands back
    # the cursor of its first page, so the next poll brings its late rows again: at least once, never
    # lost. Its rows are the import's only; with its cursor past the import, the next poll has the rest.
    late_ids = [row["id"] for row in seen_late]
    assert len(late_ids) == len(set(late_ids))
    if late_cursor >= committed_seq(server, imported[-1]["id"] if imported else late_ids[-1]):
        imported = seen_late + imported
    else:
        assert set(late_ids) <= {row["id"] for row in imported}
    assert len(imported) == IMPORT_ROWS == len({row["id"] for row in imported})
    assert [row["id"] for row in imported] == sorted(row["id"] for row in imported)
    assert again == []
    # And each phone, which pulled after its pushes, holds exactly the server's round.
    with server.app_context():
        for name, phone in phones.items():
            round_id, _ = rounds[name]
            on_server = {
                i.id: (i.version, i.attempt_count)
                for i in db.session.execute(sa.select(Item).where(Item.round_id == round_id))
                .unique()
                .scalars()
            }
            assert {i: (v["version"], v["attempt_count"]) for i, v in phone.items.items()} == on_server


# Lock order -----------------------------------------------------------------------------------


def test_a_supervisor_renumbering_a_round_while_its_postman_pushes_never_deadlocks(apps):
    """The supervisor locks the round, then renumbers its items; the phone's failed visit writes the
    item, then the round's status (in progress, completed). Both take the round first now: many
    times over, each side succeeds or gets a clean 409, never a deadlock (40P01) or a server error."""
    server = apps()
    rounds = postmen_with_rounds(server, 1, 3)
    ((name, (first_round, _)),) = rounds.items()
    phone = Phone(apps().test_client(), name).login()
    office = apps().test_client()
    headers = supervisor_login(server, office)
    with server.app_context():
        postman_id = db.session.get(Round, first_round).postman_id
        deadlocks_before = _deadlocks(db.session)
    outcomes = []
    for day in range(RACES):
        with server.app_context():
            office_id = db.session.get(Round, first_round).office_id
            rnd = Round(
                postman_id=postman_id, round_date=local_today() + timedelta(days=day + 1), office_id=office_id
            )
            stops = _stops(rnd, office_id, 40_000_000 + 3 * day, 3, *_references(db.session))
            db.session.add_all([rnd, *stops])
            db.session.commit()
            round_id, ids = rnd.id, [i.id for i in stops]
        for item_id in ids:
            phone.fail(item_id)

        def renumber(round_id=round_id, ids=ids):
            statuses = []
            for order in (ids[::-1], ids[1:] + ids[:1]):
                response = office.put(
                    f"/api/rounds/{round_id}/order", json={"item_ids": order}, headers=headers
                )
                assert response.status_code in (200, 409), response.get_json()
                statuses.append(response.status_code)
            return statuses

        statuses, pushed = run_together(renumber, lambda: push_until_done(phone))
        outcomes += statuses
        assert all(o["outcome"] == "applied" for o in phone.outcomes.values()), phone.outcomes
        with server.app_context():
            assert db.session.get(Round, round_id).status == "completed"
    with server.app_context():
        assert _deadlocks(db.session) == deadlocks_before
    assert outcomes.count(200) >= RACES  # the races happened, and mostly went through


def _deadlocks(session) -> int:
    return session.execute(
        sa.text("SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()")
    ).scalar_one()


def _references(session) -> tuple[int, int]:
    return (
        session.execute(sa.select(Agency.id)).scalars().first(),
        session.execute(sa.select(Procedure.id)).scalars().first(),
    )


# Two post offices: writers that never wait for each other ---------------------------------------


def test_writes_of_two_post_offices_never_wait_for_each_other_even_beside_a_long_transaction(apps):
    """Office A's round is held by a long transaction (a supervisor's change, open for seconds);
    meanwhile in office B a postman pushes, B's supervisor reorders B's round and items of the agency
    B serves are imported into B, and B's phone sees all of it."""
    server = apps()
    rounds_a = postmen_with_rounds(server, 1, 3, office="BC-A")
    with server.app_context():
        other = Agency(code="AGB", name="Trung tâm PVHCC xã B", kind="commune_centre", province="An Giang")
        db.session.add(other)
        db.session.commit()
        agency_b = other.id
    rounds_b = postmen_with_rounds(server, 1, 3, office="BC-B")
    office_b = post_office(server, "BC-B")
    ((_, (round_a, items_a)),) = rounds_a.items()
    ((name_b, (round_b, items_b)),) = rounds_b.items()
    phone_b = Phone(apps().test_client(), name_b).login()
    phone_b.pull()
    office = apps().test_client()
    headers = supervisor_login(server, office, "BC-B")
    holder = apps()
    holding, release = threading.Event(), threading.Event()

    def long_transaction_on_a() -> int:
        with holder.app_context():
            rnd = db.session.get(Round, round_a)
            rnd.note = "Đường ngập, đi sau"
            for item in db.session.execute(sa.select(Item).where(Item.id.in_(items_a))).unique().scalars():
                item.note = "Gọi trước"
            db.session.flush()  # rows locked, ticket taken: as far as a big import gets before COMMIT
            holding.set()
            assert release.wait(WAIT)
            ticket = rnd.change_ticket
            db.session.commit()
            return db.session.get(CommitLog, ticket).seq

    def b_writes() -> list[float]:
        assert holding.wait(WAIT)
        took = [push_one_fail(phone_b, items_b[0])]
        started = time.perf_counter()
        response = office.put(
            f"/api/rounds/{round_b}/order", json={"item_ids": items_b[::-1]}, headers=headers
        )
        assert response.status_code == 200, response.get_json()
        took.append(time.perf_counter() - started)
        started = time.perf_counter()
        with server.app_context():
            from backend.services.item_import import ImportRow, import_items

            procedure_id = db.session.execute(sa.select(Procedure.id)).scalars().first()
            import_items([ImportRow(2, _item(50_000_000, agency_b, procedure_id))], office_id=office_b)
        took.append(time.perf_counter() - started)
        pulled = phone_b.pull()
        release.set()
        return took, pulled

    seq_a, (took, pulled) = run_together(long_transaction_on_a, b_writes)
    assert max(took) < 5, took  # B never waited for A's open transaction (it was released after)
    assert phone_b.items[items_b[0]]["attempt_count"] == 1
    assert [phone_b.items[i]["stop_order"] for i in items_b] == [3, 2, 1]
    with server.app_context():
        assert seq_a == current_seq(db.session)  # A committed last, so it is numbered last
        b_seqs = (
            db.session.execute(
                sa.select(CommitLog.seq)
                .join(Item, Item.change_ticket == CommitLog.id)
                .where(Item.id.in_(items_b))
            )
            .scalars()
            .all()
        )
        assert max(b_seqs) < seq_a
        assert Cursor.decode(pulled["cursor"]).from_seq < seq_a


# The feed under many writers -------------------------------------------------------------------


def test_a_phone_polling_beside_many_writers_gets_every_change_once_in_commit_order(apps):
    """Four writers change items of one round at random, in transactions of their own: short and long,
    some rolled back, some with a savepoint rolled back. A phone pulls in small pages all along.
    Every page holds, for each item it carries, the newest version committed up to its snapshot,
    never one it had already; once the writers stop, the phone holds exactly the server's state."""
    server = apps()
    rounds = postmen_with_rounds(server, 1, 30)
    ((name, (round_id, ids)),) = rounds.items()
    with server.app_context():
        postman_id = db.session.get(Round, round_id).postman_id
        today = local_today()
    history: dict[int, list[tuple[int, int]]] = defaultdict(list)  # item -> [(seq, version)]
    with server.app_context():
        for item in db.session.execute(sa.select(Item).where(Item.id.in_(ids))).unique().scalars():
            history[item.id].append((db.session.get(CommitLog, item.change_ticket).seq, item.version))
    lock = threading.Lock()
    stop = threading.Event()

    writer_apps = [apps() for _ in range(WRITERS)]  # built here: building an app is not thread-safe

    def writer(number: int) -> int:
        app, chance, commits = writer_apps[number], random.Random(number), 0
        with app.app_context():
            for _ in range(WRITES):
                chosen = chance.sample(ids, chance.randint(1, 4))
                try:
                    rows = lock_rows(chosen)
                    for item in rows:
                        item.note = f"w{number}-{chance.random():.6f}"
                    db.session.flush()
                    if chance.random() < 0.2:  # a savepoint that changes more, then rolls back
                        savepoint = db.session.begin_nested()
                        rows[0].note = "undone"
                        db.session.flush()
                        savepoint.rollback()
                    db.session.flush()
                    time.sleep(chance.choice([0, 0, 0.01, 0.05]))  # some transactions stay open a while
                    if chance.random() < 0.15:
                        db.session.rollback()
                        continue
                    ticket = rows[0].change_ticket
                    versions = {item.id: item.version for item in rows}
                    db.session.commit()
                except sa.exc.OperationalError:  # a lock wait timed out: nothing committed
                    db.session.rollback()
                    continue
                seq = db.session.get(CommitLog, ticket).seq
                with lock:
                    for item_id, version in versions.items():
                        history[item_id].append((seq, version))
                commits += 1
                db.session.rollback()
        return commits

    def lock_rows(chosen):
        return list(
            db.session.execute(
                sa.select(Item).where(Item.id.in_(chosen)).order_by(Item.id).with_for_update(of=Item)
            )
            .unique()
            .scalars()
        )

    with server.app_context():  # the phone's first, full download
        cursor = Cursor(scope_day=today)
        while True:
            page = pull(db.session, postman_id, 0, cursor, today, limit=7)
            cursor = Cursor.decode(page["cursor"])
            if not page["more"]:
                break
        db.session.rollback()
    held = {item_id: history[item_id][-1][1] for item_id in ids}

    def reader() -> list[tuple[int, int, list[dict]]]:
        nonlocal cursor
        passes = []
        finished = False
        with server.app_context():
            while True:
                if not cursor.snapshot:
                    # A pass begins: its snapshot (the clock) is read by this pull and holds for all
                    # its pages, so only a pass begun after the writers stopped can be the last one.
                    finished = stop.is_set()
                page = pull(db.session, postman_id, 0, cursor, today, limit=7)
                db.session.rollback()
                sent = Cursor.decode(page["cursor"])
                window = (cursor.from_seq, sent.from_seq if not page["more"] else sent.snapshot)
                passes.append((*window, page["items"]))
                cursor = sent
                if finished and not page["more"]:
                    return passes
                time.sleep(0.02)

    def writers_then_stop():
        try:
            return run_together(*(lambda n=n: writer(n) for n in range(WRITERS)))
        finally:
            stop.set()

    commits, passes = run_together(writers_then_stop, reader)
    assert sum(commits) > WRITERS * WRITES // 2

    for after, upto, items in passes:
        carried = [i["id"] for i in items]
        assert len(carried) == len(set(carried)), "an item twice in one page"
        for item in items:
            newest = max((s, v) for s, v in history[item["id"]] if s <= upto)
            assert item["version"] == newest[1], (item["id"], after, upto, history[item["id"]])
            assert newest[0] > after, "sent again though the phone had it"
            assert item["version"] > held.get(item["id"], 0), "an older or the same version again"
            held[item["id"]] = item["version"]
    with server.app_context():
        final = {
            i.id: i.version
            for i in db.session.execute(sa.select(Item).where(Item.id.in_(ids))).unique().scalars()
        }
    assert held == final
    assert sum(1 for _, _, items in passes if items) > 3  # the phone saw the writes as they came
