"""Who is behind: each round's risk (with its reasons) and an ETA per remaining stop.

The risk of a round adds up three things a dispatcher looks at (docs/dashboard.md, "Who is behind"):

- **behind**: the stops expected done by now minus the stops done (a result on the server). The
  postmen's day runs from ROUND_DAY_START to ROUND_DAY_END (local time); stops are expected done
  evenly over it. A past day expects every stop, a future day none.
- **silent**: the postman's phones have all been silent longer than UNSYNCED_DEVICE_MINUTES (or
  never synced, or there is no phone).
- **exceptions**: open exceptions about the round's items or its postman.

Each reason is a machine code with numbers (`{"code": "behind", "params": {...}}`); the page says it
in the user's language. The score only orders the rounds: 100 per whole round behind (so 3 stops
behind of 10 is 30), 40 for a silent phone, 10 per open exception.

The ETA of each remaining stop follows the route (the stop order, geodesic legs from the last stop
done, or from the post office) at ROUND_SPEED_KMH, plus the time spent at a stop as measured so far:
the pace between the round's first and last results (at least a minute a stop) minus the travel it
included. Before two results, the pace is ROUND_MINUTES_PER_STOP.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from flask import current_app
from sqlalchemy import select

from backend.domain.status import Status
from backend.extensions import db
from backend.models import Item
from backend.services.rounds import office_position
from backend.timeutil import local_zone

SILENT_SCORE = 40
EXCEPTION_SCORE = 10


def _clock(text: str) -> time:
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))


def expected_share(day: date, now: datetime) -> float:
    """The share of a round's stops expected done by `now` on `day` (0..1)."""
    zone = local_zone()
    config = current_app.config
    start = datetime.combine(day, _clock(config["ROUND_DAY_START"]), zone)
    end = datetime.combine(day, _clock(config["ROUND_DAY_END"]), zone)
    if end <= start:
        end = start + timedelta(minutes=1)
    share = (now - start) / (end - start)
    return max(0.0, min(1.0, share))


def _metres(a, b) -> int:
    from backend.services.dashboard import distance_m

    if a is None or b is None:
        return 0
    return distance_m(a[0], a[1], b[0], b[1]) or 0


def _stops(round_ids: list[int]) -> dict[int, list]:
    rows = db.session.execute(
        select(Item.round_id, Item.id, Item.code, Item.stop_order, Item.status, Item.lat, Item.lon)
        .where(Item.round_id.in_(round_ids))
        .order_by(Item.round_id, Item.stop_order.nulls_last(), Item.id)
    )
    out: dict[int, list] = {}
    for row in rows:
        out.setdefault(row.round_id, []).append(row)
    return out


def _position(row):
    return (row.lat, row.lon) if row.lat is not None and row.lon is not None else None


def assess(views: list[dict], rounds: dict, first_proofs: dict, open_exceptions: list[dict], now: datetime):
    """Add `risk` and `eta` to each round view of the day; sort the views, most at risk first."""
    if not views:
        return views
    config = current_app.config
    speed_m_per_min = config["ROUND_SPEED_KMH"] * 1000 / 60
    stops = _stops([v["id"] for v in views])
    exceptions_by_round: dict[int, int] = {}
    for entry in open_exceptions:
        round_id = (entry.get("item") or {}).get("round_id")
        postman = entry.get("postman")
        if round_id is None and postman is not None and entry["kind"] == "unsynced_device":
            for v in views:
                if v["postman"].id == getattr(postman, "id", None):
                    exceptions_by_round[v["id"]] = exceptions_by_round.get(v["id"], 0) + 1
        elif round_id is not None:
            exceptions_by_round[round_id] = exceptions_by_round.get(round_id, 0) + 1
    for view in views:
        rnd = rounds[view["id"]]
        counts = view["counts"]
        done = counts["returned"] + counts["collected"] + counts["failed"]
        total = view["stop_count"]
        expected = round(total * expected_share(rnd.round_date, now))
        behind = max(0, expected - done)
        reasons = []
        score = 0
        if behind:
            reasons.append(
                {"code": "behind", "params": {"behind": behind, "expected": expected, "done": done}}
            )
            score += round(100 * behind / max(total, 1))
        devices = view["devices"]
        if view["counts"]["pending"] and (not devices or all(d["stale"] for d in devices)):
            synced = [d["last_sync_at"] for d in devices if d["last_sync_at"]]
            minutes = int((now - max(synced)).total_seconds() // 60) if synced else None
            reasons.append({"code": "silent" if synced else "never_synced", "params": {"minutes": minutes}})
            score += SILENT_SCORE
        open_here = exceptions_by_round.get(view["id"], 0)
        if open_here:
            reasons.append({"code": "exceptions", "params": {"n": open_here}})
            score += EXCEPTION_SCORE * open_here
        view["risk"] = {"score": score, "expected_done": expected, "behind": behind, "reasons": reasons}
        view["eta"], view["pace_minutes"] = _eta(
            stops.get(view["id"], []),
            rnd,
            first_proofs.get(view["id"]),
            view["last_proof_at"],
            done,
            now,
            speed_m_per_min,
        )
        view["finish_eta"] = view["eta"][-1]["eta"] if view["eta"] else None
    views.sort(key=lambda v: (-v["risk"]["score"], v["id"]))
    return views


def planned_etas(rnd, start: datetime) -> list[dict]:
    """The ETA of each stop of `rnd` with no result yet, if the postman sets off at `start` at the
    assumed pace (ROUND_MINUTES_PER_STOP): what the morning message tells citizens."""
    speed_m_per_min = current_app.config["ROUND_SPEED_KMH"] * 1000 / 60
    return _eta(_stops([rnd.id]).get(rnd.id, []), rnd, None, None, 0, start, speed_m_per_min)[0]


def _eta(rows, rnd, first_proof_at, last_proof_at, done: int, now: datetime, speed_m_per_min: float):
    """[{item_id, code, stop_order, eta}] for the round's stops with no result yet, and the pace used."""
    office = office_position(rnd.office_id)
    here = office
    done_legs = 0
    for row in rows:
        if row.status != Status.ASSIGNED.value:
            position = _position(row)
            done_legs += _metres(here, position)
            here = position or here
    pace = float(current_app.config["ROUND_MINUTES_PER_STOP"])
    at_stop = pace
    if done >= 2 and first_proof_at and last_proof_at and last_proof_at > first_proof_at:
        # At least a minute a stop: results synced together arrive within seconds of each other.
        pace = max(1.0, (last_proof_at - first_proof_at).total_seconds() / 60 / (done - 1))
        travel_each = done_legs / done / speed_m_per_min
        at_stop = max(1.0, pace - travel_each)
    clock = max(now, last_proof_at) if last_proof_at else now
    out = []
    for row in rows:
        if row.status != Status.ASSIGNED.value:
            continue
        position = _position(row)
        clock = clock + timedelta(minutes=_metres(here, position) / speed_m_per_min + at_stop)
        here = position or here
        out.append({"item_id": row.id, "code": row.code, "stop_order": row.stop_order, "eta": clock})
    return out, round(pace, 1)
