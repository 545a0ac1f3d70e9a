"""Hostile input at every write endpoint: a 4xx problem, never a 500, and nothing half-written.

The endpoints are read from the app's URL map, so a new one is covered without touching this
file. Each is called as a role its `@auth_required` allows (a postman from a registered phone
for the sync endpoints), with bodies Hypothesis generates: arbitrary JSON (deep nesting, lone
surrogates, NUL, huge numbers, wrong types), the endpoint's own field names with such values,
and bytes that are not JSON at all, under several content types. Whatever happens, the
answer is not a 5xx; every refusal is application/problem+json; and a refused request
leaves every table as it was.
"""

from __future__ import annotations

import json
import re
from contextlib import suppress

import hypothesis.strategies as st
import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings

from backend.auth.guard import STAFF
from backend.extensions import db
from tests.factories import Factory

WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")
DEVICE_ID = "hostile-input-phone-0001"
EXAMPLES = 12

# Field names of every request schema in the document: generated objects use them, so the
# values reach the fields' own validation instead of stopping at "unknown field".
_FIELD_NAMES = st.sampled_from(
    [
        "code",
        "name",
        "province",
        "kind",
        "username",
        "password",
        "role",
        "agency_id",
        "procedure_id",
        "postman_id",
        "item_ids",
        "lines",
        "item_id",
        "direction",
        "event",
        "reason",
        "note",
        "round_date",
        "refresh_token",
        "device_id",
        "mutations",
        "protocol",
        "id",
        "seq",
        "type",
        "payload",
        "items",
        "checklist",
        "government_fee",
        "lat",
        "lon",
        "active",
        "full_name",
    ]
)

_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(alphabet=st.characters(exclude_categories=()), max_size=20)  # lone surrogates and NUL included
    | st.sampled_from(["\ud800", "\udfff", "a\x00b", "", " ", "9" * 5000, "RR123456785VN", "2026-12-01"])
)
_JSON = st.recursive(
    _SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(_FIELD_NAMES | st.text(max_size=8), inner, max_size=5)
    ),
    max_leaves=15,
)


def _as_text(value) -> str:
    # json.dumps writes lone surrogates as \ud800 escapes: exactly what a hostile client sends.
    return json.dumps(value, ensure_ascii=True)


_DEEP = st.integers(min_value=1, max_value=200_000).map(lambda n: "[" * n + "]" * n) | st.integers(
    min_value=1, max_value=100_000
).map(lambda n: '{"a":' * n + "1" + "}" * n)
_RAW = st.sampled_from(
    [
        "",
        " ",
        "null",
        "[]",
        "{}",
        "{",
        '{"a":',
        "NaN",
        '{"x": NaN}',
        '{"x": Infinity}',
        "1" * 5000,
        '"\\ud800"',
        '{"name": "\\udfff"}',
        '{"\\ud800": 1}',
        '{"code": "a\\u0000b"}',
        "\xff\xfe",
        "[1,]",
    ]
)
BODIES = _JSON.map(_as_text) | _DEEP | _RAW | st.binary(max_size=64).map(lambda b: b.decode("latin-1"))
CONTENT_TYPES = st.sampled_from(
    [
        "application/json",
        "application/json; charset=utf-8",
        "text/plain",
        "application/x-www-form-urlencoded",
        "application/octet-stream",
        None,
    ]
)


def write_endpoints(app) -> list[tuple[str, str, object]]:
    """(method, rule, view) of every API rule that writes, from the URL map."""
    found = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/"):
            continue
        view = app.view_functions[rule.endpoint]
        for method in sorted(set(rule.methods or ()) & set(WRITE_METHODS)):
            handler = getattr(getattr(view, "view_class", None), method.lower(), None) or view
            found.append((method, rule, handler))
    return found


def _url(rule, ids: dict) -> str:
    def value(name: str, converter) -> str:
        if name == "sha256":
            return "a" * 64
        if name == "device_id":
            return DEVICE_ID
        return str(ids.get(name, 1))

    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", lambda m: value(m.group(1), None), rule.rule)


def _counts() -> dict[str, int]:
    return {
        t.name: db.session.execute(sa.select(sa.func.count()).select_from(t)).scalar_one()
        for t in db.metadata.sorted_tables
    }


@pytest.fixture
def world(app, make, client):
    agency = make.agency()
    procedure = make.procedure()
    users = make.one_per_role(agency)
    items = [make.item(agency_id=agency.id, procedure_id=procedure.id) for _ in range(2)]
    make.round(users["postman"], items=items)
    tokens = {}
    for role, user in users.items():
        body = {"username": user.username, "password": Factory.PASSWORD}
        if role == "postman":
            body["device_id"] = DEVICE_ID
        response = client.post("/api/auth/login", json=body)
        assert response.status_code == 200, response.get_json()
        tokens[role] = response.get_json()["access_token"]
    return tokens


def _role_for(handler) -> str | None:
    roles = getattr(handler, "auth_roles", None)
    if roles is None:
        return None  # public (sign-in, refresh, logout)
    for role in ("admin", *STAFF, "postman", "agency"):
        if not roles or role in roles:
            return role
    return roles[0]


def test_the_write_endpoints_are_found_from_the_url_map(app):
    endpoints = {(method, rule.rule) for method, rule, _ in write_endpoints(app)}
    assert ("POST", "/api/sync/push") in endpoints and ("PATCH", "/api/items/<int:item_id>") in endpoints
    assert len(endpoints) >= 20


def test_hostile_bodies_never_make_a_500_and_write_nothing(app, client, world, backend_name):
    endpoints = write_endpoints(app)
    # PostgreSQL and SQLite fail differently on bad strings: PostgreSQL gets the full run.
    examples = EXAMPLES if backend_name == "postgresql" else EXAMPLES // 2
    with app.app_context():
        before = _counts()
    seen: dict[tuple[str, str], set[int]] = {}

    @settings(
        max_examples=examples * len(endpoints),
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
            HealthCheck.function_scoped_fixture,
        ],
    )
    @given(endpoint=st.sampled_from(endpoints), body=BODIES, content_type=CONTENT_TYPES)
    def attempt(endpoint, body, content_type):
        check(endpoint, body, content_type)

    def check(endpoint, body, content_type):
        method, rule, handler = endpoint
        role = _role_for(handler)
        headers = {"Authorization": f"Bearer {world[role]}"} if role else {}
        if content_type:
            headers["Content-Type"] = content_type
        response = client.open(
            _url(rule, {}), method=method, data=body.encode("utf-8", "surrogatepass"), headers=headers
        )
        seen.setdefault((method, rule.rule), set()).add(response.status_code)
        assert response.status_code < 500, (method, rule.rule, body[:200], response.get_data(as_text=True))
        if response.status_code >= 400:
            assert response.content_type == "application/problem+json", (
                method,
                rule.rule,
                response.data[:200],
            )
            problem = response.get_json()
            assert problem["status"] == response.status_code and problem["type"].startswith("https://")
            with app.app_context():
                after = _counts()
            changed = {t: (before[t], after[t]) for t in before if before[t] != after[t]}
            # The audit log and refresh tokens may grow on an accepted request only; a refusal adds nothing.
            assert not changed, (method, rule.rule, response.status_code, changed)
        else:
            with app.app_context(), suppress(Exception):
                before.update(_counts())  # an accepted write is the new baseline

    # Every endpoint first gets one of each kind of garbage for certain (a lone surrogate, deep
    # nesting, NUL, an empty body), then Hypothesis draws endpoints and bodies at will.
    for endpoint in endpoints:
        for body in ('{"a": "\ud800"}', "[" * 5000 + "]" * 5000, '{"note": "a\u0000b"}', ""):
            check(endpoint, body, "application/json")
    attempt()
    # Every write endpoint was reached, and generated garbage was refused somewhere.
    assert {(m, r.rule) for m, r, _ in endpoints} <= set(seen)
    assert any(code in (400, 413, 422) for codes in seen.values() for code in codes)
