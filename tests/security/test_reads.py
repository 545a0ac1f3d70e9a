"""Every read of proof data is written to the audit log, lists included; no answer carrying personal
data may be stored by a browser, proxy or phone cache (one rule: backend.api.no_store)."""

from __future__ import annotations

import pytest

from backend.extensions import db
from backend.models import AuditEntry
from tests.conftest import BACKENDS, app_on, signed_in
from tests.factories import Factory
from tests.kit.phone import Phone


@pytest.fixture(scope="module", params=BACKENDS)
def app(request, tmp_path_factory):
    """One app per database for the whole file, built once: its tests only read the day (adding only the
    audit entries of their reads, which each test counts from its own starting point)."""
    folder = tmp_path_factory.mktemp("reads")
    with app_on(request, request.param, folder, {"STORAGE_DIR": str(folder / "storage")}) as app:
        yield app


@pytest.fixture(scope="module")
def day(app):
    make, client = Factory(app), app.test_client()
    supervisor, postman = make.user("supervisor"), make.user("postman")
    agency = make.agency()
    items = [make.item(agency_id=agency.id, recipient_phone="0912345678") for _ in range(2)]
    dossier = make.item(agency_id=agency.id, direction="collect", status="registered")
    rnd = make.round(postman, items=[*items, dossier])
    phone = Phone(client, postman.username).login()
    phone.pull()
    for n, item in enumerate(items):
        phone.deliver(item.id, seed=n)
    phone.capture("fail", dossier.id, {"reason_code": "not_home"})
    phone.sync()
    headers = signed_in(client, supervisor)
    proofs = client.get("/api/proofs", headers=headers).get_json()
    record = client.post(
        "/api/handovers",
        headers=headers,
        json={
            "direction": "agency_to_post",
            "agency_id": agency.id,
            "officer_name": "Lê Thị Hoa",
            "lines": [{"item_id": make.item(agency_id=agency.id, status="registered").id}],
        },
    ).get_json()
    delivered = next(p for p in proofs if p["outcome"] == "delivered")
    return {
        "supervisor": supervisor,
        "headers": headers,
        "proofs": proofs,
        "delivered": delivered,
        "phone": phone,
        "items": items,
        "round": rnd,
        "handover": record,
        "postman": postman,
    }


def _reads_since(app, before: int, actor_id: int) -> list[AuditEntry]:
    with app.app_context():
        return (
            db.session.execute(
                db.select(AuditEntry)
                .where(AuditEntry.id > before, AuditEntry.actor_id == actor_id)
                .order_by(AuditEntry.id)
            )
            .scalars()
            .all()
        )


def _last_audit_id(app) -> int:
    with app.app_context():
        return db.session.execute(db.select(db.func.coalesce(db.func.max(AuditEntry.id), 0))).scalar_one()


READS = {
    "the proof list": ("/api/proofs", "proofs.listed", lambda d: [p["id"] for p in d["proofs"]]),
    "a filtered proof list": (
        "/api/proofs?outcome=failed",
        "proofs.listed",
        lambda d: [p["id"] for p in d["proofs"] if p["outcome"] == "failed"],
    ),
    "one proof": ("/api/proofs/{proof}", "proof.viewed", lambda d: [d["delivered"]["id"]]),
    "a proof's file": (
        "/api/attachments/{sha}",
        "attachment.viewed",
        lambda d: [d["delivered"]["attachments"][0]["sha256"]],
    ),
    "the map of the day": (
        "/api/dashboard/map",
        "dashboard.map.viewed",
        lambda d: [p["id"] for p in d["proofs"]],
    ),
    "the exceptions": (
        "/api/dashboard/exceptions",
        "dashboard.exceptions.viewed",
        lambda d: [p["id"] for p in d["proofs"] if p["outcome"] == "failed"],
    ),
    "the handover records": ("/api/handovers", "handovers.listed", lambda d: [d["handover"]["id"]]),
    "one handover record": ("/api/handovers/{handover}", "handover.viewed", lambda d: [d["handover"]["id"]]),
    "a printed handover record": (
        "/api/handovers/{handover}/pdf",
        "handover.printed",
        lambda d: [d["handover"]["id"]],
    ),
}


@pytest.mark.parametrize("what", list(READS))
def test_every_read_of_proof_data_is_audited_with_what_was_shown(client, app, day, what):
    url, action, shown = READS[what]
    before = _last_audit_id(app)
    response = client.get(
        url.format(
            proof=day["delivered"]["id"],
            handover=day["handover"]["id"],
            sha=day["delivered"]["attachments"][0]["sha256"],
        ),
        headers=day["headers"],
    )
    assert response.status_code == 200, response.get_json()
    entries = [e for e in _reads_since(app, before, day["supervisor"].id) if e.action == action]
    assert len(entries) == 1, [e.action for e in _reads_since(app, before, day["supervisor"].id)]
    expected = sorted(str(i) for i in shown(day))
    recorded = (
        entries[0].detail.get("ids")
        if entries[0].detail and "ids" in entries[0].detail
        else [entries[0].entity_id]
    )
    assert sorted(recorded) == expected and expected


PERSONAL = [
    ("supervisor", "GET", "/api/items"),
    ("supervisor", "GET", "/api/items/{item}"),
    ("supervisor", "GET", "/api/proofs"),
    ("supervisor", "GET", "/api/proofs/{proof}"),
    ("supervisor", "GET", "/api/attachments/{sha}"),
    ("supervisor", "GET", "/api/users"),
    ("supervisor", "GET", "/api/users/{postman}"),
    ("supervisor", "GET", "/api/rounds"),
    ("supervisor", "GET", "/api/dashboard/today"),
    ("supervisor", "GET", "/api/dashboard/map"),
    ("supervisor", "GET", "/api/dashboard/exceptions"),
    ("supervisor", "GET", "/api/handovers"),
    ("supervisor", "GET", "/api/sync/reconciliation"),
    ("supervisor", "GET", "/api/sync/devices"),
    ("supervisor", "GET", "/api/auth/me"),
    ("supervisor", "GET", "/api/items/987654"),
    ("postman", "GET", "/api/sync/pull"),
    ("postman", "GET", "/api/rounds/mine"),
    ("postman", "GET", "/api/items/{item}"),
    ("postman", "GET", "/api/sync/attachments/{sha}"),
    ("anonymous", "GET", "/api/track/{code}?phone_last4=5678"),
    ("anonymous", "GET", "/api/track/{code}?phone_last4=0000"),
    ("anonymous", "POST", "/api/auth/login"),
]


@pytest.mark.parametrize("who, method, url", PERSONAL, ids=[f"{w} {m} {u}" for w, m, u in PERSONAL])
def test_answers_carrying_personal_data_are_never_stored(client, day, who, method, url):
    headers = {"supervisor": day["headers"], "postman": day["phone"].headers, "anonymous": {}}[who]
    item = day["items"][0]
    path = url.format(
        item=item.id,
        proof=day["delivered"]["id"],
        postman=day["postman"].id,
        code=item.code,
        sha=day["delivered"]["attachments"][0]["sha256"],
    )
    body = (
        {"username": day["postman"].username, "password": day["phone"].password} if method == "POST" else None
    )
    response = client.open(path, method=method, headers=headers, json=body)
    assert "no-store" in response.headers.get("Cache-Control", ""), (response.status_code, response.headers)
