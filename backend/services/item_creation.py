"""Creating an item once: an agency system's retry never makes a second one (docs/agency-api.md,
"Retrying a creation").

The key is the request's `Idempotency-Key`, or, for an agency caller that sends none, its dossier
code and the direction (one dossier is collected once and its result returned once). The first
creation under a key is remembered with a hash of its body: the same key and body again answer
with that item; the same key with another body is refused (422 idempotency-key-reused).
"""

from __future__ import annotations

import hashlib
import json

from sqlalchemy.exc import IntegrityError

from backend.domain.rules import DomainError
from backend.extensions import db
from backend.models import Item, ItemCreation, User
from backend.services.items import build_item, existing_codes

MAX_KEY_LENGTH = 255


def creation_key(user: User, body: dict, header: str | None) -> str | None:
    """The idempotency key of this creation, or None when it has none."""
    if header is not None:
        key = header.strip()
        if not key or len(key) > MAX_KEY_LENGTH or not key.isprintable():
            raise DomainError(
                "invalid-idempotency-key",
                f"Idempotency-Key must be 1 to {MAX_KEY_LENGTH} printable characters. "
                f"/ Idempotency-Key phải có từ 1 đến {MAX_KEY_LENGTH} ký tự in được.",
                status=400,
            )
        return key
    if user.role == "agency" and body.get("dossier_code"):
        return f"dossier:{body['direction']}:{body['dossier_code']}"
    return None


def _digest(body: dict) -> str:
    return hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()


def _agency_of(user: User, body: dict) -> int | None:
    return user.agency_id if user.role == "agency" else body.get("agency_id")


def _first(agency_id: int | None, key: str, digest: str) -> Item | None:
    """The item this key created before, if any; a different body under the same key is refused."""
    row = db.session.execute(
        db.select(ItemCreation).where(
            ItemCreation.agency_id == agency_id, ItemCreation.idempotency_key == key
        )
    ).scalar_one_or_none()
    if row is None:
        return None
    if row.body_hash != digest:
        raise DomainError(
            "idempotency-key-reused",
            f"The key {key!r} already created item {row.item.code} with a different body; send the same "
            f"body to get that item, or a new key for a new item. / Khóa {key!r} đã tạo bưu gửi "
            f"{row.item.code} với nội dung khác.",
            status=422,
            params={"key": key, "item_code": row.item.code},
        )
    return row.item


def _duplicate(code: str) -> DomainError:
    return DomainError(
        "duplicate-item-code",
        f"An item with code {code} already exists.",
        errors={"code": ["Already exists."]},
    )


def _made_under(key: str | None, agency_id: int | None, digest: str, code: str) -> Item:
    """The item with this code exists: the one this key made (a retry that committed first), or else
    another item's, which is a duplicate."""
    if key is not None and (first := _first(agency_id, key, digest)) is not None:
        return first
    raise _duplicate(code)


def create_once(user: User, body: dict, header: str | None) -> tuple[Item, bool]:
    """Create the item, or find the one this key created: (item, whether it is a replay). Commits."""
    key = creation_key(user, body, header)
    agency_id, digest = _agency_of(user, body), _digest(body)
    if key is not None and (first := _first(agency_id, key, digest)) is not None:
        return first, True
    if existing_codes([body["code"]]):
        # Two retries at once: the other may have committed between the look above and this one.
        return _made_under(key, agency_id, digest, body["code"]), True
    item = build_item(user, body)
    if key is not None:
        db.session.add(
            ItemCreation(agency_id=item.agency_id, idempotency_key=key, body_hash=digest, item=item)
        )
    try:
        db.session.commit()
    except IntegrityError:
        # Two retries at once: the one that committed first made the item; this one answers with it.
        db.session.rollback()
        return _made_under(key, agency_id, digest, body["code"]), True
    return item, False


def _replay_bulk(user: User, body: dict, header: str | None) -> list[Item] | None:
    """The items an earlier bulk creation under this Idempotency-Key made, in order, or None. The same
    key with another body is refused, as for one item (422 idempotency-key-reused)."""
    if header is None:
        return None
    key, rows = creation_key(user, {}, header), body["items"]
    assert key is not None  # a header always gives one
    first = _first(_agency_of(user, rows[0]), f"{key}#0", _digest(body))
    if first is None:
        return None
    made = db.session.execute(
        db.select(ItemCreation.idempotency_key, Item)
        .join(Item, Item.id == ItemCreation.item_id)
        .where(ItemCreation.idempotency_key.in_([f"{key}#{n}" for n in range(len(rows))]))
        .where(ItemCreation.body_hash == _digest(body))
        .where(ItemCreation.agency_id.in_({_agency_of(user, row) for row in rows}))
    ).all()
    by_key: dict[str, Item] = {row.idempotency_key: row.Item for row in made}
    return [by_key[f"{key}#{n}"] for n in range(len(rows)) if f"{key}#{n}" in by_key]


def _remember_bulk(items: list[Item], body: dict, header: str | None, user: User) -> None:
    """Keep which items a bulk creation under an Idempotency-Key made (committed with them)."""
    if header is None:
        return
    key, digest = creation_key(user, {}, header), _digest(body)
    for n, item in enumerate(items):
        db.session.add(
            ItemCreation(agency_id=item.agency_id, idempotency_key=f"{key}#{n}", body_hash=digest, item=item)
        )


def _bulk_made_under(user: User, body: dict, header: str | None, refusal: DomainError) -> list[Item]:
    """Some codes exist: the items this key made (a retry at once that committed first), or else
    other items', and the request is refused."""
    if (replayed := _replay_bulk(user, body, header)) is not None:
        return replayed
    raise refusal


def _build_all(user: User, rows: list[dict]) -> list[Item]:
    items = []
    for index, row in enumerate(rows):
        try:
            items.append(build_item(user, row))
        except DomainError as error:
            db.session.rollback()
            error.errors = {"items": {str(index): error.errors or {"_": [error.detail]}}}
            error.detail = f"Item {index}: {error.detail} Nothing was created."
            raise
    return items


def create_bulk_once(user: User, body: dict, header: str | None, limit: int) -> tuple[list[Item], bool]:
    """Create every item of a bulk request, or none when any is wrong; with an Idempotency-Key, a
    retry (even one arriving while the first still runs) answers with the items the first made, in
    order: (items, whether it is a replay). Commits."""
    if (replayed := _replay_bulk(user, body, header)) is not None:
        return replayed, True
    rows = body["items"]
    if len(rows) > limit:
        raise DomainError(
            "too-many-items", f"At most {limit} items per request.", status=422, params={"limit": limit}
        )
    errors: dict[str, dict] = {}
    seen: dict[str, int] = {}
    for index, row in enumerate(rows):
        if row["code"] in seen:
            errors[str(index)] = {"code": [f"Same code as item {seen[row['code']]} in this request."]}
        seen.setdefault(row["code"], index)
    for code in existing_codes(list(seen)):
        errors.setdefault(str(seen[code]), {"code": ["Already exists."]})
    if errors:
        # A retry at once may have committed between the look above and this one: it made them.
        refusal = DomainError(
            "duplicate-item-code",
            "Some item codes are repeated or already exist; nothing was created.",
            errors={"items": errors},
        )
        return _bulk_made_under(user, body, header, refusal), True
    try:
        items = _build_all(user, rows)
        _remember_bulk(items, body, header, user)
        db.session.commit()
    except IntegrityError:
        # Another request took a code meanwhile (its rows can be flushed by a query while building).
        db.session.rollback()
        refusal = DomainError("duplicate-item-code", "Some item codes already exist; nothing was created.")
        return _bulk_made_under(user, body, header, refusal), True
    return items, False
