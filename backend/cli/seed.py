"""seed-demo: realistic demo data for a province of the Mekong Delta: a province unit and three commune
post offices (backend.demo.world.OFFICES), each with its supervisor, postmen and agencies, and a
provincial supervisor. The generated work is the first office's:

Bưu điện Châu Thành at Minh Lương (the former district town of Châu Thành, Kiên Giang; since
1 July 2025 xã Châu Thành, An Giang province): agencies, procedures with their checklists, one user
per role, ~150 items around the post office, past rounds with proof, and today's rounds.
Everything is derived from a fixed random seed, so every run gives the same data.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import click
from flask import current_app
from flask.cli import with_appcontext

from backend.audit import audit
from backend.auth.passwords import hash_password
from backend.demo.world import (
    AGENCIES,
    FAIL_REASONS,
    MAIN_OFFICE,
    OFFICE_USERS,
    OFFICER_AGENCY,
    OFFICES,
    OTHER_AGENCIES,
    PASSWORDS,
    PLACES,
    PROCEDURES,
    PROVINCE_OFFICE,
    ROLE_NAMES,
    USERS,
    agency_of,
    item_columns,
    nearest_neighbour_tour,
    person,
    pick_procedure,
)
from backend.domain.round_status import RoundStatus
from backend.domain.s10 import make_s10
from backend.domain.status import Event, Status, next_status
from backend.domain.text import nfc
from backend.extensions import db
from backend.models import (
    Agency,
    AgencyEvent,
    Complaint,
    DeliveryAttempt,
    FeeEntry,
    Handover,
    HandoverLine,
    Item,
    ItemCreation,
    ItemRequest,
    Notification,
    NotificationAttempt,
    NotificationOptOut,
    PostOffice,
    Procedure,
    ProofAttachment,
    Round,
    ScopeRemoval,
    SyncMutation,
    User,
    WebhookAttempt,
    WebhookDelivery,
)
from backend.services.item_events import apply_event

RANDOM_SEED = 20190528
CODE_PREFIX, FIRST_SERIAL = "RD", 90_000_001  # demo items: RD90000001?VN ... (see demo_codes)
TODAY_STOPS = (26, 24, 25)  # per postman
PAST_DAYS, PAST_STOPS = 3, 5  # completed rounds before today, stops on each
UNASSIGNED = {"at_post_office": 17, "registered_return": 4, "registered_collect": 8, "cancelled": 1}
ITEM_COUNT = sum(TODAY_STOPS) + PAST_DAYS * PAST_STOPS * len(TODAY_STOPS) + sum(UNASSIGNED.values())
SECTORS = ((5, 6, 1), (3, 4), (0, 2))  # PLACES served by each postman: north-east, west, town and south


def demo_codes() -> list[str]:
    return [make_s10(CODE_PREFIX, FIRST_SERIAL + n) for n in range(ITEM_COUNT)]


@lru_cache(maxsize=8)
def _hashed(password: str) -> str:
    # Argon2 is slow on purpose: hash each demo password once per process.
    return hash_password(password)


@click.command("seed-demo")
@with_appcontext
@click.option("--if-empty", is_flag=True, help="Do nothing if the database already has users.")
@click.option("--reset", is_flag=True, help="Delete the demo data first, then seed again.")
@click.option("--force", is_flag=True, help="Allow running when POSTROUND_ENV is production.")
def seed_demo(if_empty: bool, reset: bool, force: bool):
    """Fill the database with realistic demo data and print the demo logins."""
    if if_empty and reset:
        raise click.UsageError("--if-empty and --reset contradict each other; give one.")
    if current_app.config["POSTROUND_ENV"] == "production" and not force:
        raise click.ClickException(
            "POSTROUND_ENV is production: refusing to add demo data "
            "(use --force if this really is a demo server)."
        )
    usernames = [u[0] for u in USERS + OFFICE_USERS]
    demo_users = (
        db.session.execute(db.select(User.username).where(User.username.in_(usernames))).scalars().all()
    )
    if if_empty and db.session.execute(db.select(User.id).limit(1)).first():
        click.echo("Đã có người dùng: không tạo dữ liệu demo. / Users exist already: no demo data added.")
        _print_logins(bool(demo_users))
        return
    if not reset and (demo_users or _existing_demo_items()):
        raise click.ClickException(
            "Demo data is already there: use --reset to recreate it or --if-empty to keep it."
        )
    if reset:
        removed = _delete_demo_data()
        click.echo(f"Removed {removed} demo item(s) and their rounds, proofs and handover lines.")
    counts = _seed(random.Random(RANDOM_SEED))
    audit("demo.seeded", "demo", None, counts)
    db.session.commit()
    click.echo("Demo data: " + ", ".join(f"{n} {what}" for what, n in counts.items()) + ".")
    _print_logins(True)


def _print_logins(available: bool) -> None:
    if not available:
        click.echo("Không có tài khoản demo trong cơ sở dữ liệu này. / This database has no demo logins.")
        return
    click.echo("\nTài khoản demo / Demo logins")
    click.echo(f"  {'Vai trò / Role':<34}{'Tên đăng nhập / Username':<28}Mật khẩu / Password")
    offices = (
        {MAIN_OFFICE.code: MAIN_OFFICE.name}
        | {o.code: o.name for o in OFFICES}
        | {PROVINCE_OFFICE.code: PROVINCE_OFFICE.name + " (cấp tỉnh / provincial)"}
    )
    logins = [(u, r, MAIN_OFFICE.code if r in ("supervisor", "postman") else None) for u, r, _, _ in USERS]
    logins += [(u, r, office) for u, r, _, _, office in OFFICE_USERS]
    click.echo(
        f"  {'Vai trò / Role':<34}{'Tên đăng nhập / Username':<28}{'Mật khẩu / Password':<22}Bưu cục / Office"
    )
    for username, role, office in logins:
        where = offices[office] if office else ("toàn bộ / all" if role == "admin" else "—")
        click.echo(f"  {ROLE_NAMES[role]:<34}{username:<28}{PASSWORDS[role]:<22}{where}")
    click.echo(
        "Bưu tá đăng nhập từ điện thoại được đăng ký ở lần đầu. / "
        "A postman's first login registers the phone."
    )


def _existing_demo_items() -> bool:
    return (
        db.session.execute(db.select(Item.id).where(Item.code.in_(demo_codes())).limit(1)).first() is not None
    )


def _delete_demo_data() -> int:
    """Delete demo items and demo postmen's rounds with what hangs on them; users, agencies and
    procedures stay (the append-only audit log refers to users) and are reused."""
    item_ids = db.session.execute(db.select(Item.id).where(Item.code.in_(demo_codes()))).scalars().all()
    postmen = db.select(User.id).where(User.username.in_([u[0] for u in USERS + OFFICE_USERS]))
    round_ids = db.session.execute(db.select(Round.id).where(Round.postman_id.in_(postmen))).scalars().all()
    handover_ids = (
        db.session.execute(
            db.select(HandoverLine.handover_id).where(HandoverLine.item_id.in_(item_ids)).distinct()
        )
        .scalars()
        .all()
    )
    attempts = db.select(DeliveryAttempt.id).where(DeliveryAttempt.item_id.in_(item_ids))
    _delete_told(item_ids, handover_ids)
    db.session.execute(db.delete(FeeEntry).where(FeeEntry.item_id.in_(item_ids)))
    db.session.execute(db.delete(ProofAttachment).where(ProofAttachment.attempt_id.in_(attempts)))
    db.session.execute(db.delete(DeliveryAttempt).where(DeliveryAttempt.item_id.in_(item_ids)))
    db.session.execute(db.delete(HandoverLine).where(HandoverLine.item_id.in_(item_ids)))
    db.session.execute(
        db.delete(Handover).where(
            Handover.id.in_(handover_ids),
            ~Handover.lines.any(),
            ~db.select(FeeEntry.id).where(FeeEntry.handed_over_id == Handover.id).exists(),
        )
    )
    db.session.execute(db.delete(ScopeRemoval).where(ScopeRemoval.item_id.in_(item_ids)))
    # The sync ledger is kept (replays must still find their outcome); it just loses the item.
    db.session.execute(db.update(SyncMutation).where(SyncMutation.item_id.in_(item_ids)).values(item_id=None))
    # Items someone added later to a demo postman's round go back to the office.
    for item in db.session.execute(
        db.select(Item).where(Item.round_id.in_(round_ids), Item.id.not_in(item_ids))
    ).scalars():
        if item.status == Status.ASSIGNED:
            apply_event(item, Event.UNASSIGN, {"reason": "demo reset"})
        item.round_id = item.stop_order = item.leg_distance_m = None
    db.session.execute(
        db.update(DeliveryAttempt).where(DeliveryAttempt.round_id.in_(round_ids)).values(round_id=None)
    )
    db.session.execute(db.delete(Item).where(Item.id.in_(item_ids)))
    db.session.execute(db.delete(Round).where(Round.id.in_(round_ids)))
    db.session.flush()
    return len(item_ids)


def _delete_told(item_ids: list[int], handover_ids: list[int]) -> None:
    """What the demo items told others (agency events and their webhook deliveries, citizens'
    messages) and what others asked of them (complaints, agency requests, idempotent creations)."""
    events = db.select(AgencyEvent.id).where(
        AgencyEvent.item_id.in_(item_ids) | AgencyEvent.handover_id.in_(handover_ids)
    )
    deliveries = db.select(WebhookDelivery.id).where(WebhookDelivery.event_id.in_(events))
    db.session.execute(db.delete(WebhookAttempt).where(WebhookAttempt.delivery_id.in_(deliveries)))
    db.session.execute(db.delete(WebhookDelivery).where(WebhookDelivery.event_id.in_(events)))
    db.session.execute(db.delete(AgencyEvent).where(AgencyEvent.id.in_(events)))
    notes = db.select(Notification.id).where(Notification.item_id.in_(item_ids))
    db.session.execute(db.delete(NotificationAttempt).where(NotificationAttempt.notification_id.in_(notes)))
    for model in (Notification, NotificationOptOut, Complaint, ItemRequest, ItemCreation):
        db.session.execute(db.delete(model).where(model.item_id.in_(item_ids)))


# ---- generation -------------------------------------------------------------------------------------------


@dataclass
class _World:
    rng: random.Random
    zone: ZoneInfo
    today: date
    office: tuple[float, float]
    agencies: dict[str, Agency]
    procedures: dict[str, Procedure]
    users: dict[str, User]
    rounds: dict[tuple[int, date], Round] = field(default_factory=dict)
    received: list[tuple[Item, date]] = field(default_factory=list)  # results the agencies handed over
    fees: dict[int, FeeEntry] = field(default_factory=dict)  # item id -> the cash collected for it
    handed: list[tuple[Item, User, date]] = field(default_factory=list)  # dossiers the post handed in
    serial: int = FIRST_SERIAL
    office_id: int | None = None  # MAIN_OFFICE's: every generated item, round and handover is there

    @property
    def postmen(self) -> list[User]:
        return [self.users[u[0]] for u in USERS if u[1] == "postman"]

    def at(self, day: date, hour: int, minute: int = 0) -> datetime:
        return datetime.combine(day, time(hour, minute), self.zone).astimezone(UTC)

    def procedures_by_id(self) -> dict[int, Procedure]:
        return {p.id: p for p in self.procedures.values()}


def _seed(rng: random.Random) -> dict[str, int]:
    zone = ZoneInfo(current_app.config["TIMEZONE"])
    agencies = _by_code(Agency, AGENCIES + OTHER_AGENCIES)
    offices = _offices(agencies)
    world = _World(
        rng,
        zone,
        datetime.now(zone).date(),
        (MAIN_OFFICE.lat, MAIN_OFFICE.lon),
        agencies,
        _by_code(Procedure, PROCEDURES),
        _users(offices),
        office_id=offices[MAIN_OFFICE.code].id,
    )
    past_days = _working_days_before(world.today, PAST_DAYS)  # the last working day first
    supervisor = world.users[next(u[0] for u in USERS if u[1] == "supervisor")]
    for postman in world.postmen:
        for day in (*past_days, world.today):
            world.rounds[postman.id, day] = Round(
                postman_id=postman.id,
                office_id=world.office_id,
                round_date=day,
                created_by_id=supervisor.id,
                status=RoundStatus.PLANNED if day == world.today else RoundStatus.CLOSED,
                created_at=world.at(day, 7),
            )
    db.session.add_all(world.rounds.values())
    db.session.flush()
    for index, postman in enumerate(world.postmen):
        for age, day in enumerate(past_days):
            _past_round(world, index, postman, day, age, past_days)
        _today_round(world, index, postman, past_days[0])
    _unassigned(world, past_days[0])
    _handovers(world, supervisor)
    return {
        "offices": len(OFFICES) + 1,
        "agencies": len(world.agencies),
        "procedures": len(world.procedures),
        "users": len(world.users),
        "items": world.serial - FIRST_SERIAL,
        "rounds": len(world.rounds),
        "rounds today": len(world.postmen),
    }


def _by_code(model, demos) -> dict:
    """The demo world's agencies or procedures by code: the rows already there, else new ones."""
    found = {}
    for demo in demos:
        row = db.session.execute(db.select(model).where(model.code == demo.code)).scalar_one_or_none()
        if row is None:
            row = model(**demo.columns())
            db.session.add(row)
        found[demo.code] = row
    db.session.flush()
    return found


def _offices(agencies: dict[str, Agency]) -> dict[str, PostOffice]:
    """The province unit and its commune offices: the rows already there, else new ones."""
    found = {}
    for demo in [PROVINCE_OFFICE, *OFFICES]:
        row = db.session.execute(
            db.select(PostOffice).where(PostOffice.code == demo.code)
        ).scalar_one_or_none()
        if row is None:
            row = PostOffice(**demo.columns())
            db.session.add(row)
        if demo.kind == "commune":
            row.parent = found[PROVINCE_OFFICE.code]
        row.agencies = [agencies[code] for code in demo.agencies]
        found[demo.code] = row
    db.session.flush()
    return found


def _users(offices: dict[str, PostOffice]) -> dict[str, User]:
    officer_agency = db.session.execute(db.select(Agency).where(Agency.code == OFFICER_AGENCY)).scalar_one()
    found = {}
    people = [(*user, MAIN_OFFICE.code if user[1] in ("supervisor", "postman") else None) for user in USERS]
    for username, role, full_name, phone, office in people + OFFICE_USERS:
        user = db.session.execute(db.select(User).where(User.username == username)).scalar_one_or_none()
        if user is None:
            user = User(username=username)
            db.session.add(user)
        user.password_hash, user.full_name, user.role = _hashed(PASSWORDS[role]), nfc(full_name), role
        user.phone, user.active = phone, True
        user.agency_id = officer_agency.id if role == "agency" else None
        user.offices = [offices[office]] if office else []
        found[username] = user
    db.session.flush()
    return found


def _working_days_before(today: date, count: int) -> list[date]:
    days, day = [], today
    while len(days) < count:
        day -= timedelta(days=1)
        if day.weekday() != 6:  # the post delivers on Saturdays, not on Sundays
            days.append(day)
    return days


def _walk(direction: str, events: list[Event]) -> tuple[str, int]:
    """The status an item reaches through `events`, checked by the one state machine."""
    status, attempts = Status.REGISTERED, 0
    limit = current_app.config["FAILED_ATTEMPT_LIMIT"]
    for event in events:
        attempts += event == Event.FAIL
        status = next_status(direction, status, event, attempts_after=attempts, attempt_limit=limit)
    return status.value, attempts


RECEIVE, ASSIGN, FAIL, DELIVER, COLLECT, HAND_IN, CANCEL = (
    Event.RECEIVE_FROM_AGENCY,
    Event.ASSIGN,
    Event.FAIL,
    Event.DELIVER,
    Event.COLLECT,
    Event.HAND_TO_AGENCY,
    Event.CANCEL,
)
PATHS = {  # how each kind of demo item got where it is ("gave_up" depends on the attempt limit)
    "gave_up": ("return", []),
    "delivered": ("return", [RECEIVE, ASSIGN, DELIVER]),
    "failed": ("return", [RECEIVE, ASSIGN, FAIL]),
    "collected": ("collect", [ASSIGN, COLLECT]),
    "handed": ("collect", [ASSIGN, COLLECT, HAND_IN]),
    "to_deliver": ("return", [RECEIVE, ASSIGN]),
    "second_try": ("return", [RECEIVE, ASSIGN, FAIL, ASSIGN]),
    "to_collect": ("collect", [ASSIGN]),
    "at_post_office": ("return", [RECEIVE]),
    "registered_return": ("return", []),
    "registered_collect": ("collect", []),
    "cancelled": ("collect", [CANCEL]),
}


def _tries_before_giving_up(past_days: list[date]) -> int:
    """Failed attempts, one a day, that reach the configured limit (or fill the past rounds)."""
    return min(current_app.config["FAILED_ATTEMPT_LIMIT"], len(past_days))


def _past_round(world: _World, index: int, postman: User, day: date, age: int, past_days: list[date]) -> None:
    plan = ["handed" if age else "collected"] + ["delivered"] * (PAST_STOPS - 1)
    if age == 0:
        plan[1] = ("gave_up", "failed", "failed")[index]
    tries = _tries_before_giving_up(past_days)
    first_day = {"gave_up": past_days[tries - 1]}
    items = [_new_item(world, index, kind, first_day.get(kind, day)) for kind in plan]
    rnd = world.rounds[postman.id, day]
    _fill_round(world, rnd, items)
    for item, kind in zip(items, plan, strict=True):
        if kind == "gave_up":  # one failed attempt on each of the last working days
            for earlier in reversed(past_days[:tries]):
                _attempt(world, item, postman, world.rounds[postman.id, earlier], earlier, "failed")
        else:
            _attempt(
                world,
                item,
                postman,
                rnd,
                day,
                {"delivered": "delivered", "failed": "failed"}.get(kind, "collected"),
            )
        if kind == "handed":
            world.handed.append((item, postman, day))


def _today_round(world: _World, index: int, postman: User, last_day: date) -> None:
    kinds = []
    second_tries = (2 if index == 0 else 1) if current_app.config["FAILED_ATTEMPT_LIMIT"] > 1 else 0
    for stop in range(TODAY_STOPS[index]):
        if stop < second_tries:
            kinds.append("second_try")  # failed on the last round, out again today
        else:
            kinds.append("to_collect" if world.rng.random() < 0.15 else "to_deliver")
    items = [
        _new_item(world, index, kind, last_day if kind == "second_try" else world.today) for kind in kinds
    ]
    _fill_round(world, world.rounds[postman.id, world.today], items)
    for item, kind in zip(items, kinds, strict=True):
        if kind == "second_try":
            _attempt(world, item, postman, world.rounds[postman.id, last_day], last_day, "failed")


def _unassigned(world: _World, last_day: date) -> None:
    for kind, count in UNASSIGNED.items():
        for _ in range(count):
            received = world.today if world.rng.random() < 0.7 else last_day
            _new_item(world, world.rng.randrange(len(SECTORS)), kind, received)
    db.session.flush()


def _new_item(world: _World, sector: int, kind: str, received: date) -> Item:
    rng = world.rng
    direction, events = PATHS[kind]
    if kind == "gave_up":
        events = [RECEIVE] + [ASSIGN, FAIL] * _tries_before_giving_up(list(range(PAST_DAYS)))
    place = PLACES[rng.choice(SECTORS[sector])]
    proc = pick_procedure(rng, direction)
    status, attempts = _walk(direction, events)
    columns = item_columns(
        rng,
        prefix=CODE_PREFIX,
        serial=world.serial,
        direction=direction,
        place=place,
        procedure=proc,
        received=received,
        office=world.office,
    )
    item = Item(
        **columns,
        office_id=world.office_id,
        procedure_id=world.procedures[proc.code].id,
        agency_id=world.agencies[agency_of(proc, place).code].id,
        attempt_count=attempts,
        status=status,
        created_at=world.at(received - timedelta(days=1 if direction == "collect" else 0), 7, 30),
    )
    db.session.add(item)
    world.serial += 1
    if RECEIVE in events:
        world.received.append((item, received))
    return item


def _fill_round(world: _World, rnd: Round, items: list[Item]) -> None:
    """Stops by nearest neighbour from the post office, as backend.demo.world plans demo rounds."""
    legs, rnd.total_distance_m = nearest_neighbour_tour(world.office, items, lambda i: (i.lat, i.lon))
    for order, (item, leg) in enumerate(legs, start=1):
        item.round_id, item.stop_order, item.leg_distance_m = rnd.id, order, leg
    db.session.flush()


def _attempt(world: _World, item: Item, postman: User, rnd: Round, day: date, outcome: str) -> None:
    rng = world.rng
    when = world.at(day, 8) + timedelta(minutes=12 * (item.stop_order or 1) + rng.randint(0, 9))
    attempt = DeliveryAttempt(
        item_id=item.id,
        postman_id=postman.id,
        round_id=rnd.id,
        outcome=outcome,
        lat=round(item.lat + rng.uniform(-2e-4, 2e-4), 6),
        lon=round(item.lon + rng.uniform(-2e-4, 2e-4), 6),
        accuracy_m=float(rng.randint(5, 30)),
        device_time=when,
        server_time=when + timedelta(minutes=2),
    )
    if outcome == "failed":
        attempt.reason_code, attempt.note = rng.choice(FAIL_REASONS)
        attempt.next_attempt_date = day + timedelta(days=1)
    else:
        authorised = outcome == "delivered" and rng.random() < 0.15
        attempt.receiver_name = person(rng) if authorised else item.recipient_name
        attempt.receiver_relation = "authorised" if authorised else "self"
        attempt.id_number_masked = f"********{rng.randrange(10_000):04d}"
        attempt.fee_collected, attempt.government_fee_collected = item.service_fee, item.government_fee
        attempt.receipt_number = f"BL{day:%y%m%d}{item.id:05d}"
        if outcome == "collected":
            papers = world.procedures_by_id()[item.procedure_id].checklist
            attempt.checklist = [{"name": p["name"], "form": p["form"], "present": True} for p in papers]
            attempt.seal_number = f"NP{day:%y%m%d}{item.id:05d}"
    db.session.add(attempt)
    if outcome != "failed":
        db.session.flush()
        world.fees[item.id] = FeeEntry(
            item_id=item.id,
            attempt_id=attempt.id,
            postman_id=postman.id,
            service_fee=item.service_fee,
            government_fee=item.government_fee,
            receipt_number=attempt.receipt_number,
            device_time=when,
            server_time=attempt.server_time,
        )
        db.session.add(world.fees[item.id])


def _handovers(world: _World, supervisor: User) -> None:
    """Handover records: results the agencies gave the post, dossiers the post handed in."""
    officer = next(u for u in world.users.values() if u.role == "agency")
    procedures = world.procedures_by_id()
    groups: dict[tuple, list] = {}
    passed_on: list[tuple[Item, Handover]] = []
    for item, day in world.received:
        groups.setdefault(("agency_to_post", item.agency_id, day, None), []).append(item)
    for item, postman, day in world.handed:
        groups.setdefault(("post_to_agency", item.agency_id, day, postman.id), []).append(item)
    for (direction, agency_id, day, postman_id), items in sorted(
        groups.items(), key=lambda g: (g[0][2], g[0][1])
    ):
        inbound = direction == "agency_to_post"
        handover = Handover(
            direction=direction,
            office_id=world.office_id,
            agency_id=agency_id,
            postman_id=postman_id,
            created_by_id=supervisor.id,
            officer_name=officer.full_name if agency_id == officer.agency_id else "Cán bộ bộ phận một cửa",
            result_ready_date=None if inbound else day + timedelta(days=7),
            created_at=world.at(day, 7, 15) if inbound else world.at(day, 16, 30),
        )
        for item in items:
            papers = procedures[item.procedure_id].checklist
            originals = 1 if inbound else sum(p["form"] == "original" and p["required"] for p in papers)
            copies = 0 if inbound else sum(p["form"] == "copy" and p["required"] for p in papers)
            handover.lines.append(
                HandoverLine(
                    item_id=item.id,
                    originals=originals,
                    copies=copies,
                    fee_passed_on=0 if inbound else item.government_fee,
                )
            )
            if not inbound:
                passed_on.append((item, handover))
        db.session.add(handover)
    db.session.flush()
    for item, handover in passed_on:  # the government fee went to the agency with the dossier
        world.fees[item.id].handed_over_id = handover.id
    db.session.flush()
