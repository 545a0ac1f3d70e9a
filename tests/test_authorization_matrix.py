"""Every endpoint x every role x own/foreign resource x own/foreign post office.

The world: agency A's item is on the round of `postman`; agency B's item is on
`other_postman`'s round. `officer` works for A, `other_officer` for B. For each
endpoint the table names who may call it for the *own* resources (A's item, postman's
round); everyone else must get 403 (401 without a token). A final test makes sure
every API route in the app appears in the table, so a new endpoint cannot skip it.

The API-key column: `key` is agency A's system (an API key, docs/agency-api.md), `other_key`
agency B's. A key reaches exactly what an officer of its agency reaches (`officer`'s row is
`key`'s, `other_officer`'s is `other_key`'s), except a person's own account (PERSON_ONLY), and
only the admin manages keys: so a key never reaches a supervisor's or an admin's route, and A's
key meets B's things as A's officer does.

The foreign-office column: all of that is the post office `office` (Minh Lương); a second
office `foreign_office` under the same province unit has its own agency, item, round and
handover record. Its supervisor (`foreign_supervisor`) calls every endpoint a supervisor may
call, on the first office's things: every one answers 404 (as if missing) or lists nothing of
the first office, and every write naming them is refused. `provincial` belongs to the province
unit: allowed wherever a supervisor is, and sees both offices.

Authorization does not depend on the database, so this grid runs on SQLite only; every
other API test runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
import shutil
import time
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import pytest

from backend import create_app
from backend.auth.api_keys import create_key
from backend.auth.tokens import issue_access_token, start_session
from backend.domain.s10 import make_s10
from backend.extensions import db
from backend.models import (
    Agency,
    AgencyEvent,
    Attachment,
    BackgroundJob,
    CashHandover,
    Complaint,
    DeliveryAttempt,
    Device,
    FeeEntry,
    Handover,
    HandoverLine,
    ItemRequest,
    PostOffice,
    Procedure,
    ProofAttachment,
    Round,
    User,
    WebhookDelivery,
    WebhookEndpoint,
)
from backend.services.webhooks import new_secret, seal_secret
from backend.timeutil import local_today
from tests.conftest import _test_config
from tests.factories import Factory
from tests.kit.images import jpeg_bytes, png_signature
from tests.kit.phone import sha

PERSONAS = (
    "anonymous",
    "admin",
    "supervisor",
    "provincial",
    "postman",
    "other_postman",
    "officer",
    "other_officer",
    "key",
    "other_key",
)
KEYS = {"officer": "key", "other_officer": "other_key"}  # the officer whose row a key's row is
PERSON_ONLY = {"/api/auth/password"}  # a key has no password
STAFF = {"admin", "supervisor", "provincial"}
OFFICE = Factory.DEFAULT_OFFICE  # the world's office (the factories' default one)
SIGNED_IN = set(PERSONAS) - {"anonymous"}
PUBLIC = set(PERSONAS)
SIGNATURE = "data:image/png;base64," + base64.b64encode(png_signature(3)).decode()


@dataclass(frozen=True)
class Rule:
    method: str
    path: str  # with {item}, {round}, {user}, {agency}, {procedure}, {device}
    allowed: frozenset
    body: object = None
    query: object = None
    missing_for: frozenset = frozenset()  # signed-in roles to whom the thing is missing (404), not refused


def rule(method, path, allowed, body=None, query=None, missing_for=()):
    def with_keys(personas):
        if path in PERSON_ONLY:
            return frozenset(set(personas) - set(KEYS.values()))
        return frozenset(set(personas) | {KEYS[p] for p in personas if p in KEYS})

    return Rule(method, path, with_keys(allowed), body, query, with_keys(missing_for))


def link_token(code: str) -> str:
    """The token of the link in a citizen's message (backend/services/citizen_links.py)."""
    key = _test_config("")["SECRET_KEY"].encode()
    digest = hmac.new(key, b"track:" + code.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")[:22]


def booking_body(w) -> dict:
    """A citizen's booking in the world's commune, for the next working day in Vietnam."""
    from zoneinfo import ZoneInfo

    from backend.domain.workdays import is_working_day

    day = datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).date() + timedelta(days=1)
    while not is_working_day(day):
        day += timedelta(days=1)
    return {
        "procedure_id": w["procedure"],
        "name": "Phạm Thị Lan",
        "phone": "0987654321",
        "address_line": "Ấp Phước Lợi",
        "commune": "Xã Châu Thành",
        "day": day.isoformat(),
    }


def new_item_body(w):
    return {
        "code": make_s10("RR", 77_000_001),
        "direction": "collect",
        "procedure_id": w["procedure"],
        "recipient_name": "Phạm Văn An",
        "address_line": "Ấp 1",
        "commune": "Xã Bình An",
        "province": "An Giang",
        "service_fee": 26_000,
        "agency_id": w["agency"],
        "office": OFFICE,  # the admin and the provincial supervisor see two offices: they name it
    }


def export_file(w):
    """A one-row one-stop-shop export (CSV) that imports cleanly into the world."""
    return (
        "code,procedure_code,agency_code,recipient_name,address_line,commune,province\n"
        f"{make_s10('RR', 77_000_002)},{w['procedure_code']},{w['agency_code']},Phạm Văn An,Ấp 1,"
        "Xã Bình An,An Giang\n"
    ).encode()


# Around today on any machine's clock: the world's handover record (made now) is in it.
REPORT_RANGE = {
    "date_from": (date.today() - timedelta(days=1)).isoformat(),
    "date_to": (date.today() + timedelta(days=1)).isoformat(),
}


def handover_body(w) -> dict:
    return {
        "direction": "agency_to_post",
        "agency_id": w["agency"],
        "office": OFFICE,
        "officer_name": "Lê Thị Hoa",
        "lines": [{"item_id": w["spare_item"], "originals": 1}],
    }


RULES = [
    rule("GET", "/api/health", PUBLIC),
    rule("GET", "/api/auth/me", SIGNED_IN),
    rule(
        "POST",
        "/api/auth/password",
        SIGNED_IN,
        body={"current_password": Factory.PASSWORD, "new_password": "a-new-long-password"},
    ),
    rule("GET", "/api/agencies", STAFF | {"officer", "other_officer"}),
    rule(
        "POST",
        "/api/agencies",
        {"admin"},
        body=lambda w: {"code": "NEW1", "name": "UBND xã Mới", "province": "An Giang"},
    ),
    rule("GET", "/api/agencies/{agency}", STAFF | {"officer"}),
    rule("PATCH", "/api/agencies/{agency}", {"admin"}, body=lambda w: {"name": "Đổi tên"}),
    rule("GET", "/api/offices", SIGNED_IN),
    rule(
        "POST",
        "/api/offices",
        {"admin"},
        body=lambda w: {
            "code": "BC-NEW",
            "name": "Bưu cục Mới",
            "parent": w["province_code"],
            "lat": 10.1,
            "lon": 105.2,
        },
    ),
    rule("GET", "/api/offices/{office}", SIGNED_IN),
    rule(
        "PATCH", "/api/offices/{office}", {"admin", "provincial"}, body=lambda w: {"phone": "0292 3821 234"}
    ),
    rule("GET", "/api/procedures", SIGNED_IN),
    rule("POST", "/api/procedures", {"admin"}, body=lambda w: {"code": "P-NEW", "name": "Thủ tục mới"}),
    rule("GET", "/api/procedures/{procedure}", SIGNED_IN),
    rule("PATCH", "/api/procedures/{procedure}", {"admin"}, body=lambda w: {"government_fee": 10_000}),
    rule("GET", "/api/api-keys", {"admin"}),
    rule("POST", "/api/api-keys", {"admin"}, body=lambda w: {"agency_id": w["agency"], "name": "Một cửa"}),
    rule("POST", "/api/api-keys/{api_key}/revoke", {"admin"}),
    rule("GET", "/api/users", STAFF),
    rule(
        "POST",
        "/api/users",
        {"admin"},
        body=lambda w: {
            "username": "newbie",
            "password": "long-enough-pass",
            "full_name": "Người Mới",
            "role": "postman",
        },
    ),
    rule("GET", "/api/users/{user}", STAFF),
    rule("PATCH", "/api/users/{user}", {"admin"}, body=lambda w: {"full_name": "Tên Mới"}),
    rule("GET", "/api/users/{user}/devices", STAFF),
    rule("POST", "/api/devices/{device}/revoke", STAFF),
    rule("GET", "/api/items", STAFF | {"postman", "other_postman", "officer", "other_officer"}),
    rule("POST", "/api/items", STAFF | {"officer"}, body=new_item_body),
    rule("POST", "/api/items/bulk", STAFF | {"officer"}, body=lambda w: {"items": [new_item_body(w)]}),
    rule("GET", "/api/items/{item}", STAFF | {"postman", "officer"}),
    rule("PATCH", "/api/items/{item}", STAFF, body=lambda w: {"note": "gọi trước khi đến"}),
    rule("POST", "/api/items/{item}/events", STAFF, body=lambda w: {"event": "cancel"}),
    rule("GET", "/api/items/{item}/timeline", STAFF | {"officer"}),
    rule("GET", "/api/items/{item}/notifications", STAFF),
    rule("POST", "/api/items/{item}/notifications/opt-out", STAFF, body=lambda w: {"whole_phone": False}),
    rule("GET", "/api/search", STAFF, query={"q": "an giang"}),
    rule("GET", "/api/track/{code}", PUBLIC, query={"phone_last4": "5678"}),
    rule(
        "POST",
        "/api/notifications/stop",
        PUBLIC,
        body=lambda w: {"code": w["code"], "k": link_token(w["code"])},
    ),
    rule("POST", "/api/bookings", PUBLIC, body=lambda w: booking_body(w)),
    rule("GET", "/api/rounds", STAFF | {"postman", "other_postman"}),
    rule(
        "POST",
        "/api/rounds",
        STAFF,
        body=lambda w: {"postman_id": w["idle_postman"], "round_date": "2026-12-01", "office": OFFICE},
    ),
    rule("GET", "/api/rounds/mine", {"postman", "other_postman"}),
    rule("GET", "/api/rounds/{round}", STAFF | {"postman"}),
    rule("POST", "/api/rounds/{round}/assign", STAFF, body=lambda w: {"item_ids": [w["spare_item"]]}),
    rule("POST", "/api/rounds/{round}/unassign", STAFF, body=lambda w: {"item_ids": [w["item"]]}),
    rule("PUT", "/api/rounds/{round}/order", STAFF, body=lambda w: {"item_ids": [w["item"]]}),
    rule("POST", "/api/rounds/{round}/optimise", STAFF),
    rule("POST", "/api/rounds/{finished_round}/close", STAFF),
    rule("GET", "/api/rounds/{round}/run-sheet.pdf", STAFF),
    rule("GET", "/api/rounds/{round}/labels.pdf", STAFF),
    rule("POST", "/api/items/labels.pdf", STAFF, body=lambda w: {"item_ids": [w["item"]]}),
    rule(
        "POST",
        "/api/items/bulk-action",
        STAFF,
        body=lambda w: {"action": "reschedule", "due_date": "2026-12-05", "item_ids": [w["item"]]},
    ),
    rule(
        "POST",
        "/api/items/bulk-action",
        STAFF,
        body=lambda w: {"action": "assign", "round_id": w["round"], "item_ids": [w["spare_item"]]},
    ),
    rule("GET", "/api/sync/pull", {"postman", "other_postman"}),
    rule(
        "POST",
        "/api/sync/push",
        {"postman", "other_postman"},
        body=lambda w: {
            "mutations": [
                {
                    "id": f"m-{uuid.uuid4().hex}",
                    "seq": 1,
                    "type": "fee",
                    "item_id": w["item"],
                    "at": "2026-11-26T08:00:00+07:00",
                    "data": {"service_fee": 26000},
                }
            ]
        },
    ),
    rule("GET", "/api/sync/attachments/{sha}", STAFF | {"postman", "other_postman"}),
    rule("PUT", "/api/sync/attachments/{sha}", {"postman", "other_postman"}, body=lambda w: w["photo"]),
    rule(
        "POST",
        "/api/sync/attachments",
        {"postman", "other_postman"},
        body=lambda w: (
            "multipart/form-data; boundary=matrix",
            f'--matrix\r\nContent-Disposition: form-data; name="{w["sha"]}"; filename="p"\r\n\r\n'.encode()
            + w["photo"]
            + b"\r\n--matrix--\r\n",
        ),
    ),
    rule(
        "POST",
        "/api/sync/attachments/check",
        {"postman", "other_postman"},
        body=lambda w: {"digests": [w["sha"], w["stored_sha"]]},
    ),
    rule("GET", "/api/sync/reconciliation", STAFF),
    rule("GET", "/api/sync/devices", STAFF),
    rule("GET", "/api/proofs", STAFF),
    rule("GET", "/api/proofs/{proof}", STAFF | {"officer"}),
    rule("POST", "/api/proofs/{proof}/resolve", STAFF, body=lambda w: {"note": "Đã xử lý"}),
    rule("POST", "/api/proofs/{proof}/accept", STAFF, body={"note": "Bưu tá đã phát trước khi hủy"}),
    rule("POST", "/api/proofs/{proof}/reject", STAFF, body={"reason": "Chữ ký không khớp"}),
    # A's proof's photo: A's officer too, on request (audited); B's officer gets 404 like a missing one.
    rule("GET", "/api/attachments/{stored_sha}", STAFF | {"officer"}, missing_for={"other_officer"}),
    # The supervisors' dashboard (docs/dashboard.md)
    rule("GET", "/api/dashboard/config", STAFF | {"officer", "other_officer"}),
    rule("GET", "/api/dashboard/today", STAFF),
    rule("GET", "/api/dashboard/exceptions", STAFF),
    rule(
        "POST",
        "/api/dashboard/exceptions/acknowledge",
        STAFF,
        body=lambda w: {"kind": "overdue", "subject": f"item:{w['overdue_item']}:due:2026-11-01"},
    ),
    rule("GET", "/api/dashboard/map", STAFF),
    rule("POST", "/api/imports/preview", STAFF, body=export_file, query={"office": OFFICE}),
    rule("POST", "/api/imports", STAFF, body=export_file, query={"office": OFFICE}),
    rule("GET", "/api/jobs/{job}", STAFF),
    rule("GET", "/api/handovers", STAFF | {"officer", "other_officer"}),
    rule("POST", "/api/handovers", STAFF, body=handover_body),
    # Signed on screen: an officer may draw up one too (an electronic record the post countersigns).
    rule(
        "POST",
        "/api/handovers",
        STAFF | {"officer"},
        body=lambda w: handover_body(w) | {"signature": SIGNATURE},
    ),
    rule(
        "POST",
        "/api/handovers/{awaiting_post}/sign",
        STAFF,
        body={"signer_name": "Trần Văn Bình", "signature": SIGNATURE},
    ),
    rule(
        "POST",
        "/api/handovers/{awaiting_agency}/sign",
        {"officer"},
        body={"signer_name": "Lê Thị Hoa", "signature": SIGNATURE},
    ),
    # Withdrawn only by the side that drew it up, while it waits.
    rule("POST", "/api/handovers/{awaiting_post}/withdraw", {"officer"}, body={"reason": "Sai danh sách"}),
    rule("POST", "/api/handovers/{awaiting_agency}/withdraw", STAFF, body={}),
    rule("GET", "/api/handovers/candidates", STAFF, query={"direction": "post_to_agency"}),
    rule(
        "GET",
        "/api/handovers/candidates",
        STAFF | {"officer", "other_officer"},
        query={"direction": "agency_to_post"},
    ),
    rule(
        "POST", "/api/items/{item}/requests", {"officer"}, body={"kind": "hold", "reason": "Công dân xin giữ"}
    ),
    rule("GET", "/api/item-requests", STAFF | {"officer", "other_officer"}),
    rule("GET", "/api/items/export", STAFF | {"officer", "other_officer"}, query={"format": "csv"}),
    rule(
        "POST",
        "/api/item-requests/{item_request}/resolve",
        STAFF,
        body={"action": "declined", "note": "Đã phát"},
    ),
    rule("GET", "/api/handovers/{handover}", STAFF | {"officer"}),
    rule("GET", "/api/handovers/{handover}/pdf", STAFF | {"officer"}),
    rule("GET", "/api/cash-handovers", STAFF),
    rule(
        "POST",
        "/api/cash-handovers",
        STAFF,
        body=lambda w: {"postman_id": w["user"], "service_fee_cash": 26_000, "note": "Nộp tiền cuối ngày"},
    ),
    rule("POST", "/api/cash-handovers/{cash_handover}/receive", STAFF, body={"note": "Đã nhận đủ"}),
    rule("GET", "/api/complaints", STAFF),
    rule("POST", "/api/complaints/{complaint}/answer", STAFF, body={"answer": "Bưu cục xin lỗi."}),
    rule("GET", "/api/reports", STAFF, query=REPORT_RANGE),
    rule("GET", "/api/reports/export", STAFF, query=REPORT_RANGE),
    rule("POST", "/api/reports/export-jobs", STAFF, query=REPORT_RANGE),
    # An export's file is its creator's (the world's supervisor): to other staff it is missing.
    rule("GET", "/api/jobs/{export_job}/file", {"supervisor"}, missing_for=STAFF - {"supervisor"}),
    # An agency's system (docs/agency-api.md): its officer (an API key, once there are some) or an admin
    # of an office that serves the agency; the other agency's officer reads their own, empty, feed and
    # list, and another agency's endpoint is missing to them.
    rule("GET", "/api/agency/changes", {"admin", "officer", "other_officer"}),
    # The portal's fees page: an officer reads their own agency's (the other agency's officer, their own,
    # whatever agency_id they pass); staff their offices'.
    rule("GET", "/api/agency/fees", STAFF | {"officer", "other_officer"}, query=REPORT_RANGE),
    rule("GET", "/api/agency/webhooks", {"admin", "officer", "other_officer"}),
    rule(
        "POST",
        "/api/agency/webhooks",
        {"admin", "officer"},
        body=lambda w: {
            "url": "https://mot-cua.example/hooks",
            "events": ["item.delivered"],
            "agency_id": w["agency"],
        },
    ),
    rule("DELETE", "/api/agency/webhooks/{webhook}", {"admin", "officer"}, missing_for={"other_officer"}),
    rule(
        "GET",
        "/api/agency/webhooks/{webhook}/deliveries",
        {"admin", "officer"},
        missing_for={"other_officer"},
    ),
    rule(
        "POST",
        "/api/agency/webhook-deliveries/{webhook_delivery}/replay",
        {"admin", "officer"},
        missing_for={"other_officer"},
    ),
    rule("GET", "/api/items/{item}/events", {"admin", "officer"}),
]

# Public by design: the spec and docs, and the sign-in endpoints (covered in test_auth.py).
NOT_IN_MATRIX = {"/api/openapi.json", "/api/docs", "/api/auth/login", "/api/auth/refresh", "/api/auth/logout"}


def _world_config(folder) -> dict:
    return _test_config(
        f"sqlite:///{folder / 'test.db'}",
        STORAGE_DIR=str(folder / "storage"),
        TASK_QUEUE_URL=f"sqlite:///{folder / 'queue.db'}",
    )


@pytest.fixture(scope="module")
def world_file(tmp_path_factory):
    """The world, built once: a SQLite file and a store that every case starts from a copy of
    (building it for each of the ~560 cases was most of the suite's time)."""
    folder = tmp_path_factory.mktemp("world")
    app = create_app(_world_config(folder))
    with app.app_context():
        db.create_all()
        built = _build_world(app, Factory(app))
        db.session.remove()
        db.engine.dispose()
    return folder, built


@pytest.fixture
def app(world_file, tmp_path):
    """The app on a fresh copy of the world: what one case writes, no other case sees."""
    folder, _ = world_file
    for name in os.listdir(folder):
        copy = shutil.copytree if (folder / name).is_dir() else shutil.copyfile
        copy(folder / name, tmp_path / name)
    app = create_app(_world_config(tmp_path))
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


# Tokens are signed claims (backend/auth/tokens.py): the same ones serve every case, each on its own copy
# of the sessions they name, and they are issued again each minute so none nears its expiry however long
# the file runs (issuing a dozen for each of ~1,100 cases was a quarter of the file's time).
TOKENS_REISSUED_AFTER = 60  # seconds, against ACCESS_TOKEN_TTL's 15 minutes


@pytest.fixture(scope="module")
def issued() -> dict:
    return {}


@pytest.fixture
def world(app, world_file, issued):
    """The world's ids, and access tokens for its login sessions (not older than a minute)."""
    built = world_file[1]
    if time.monotonic() - issued.get("at", -TOKENS_REISSUED_AFTER) >= TOKENS_REISSUED_AFTER:
        with app.app_context():
            issued["at"] = time.monotonic()
            issued["tokens"] = {
                name: issue_access_token(db.session.get(User, user_id), device_id, session_id)
                for name, (user_id, device_id, session_id) in built["sessions"].items()
            } | built["key_secrets"]
    return built | {"tokens": issued["tokens"]}


def _build_world(app, make: Factory) -> dict:
    office = make.default_office_id()
    province = make.office(kind="province", lat=None, lon=None)
    foreign_office = make.office(parent_id=province.id, lat=10.03, lon=105.78)
    with app.app_context():
        db.session.get_one(PostOffice, office).parent_id = province.id
        db.session.commit()
    agency_a, agency_b = make.agency(), make.agency()
    people = make.one_per_role(agency_a)
    people["officer"] = people.pop("agency")
    people |= {
        "provincial": make.user("supervisor", offices=(province.id,)),
        "foreign_supervisor": make.user("supervisor", offices=(foreign_office.id,)),
        "other_postman": make.user("postman"),
        "other_officer": make.user("agency", agency_id=agency_b.id),
    }
    item_a = make.item(agency_id=agency_a.id, recipient_phone="0900005678")
    item_b = make.item(agency_id=agency_b.id)
    spare_item = make.item(agency_id=agency_a.id)
    overdue_item = make.item(agency_id=agency_a.id, due_date=date(2026, 11, 1))
    idle_postman = make.user("postman")
    round_a = make.round(people["postman"], date(2026, 11, 26), items=[item_a])
    make.round(people["other_postman"], date(2026, 11, 26), items=[item_b])
    finished_round = make.round(
        people["postman"], date(2026, 11, 25), status="completed", items=[make.item(agency_id=agency_a.id)]
    )
    with app.app_context():
        for stop in db.session.get(Round, finished_round.id).items:
            stop.status = "delivered"
        db.session.commit()
    # The other office: its own agency, postman, item on a round, and handover record.
    foreign_agency = make.agency(offices=(foreign_office.id,))
    foreign_postman = make.user("postman", offices=(foreign_office.id,))
    foreign_item = make.item(agency_id=foreign_agency.id, office_id=foreign_office.id)
    foreign_round = make.round(
        foreign_postman, date(2026, 11, 26), items=[foreign_item], office_id=foreign_office.id
    )
    to_post = make.item(agency_id=agency_a.id, status="registered")
    to_agency = make.item(agency_id=agency_a.id, status="return_to_agency")
    photo, stored = jpeg_bytes(1), jpeg_bytes(2)
    with app.app_context():
        devices = {"postman": "device-of-postman", "other_postman": "device-of-other"}
        for name, device_id in devices.items():
            db.session.add(Device(id=device_id, user_id=people[name].id))
        proof = DeliveryAttempt(
            item_id=item_a.id,
            postman_id=people["postman"].id,
            outcome="delivered",
            flagged=True,
            flag_reason="item-cancelled",
        )
        db.session.add(proof)
        handover = Handover(
            direction="agency_to_post",
            agency_id=agency_a.id,
            office_id=office,
            officer_name="Lê Thị Hoa",
            lines=[HandoverLine(item_id=item_a.id, originals=1)],
        )
        db.session.add(handover)
        # Electronic records waiting for the post office's and for the agency's signature.
        awaiting = [
            Handover(
                direction=direction,
                agency_id=agency_a.id,
                office_id=office,
                officer_name="Lê Thị Hoa",
                status=status,
                lines=[HandoverLine(item_id=waiting.id, originals=1)],
            )
            for direction, status, waiting in (
                ("agency_to_post", "awaiting_post", to_post),
                ("post_to_agency", "awaiting_agency", to_agency),
            )
        ]
        db.session.add_all(awaiting)
        request = ItemRequest(
            item_id=item_a.id,
            agency_id=agency_a.id,
            kind="cancel",
            reason="Hồ sơ bị rút",
            requested_by_id=people["officer"].id,
        )
        db.session.add(request)
        db.session.add(
            Handover(
                direction="agency_to_post",
                agency_id=foreign_agency.id,
                office_id=foreign_office.id,
                officer_name="Trần Văn Khác",
                lines=[HandoverLine(item_id=foreign_item.id, originals=1)],
            )
        )
        # Today's cash: 52.000 ₫ collected at the door, half of it declared handed over by the phone.
        db.session.add(
            FeeEntry(
                item_id=item_a.id, postman_id=people["postman"].id, service_fee=52_000, receipt_number="BL-1"
            )
        )
        cash = CashHandover(
            client_mutation_id="m-cash-handover-1",
            office_id=office,
            postman_id=people["postman"].id,
            day=local_today(),
            service_fee_cash=26_000,
            status="declared",
        )
        db.session.add(cash)
        complaint = Complaint(
            item_id=item_a.id, office_id=office, text="Bưu tá không gọi trước.", due_on=local_today()
        )
        db.session.add(complaint)
        job = BackgroundJob(
            id=str(uuid.uuid4()),
            kind="import-items",
            status="succeeded",
            params={"file": "a.csv", "office_id": office},
            attempts=1,
            rows_total=1,
            rows_checked=1,
            rows_imported=1,
            result={"imported": 1},
        )
        export_job = BackgroundJob(
            id=str(uuid.uuid4()),
            kind="export-report",
            status="succeeded",
            created_by_id=people["supervisor"].id,
            params={"file": "bao-cao.csv", "format": "csv"},
            attempts=1,
            rows_total=5,
            rows_checked=5,
            rows_imported=0,
            result={"media_type": "text/csv; charset=utf-8"},
            output=b"\xef\xbb\xbfK\xe1\xbb\xb3 / Period\r\n",
        )
        db.session.add_all([job, export_job])
        store = app.extensions["postround.store"]
        store.append(sha(stored), 0, stored, people["postman"].id)
        db.session.add(
            Attachment(
                sha256=sha(stored),
                size_bytes=len(stored),
                media_type="image/jpeg",
                storage_path=store.promote(sha(stored), people["postman"].id),
                verified=True,
            )
        )
        proof.attachments.append(ProofAttachment(sha256=sha(stored), kind="photo"))
        db.session.commit()
        sessions = {
            name: (user.id, devices.get(name), start_session(user, devices.get(name)))
            for name, user in people.items()
        }
        key_a, secret_a = create_key(db.session.get_one(Agency, agency_a.id), "Một cửa A", None)
        _, secret_b = create_key(db.session.get_one(Agency, agency_b.id), "Một cửa B", None)
        db.session.commit()
        extra_keys = {"api_key": key_a.id, "key_secrets": {"key": secret_a, "other_key": secret_b}}
        proof_id = proof.id
        endpoint = WebhookEndpoint(
            agency_id=agency_a.id,
            url="https://mot-cua.example/hooks",
            events=["item.delivered"],
            secret_sealed=seal_secret(new_secret()),
        )
        db.session.add(endpoint)
        first_event = (
            db.session.execute(
                db.select(AgencyEvent).where(AgencyEvent.agency_id == agency_a.id).order_by(AgencyEvent.id)
            )
            .scalars()
            .first()
        )
        delivery = WebhookDelivery(
            id="msg_" + uuid.uuid4().hex, endpoint=endpoint, event=first_event, status="failed"
        )
        db.session.add(delivery)
        db.session.commit()
        extra = {
            "webhook": endpoint.id,
            "webhook_delivery": delivery.id,
            "handover": handover.id,
            "awaiting_post": awaiting[0].id,
            "awaiting_agency": awaiting[1].id,
            "item_request": request.id,
            "cash_handover": cash.id,
            "complaint": complaint.id,
            "job": job.id,
            "export_job": export_job.id,
            "agency_code": agency_a.code,
            "procedure_code": db.session.get(Procedure, item_a.procedure_id).code,
        }
    return {
        "sessions": sessions,
        "item": item_a.id,
        "code": item_a.code,
        "round": round_a.id,
        "user": people["postman"].id,
        "agency": agency_a.id,
        "procedure": item_a.procedure_id,
        "device": "device-of-postman",
        "proof": proof_id,
        "finished_round": finished_round.id,
        "photo": photo,
        "sha": sha(photo),
        "stored_sha": sha(stored),
        "spare_item": spare_item.id,
        "overdue_item": overdue_item.id,
        "idle_postman": idle_postman.id,
        "office": office,
        "province_code": province.code,
        # What of the first office must never reach the other office's supervisor.
        "markers": [
            item_a.code,
            spare_item.code,
            overdue_item.code,
            people["postman"].username,
            idle_postman.username,
            agency_a.name,
        ],
        "foreign": {
            "item": foreign_item.code,
            "round": foreign_round.id,
            "postman": foreign_postman.username,
        },
        **extra,
        **extra_keys,
    }


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("r", RULES, ids=lambda r: f"{r.method} {r.path}")
def test_only_the_named_roles_reach_each_endpoint(client, world, r, persona):
    path = r.path.format(**{k: v for k, v in world.items() if isinstance(v, (int, str))})
    headers = {} if persona == "anonymous" else {"Authorization": f"Bearer {world['tokens'][persona]}"}
    body = r.body(world) if callable(r.body) else r.body
    payload = (
        {"data": body, "content_type": "application/octet-stream"}
        if isinstance(body, bytes)
        else {"data": body[1], "content_type": body[0]}  # (content type, raw body)
        if isinstance(body, tuple)
        else {"json": body}
    )
    response = client.open(path, method=r.method, query_string=r.query, headers=headers, **payload)
    if persona in r.allowed:
        assert response.status_code < 400, (persona, response.get_json())
    elif persona in r.missing_for:
        assert response.status_code == 404, (persona, response.get_json())
    elif persona == "anonymous":
        assert response.status_code == 401, response.get_json()
    else:
        assert response.status_code == 403, (persona, response.get_json())
    if response.status_code >= 400:
        assert response.content_type == "application/problem+json"


def _shape(path: str) -> str:
    return re.sub(r"<[^>]+>|\{[^}]+\}", "<x>", path)


def test_every_api_route_is_in_the_matrix(app):
    covered = {(r.method, _shape(r.path)) for r in RULES}
    missing = [
        f"{method} {url_rule.rule}"
        for url_rule in app.url_map.iter_rules()
        if url_rule.rule.startswith("/api") and url_rule.rule not in NOT_IN_MATRIX
        for method in sorted(url_rule.methods - {"HEAD", "OPTIONS"})
        if (method, _shape(url_rule.rule)) not in covered
    ]
    assert not missing, f"Add these routes to the authorization matrix: {missing}"


# The foreign-office column ----------------------------------------------------------------------

# Path parameters that name the first office's things (procedures are the whole deployment's, the
# tracking code is public, and {sha} is the caller's own upload).
OFFICE_THINGS = ("item", "round", "finished_round", "user", "agency", "device", "proof", "stored_sha", "job")
OFFICE_THINGS += ("handover", "office", "export_job", "cash_handover", "complaint")
OFFICE_THINGS += ("awaiting_post", "awaiting_agency", "item_request")
# Public (health, citizens' tracking) or the caller's own account: no office in them.
NO_OFFICE = {"/api/health", "/api/auth/me", "/api/auth/password", "/api/track/{code}"}
SUPERVISOR_RULES = [r for r in RULES if "supervisor" in r.allowed and r.path not in NO_OFFICE]


def _names_office_things(r: Rule) -> bool:
    return any("{" + name + "}" in r.path for name in OFFICE_THINGS)


def _call(client, world, r: Rule, persona: str):
    path = r.path.format(**{k: v for k, v in world.items() if isinstance(v, (int, str))})
    body = r.body(world) if callable(r.body) else r.body
    payload = (
        {"data": body, "content_type": "application/octet-stream"}
        if isinstance(body, bytes)
        else {"json": body}
    )
    headers = {"Authorization": f"Bearer {world['tokens'][persona]}"}
    return client.open(path, method=r.method, query_string=r.query, headers=headers, **payload)


@pytest.mark.parametrize("r", SUPERVISOR_RULES, ids=lambda r: f"{r.method} {r.path}")
def test_a_supervisor_of_another_office_sees_and_touches_nothing_of_this_one(client, world, r):
    response = _call(client, world, r, "foreign_supervisor")
    text = response.get_data(as_text=True)
    if _names_office_things(r):
        assert response.status_code == 404, (r.path, response.get_json())
        assert response.content_type == "application/problem+json"
    elif r.method == "GET":
        # Lists and counts hold nothing of the first office (an empty export is refused, not sent).
        empty_export = response.status_code == 422 and "empty-report" in text
        assert response.status_code < 400 or empty_export, response.get_json()
    elif r.path == "/api/imports/preview":
        # Writes nothing and shows only the caller's own file; naming the first office is refused.
        assert response.status_code < 400 or "unknown-office" in text, response.get_json()
    elif r.path == "/api/reports/export-jobs":
        assert response.status_code < 400  # an export of the caller's own offices
    elif r.path == "/api/notifications/stop":
        assert response.status_code < 400  # public: the link's token authorises it, not an office
    elif r.path == "/api/bookings":
        assert response.status_code < 400  # public: a citizen's booking names no office
    else:
        # Every write names the first office's agency, postman, item or exception: refused.
        assert response.status_code in (404, 409, 422), (r.path, response.get_json())
        assert response.content_type == "application/problem+json"
    if r.path != "/api/imports/preview":
        leaked = [marker for marker in world["markers"] if marker in text]
        assert not leaked, (r.path, leaked)


def test_a_provincial_supervisor_sees_both_offices(client, world):
    def text(path):
        response = _call(client, world, rule("GET", path, set()), "provincial")
        assert response.status_code == 200, response.get_json()
        return response.get_data(as_text=True)

    items = text("/api/items")
    assert world["code"] in items and world["foreign"]["item"] in items
    rounds = text("/api/rounds?date=2026-11-26")
    assert f'"id":{world["round"]}' in rounds.replace(
        " ", ""
    ) and f'"id":{world["foreign"]["round"]}' in rounds.replace(" ", "")
    today = text("/api/dashboard/today?date=2026-11-26")
    assert world["foreign"]["postman"] in today and world["markers"][3] in today
    assert (
        len(
            client.get(
                "/api/offices", headers={"Authorization": f"Bearer {world['tokens']['provincial']}"}
            ).get_json()
        )
        == 3
    )


def test_the_foreign_supervisor_still_sees_their_own_office(client, world):
    headers = {"Authorization": f"Bearer {world['tokens']['foreign_supervisor']}"}
    codes = [item["code"] for item in client.get("/api/items", headers=headers).get_json()]
    assert codes == [world["foreign"]["item"]]
    assert client.get(f"/api/rounds/{world['foreign']['round']}", headers=headers).status_code == 200
