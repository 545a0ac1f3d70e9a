"""A round's plan version: no supervisor silently undoes another's planning.

Every planning change adds one to `Round.version` and writes one `round.changed` audit entry
(the new version, what was done, how many items), in the change's own transaction. A change sent
with `If-Match: "<version>"` of an older version is refused 412 `round-changed`, and the problem
says what was done meanwhile, by whom and when (from those entries), in Vietnamese and English.
If-Match is optional, as for items (docs/dashboard.md): a client that sends none is not checked.
"""

from __future__ import annotations

from flask import has_request_context, request

from backend.audit import audit
from backend.domain.rules import DomainError
from backend.extensions import db
from backend.models import AuditEntry, Round, User
from backend.timeutil import local_zone

# What a planning change did, as a short phrase: (Vietnamese, English); {n} (Vietnamese) and {items}
# (English) the number of items, {to} a round.
CHANGES: dict[str, tuple[str, str]] = {
    "assign": ("thêm {n} bưu gửi", "added {items}"),
    "unassign": ("bỏ {n} bưu gửi khỏi chuyến", "took {items} off"),
    "moved_away": ("chuyển {n} bưu gửi sang chuyến #{to}", "moved {items} to round #{to}"),
    "reorder": ("sắp lại thứ tự điểm dừng", "reordered the stops"),
    "optimise": ("tối ưu thứ tự điểm dừng", "optimised the stop order"),
    "close": ("đóng chuyến", "closed the round"),
    "cancel": ("huỷ {n} bưu gửi", "cancelled {items}"),
    # Changes a supervisor makes to items of the round from elsewhere (the item page, the bulk bar, a
    # proof's review): the round is not re-planned, but a colleague's copy of it is stale all the same.
    "accept_proof": ("nhận bằng chứng của {n} bưu gửi", "accepted the proof of {items}"),
    "edit": ("sửa thông tin {n} bưu gửi", "corrected {items}"),
    "reschedule": ("đổi hạn {n} bưu gửi", "rescheduled {items}"),
    "give_up": ("trả {n} bưu gửi về cơ quan", "sent {items} back to the agency"),
    "status": ("đổi trạng thái {n} bưu gửi", "changed the status of {items}"),
    "handover": ("ghi biên bản bàn giao {n} bưu gửi", "recorded a handover of {items}"),
}


def etag(rnd: Round) -> dict[str, str]:
    return {"ETag": f'"{rnd.version}"'}


def bump_version(rnd: Round, change: str, count: int = 0, **detail: object) -> None:
    """One planning change of `rnd`: its version goes up by one, and the change is written down."""
    assert change in CHANGES, change
    rnd.version = (rnd.version or 1) + 1
    audit(
        "round.changed", "round", rnd.id, {"version": rnd.version, "change": change, "count": count, **detail}
    )


def bump_rounds(round_ids: object, change: str, **detail: object) -> None:
    """One change to items of these rounds (ids, None ignored, repeats counted as items): each
    round's version goes up once, with how many of its items changed."""
    counts: dict[int, int] = {}
    for round_id in round_ids:  # type: ignore[attr-defined]
        if round_id is not None:
            counts[round_id] = counts.get(round_id, 0) + 1
    for round_id, count in sorted(counts.items()):
        bump_version(db.session.get_one(Round, round_id), change, count, **detail)


def seen_version() -> int | None:
    """The version the client saw (If-Match), or None when it sent none; a malformed one is 412 too."""
    if not has_request_context():
        return None
    raw = request.headers.get("If-Match")
    if raw is None:
        return None
    value = raw.strip().removeprefix("W/").strip('"')
    return int(value) if value.isdigit() else -1


def check_version(rnd: Round) -> None:
    """Refuse (412 `round-changed`) a change made on an older version of the round's plan."""
    seen = seen_version()
    if seen is None or seen == rnd.version:
        return
    changes = changes_since(rnd, seen)
    vi = "; ".join(f"{c['by'] or '?'} {c['summary_vi']} lúc {c['time']}" for c in changes[-3:])
    en = "; ".join(f"{c['by'] or '?'} {c['summary_en']} at {c['time']}" for c in changes[-3:])
    raise DomainError(
        "round-changed",
        f"Chuyến #{rnd.id} vừa được thay đổi ({vi or 'phiên bản khác'}); nay là phiên bản {rnd.version}. "
        f"Không có gì được thay đổi. / Round #{rnd.id} was changed meanwhile ({en or 'another version'}); "
        f"it is now version {rnd.version}. Nothing was changed.",
        status=412,
        extra={"round_id": rnd.id, "current_version": rnd.version, "seen_version": seen, "changes": changes},
        params={"round_id": rnd.id, "version": rnd.version},
    )


def changes_since(rnd: Round, seen: int) -> list[dict]:
    """The planning changes of `rnd` after version `seen`, oldest first (at most the last 20)."""
    rows = db.session.execute(
        db.select(AuditEntry, User.full_name)
        .outerjoin(User, User.id == AuditEntry.actor_id)
        .where(
            AuditEntry.entity_type == "round",
            AuditEntry.entity_id == str(rnd.id),
            AuditEntry.action == "round.changed",
        )
        .order_by(AuditEntry.id.desc())
        .limit(20)
    ).all()
    changes = []
    for entry, name in reversed(rows):
        detail = entry.detail or {}
        if int(detail.get("version", 0)) <= seen:
            continue
        vi, en = CHANGES.get(str(detail.get("change")), ("thay đổi chuyến", "changed the round"))
        count = int(detail.get("count", 0))
        words = {
            "n": count,
            "items": "1 item" if count == 1 else f"{count} items",
            "to": detail.get("to", ""),
        }
        changes.append(
            {
                "version": detail.get("version"),
                "change": detail.get("change"),
                "count": detail.get("count", 0),
                "by": name,
                "at": entry.at.isoformat(),
                "time": entry.at.astimezone(local_zone()).strftime("%H:%M"),
                "summary_vi": vi.format(**words),
                "summary_en": en.format(**words),
            }
        )
    return changes
