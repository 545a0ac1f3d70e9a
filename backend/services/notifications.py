"""Messages to citizens by SMS or Zalo ZNS: written to the outbox with the change, sent by the worker.

- `on_item_event` (called by `item_events.apply_event`, inside the caller's transaction) writes the
  outbox rows a status change causes: delivered; failed, with the next attempt's day; ready for pickup
  at the post office after the last attempt; "the postman is N stops away" for the next stops.
- `plan_morning` (the worker, every minute) writes the morning message of each of today's rounds not
  started yet: "between 9:00 and 11:00", from the route order and the pace (`behind.planned_etas`).
- `send_due` (the worker, every minute) sends what is due: one claim per row (a conditional UPDATE),
  the provider's answer logged as a `notification_attempts` row, retries with a doubling delay.

A row is unique per (item, key): the same event never writes two messages, whoever repeats it.
Nothing is sent for an opted-out phone or item (the row ends `skipped`), and nothing in the quiet
hours: what falls due then waits for their end.
"""

from __future__ import annotations

import json
import logging
import re
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from time import monotonic
from typing import Protocol

from flask import current_app
from sqlalchemy import delete, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from backend.audit import audit
from backend.domain import notify_templates as templates
from backend.domain.round_status import RoundStatus
from backend.domain.status import Event, Status
from backend.domain.vocabulary import label
from backend.extensions import db
from backend.models import DeliveryAttempt, Item, Notification, NotificationAttempt, NotificationOptOut, Round
from backend.models.base import now_utc
from backend.services.citizen_links import tracking_link
from backend.timeutil import local_zone

log = logging.getLogger(__name__)
PENDING, SENT, FAILED, SKIPPED = "pending", "sent", "failed", "skipped"
RESULTS = (Event.DELIVER, Event.COLLECT, Event.FAIL)
ON_THE_WAY = ("morning", "near")  # said only while the stop is still to come


def enabled() -> bool:
    return bool(current_app.config.get("NOTIFY_PROVIDER"))


def international(phone: str | None) -> str | None:
    """'0918 245 001' -> '84918245001' (what both providers take); None if it is no Vietnamese number."""
    digits = re.sub(r"\D", "", phone or "")
    if digits.startswith("0"):
        digits = "84" + digits[1:]
    return digits if digits.startswith("84") and 10 <= len(digits) <= 12 else None


# Writing: inside the transaction of the change ------------------------------------------------------


def _local(moment: datetime) -> datetime:
    return moment.astimezone(local_zone())


def allowed_at(moment: datetime) -> datetime:
    """`moment`, or the end of the quiet hours it falls in (UTC)."""
    config = current_app.config
    until = templates.quiet_until(
        _local(moment),
        templates.clock(config["NOTIFY_QUIET_START"]),
        templates.clock(config["NOTIFY_QUIET_END"]),
    )
    return moment if until is None else until.astimezone(moment.tzinfo)


def _add(item: Item, event: str, key: str, params: dict, now: datetime | None = None) -> None:
    """One outbox row for (item, key), unless it exists: INSERT … ON CONFLICT DO NOTHING."""
    if not item.recipient_phone:
        return
    now = now or now_utc()
    values = {
        "item_id": item.id,
        "event": event,
        "key": key,
        "channel": current_app.config["NOTIFY_PROVIDER"],
        "params": {"code": item.code, "link": tracking_link(item), **params},
        "status": PENDING,
        "due_at": allowed_at(now),
        "attempts": 0,
        "created_at": now,
    }
    insert = pg_insert if db.session.get_bind().dialect.name == "postgresql" else sqlite_insert
    db.session.execute(insert(Notification).values(**values).on_conflict_do_nothing())


def on_item_event(item: Item, event: Event, detail: dict | None) -> None:
    """The messages `item` moving by `event` causes (the caller commits them with the change)."""
    if not enabled():
        return
    now = _local(now_utc())
    if event == Event.DELIVER:
        _add(item, "delivered", "delivered", {"time": templates.hm(now), "date": f"{now:%d/%m/%Y}"})
    elif event == Event.FAIL and item.status == Status.FAILED_ATTEMPT:
        from backend.services.item_events import next_attempt_from

        next_day = next_attempt_from(item) or now.date() + timedelta(days=1)
        params = {"reason": label("reason", _reason(detail) or "other"), "next_date": f"{next_day:%d/%m/%Y}"}
        _add(item, "failed", f"failed:{item.attempt_count}", params)
    elif event in (Event.FAIL, Event.GIVE_UP) and item.status == Status.RETURN_TO_AGENCY:
        office = item.office
        params = {
            "office": office.name if office else "bưu cục",
            "office_phone": (office.phone if office else None) or "—",
        }
        _add(item, "pickup", "pickup", params)
    if event in RESULTS and item.round_id is not None:
        _near(item.round_id)


def _reason(detail: dict | None) -> str | None:
    detail = detail or {}
    if detail.get("attempt_id"):
        attempt = db.session.get(DeliveryAttempt, detail["attempt_id"])
        return attempt.reason_code if attempt else None
    return detail.get("reason") if isinstance(detail.get("reason"), str) else None


def _near(round_id: int) -> None:
    """The next NOTIFY_STOPS_AHEAD stops of the round with no result yet: "N stops away" (once a round)."""
    ahead = db.session.execute(
        select(Item)
        .where(Item.round_id == round_id, Item.status == Status.ASSIGNED.value)
        .order_by(Item.stop_order.nulls_last(), Item.id)
        .limit(current_app.config["NOTIFY_STOPS_AHEAD"])
    ).scalars()
    for stops, other in enumerate(ahead, start=1):
        _add(other, "near", f"near:{round_id}", {"stops": stops})


def plan_morning(now: datetime | None = None) -> int:
    """Write the morning message of every stop of today's rounds that have not started: the window
    the postman should come in. Outside the quiet hours only, and before the day's end. Repeating it
    writes nothing new. Returns the stops looked at."""
    if not enabled():
        return 0
    from backend.services.behind import planned_etas

    now = now or now_utc()
    local = _local(now)
    config = current_app.config
    day_start = datetime.combine(local.date(), templates.clock(config["ROUND_DAY_START"]), local.tzinfo)
    day_end = datetime.combine(local.date(), templates.clock(config["ROUND_DAY_END"]), local.tzinfo)
    if allowed_at(now) != now or local >= day_end:
        return 0
    rounds = db.session.execute(
        select(Round).where(Round.round_date == local.date(), Round.status == RoundStatus.PLANNED.value)
    ).scalars()
    key = f"morning:{local.date().isoformat()}"
    stops = [stop for rnd in rounds for stop in planned_etas(rnd, max(now, day_start))]
    # Every consumer runs this each minute: look up (by the unique index) who has been told already.
    told = set(
        db.session.execute(
            select(Notification.item_id).where(
                Notification.item_id.in_([stop["item_id"] for stop in stops]), Notification.key == key
            )
        ).scalars()
    )
    for stop in stops:
        if stop["item_id"] in told:
            continue
        start, end = templates.window(_local(stop["eta"]), config["NOTIFY_WINDOW_MINUTES"], day_start)
        params = {"date": f"{local:%d/%m/%Y}", "from_time": templates.hm(start), "to_time": templates.hm(end)}
        _add(db.session.get_one(Item, stop["item_id"]), "morning", key, params, now)
    db.session.commit()
    return len(stops)


# Opting out -----------------------------------------------------------------------------------------


def opted_out(item: Item) -> bool:
    phone = international(item.recipient_phone)
    clauses = [NotificationOptOut.item_id == item.id]
    if phone:
        clauses.append(NotificationOptOut.phone == phone)
    return db.session.execute(select(NotificationOptOut.id).where(or_(*clauses)).limit(1)).first() is not None


def opt_out(item: Item, *, source: str, whole_phone: bool, actor_id: int | None = None) -> None:
    """No more messages about `item` (a supervisor's flag) or to its phone (the citizen's STOP).
    The caller commits; messages already waiting are skipped when their time comes."""
    phone = international(item.recipient_phone) if whole_phone else None
    values = {"phone": phone} if phone else {"item_id": item.id}
    insert = pg_insert if db.session.get_bind().dialect.name == "postgresql" else sqlite_insert
    db.session.execute(
        insert(NotificationOptOut)
        .values(**values, source=source, created_by_id=actor_id, created_at=now_utc())
        .on_conflict_do_nothing()
    )


def stop_for_citizen(item: Item) -> None:
    """The citizen's STOP (from their message's link or the tracking page): nothing more to their
    phone number, about any item. The caller commits."""
    opt_out(item, source="citizen", whole_phone=True)
    audit("notifications.stopped", "item", item.code, {"by": "citizen"})


def citizen_stopped(item: Item) -> bool:
    """Whether the citizen has stopped messages to the item's phone (their own STOP, which they may undo)."""
    phone = international(item.recipient_phone)
    if not phone:
        return False
    return (
        db.session.execute(
            select(NotificationOptOut.id).where(
                NotificationOptOut.phone == phone, NotificationOptOut.source == "citizen"
            )
        ).first()
        is not None
    )


def resume_for_citizen(item: Item) -> None:
    """The citizen undoes their STOP: messages to their phone again, from the next one due (those
    skipped meanwhile stay skipped). A supervisor's flag stays. The caller commits."""
    phone = international(item.recipient_phone)
    if phone:
        db.session.execute(
            delete(NotificationOptOut).where(
                NotificationOptOut.phone == phone, NotificationOptOut.source == "citizen"
            )
        )
    audit("notifications.resumed", "item", item.code, {"by": "citizen"})


# Sending: the worker ----------------------------------------------------------------------------------


@dataclass
class Sent:
    ok: bool
    provider_id: str | None = None
    http_status: int | None = None
    error: str | None = None
    permanent: bool = False  # the provider refused it for good: no retry
    fallback: bool = False  # refused for good for this phone on this channel: try SMS instead


class Provider(Protocol):
    """What an adapter does: send one message, say what happened (never raise for the provider's sake)."""

    channel: str

    def send(self, phone: str, event: str, params: dict, text: str, reference: str) -> Sent: ...


def _post(url: str, body: dict, headers: dict) -> tuple[int | None, dict | None, str | None]:
    """POST JSON; (HTTP status, JSON answer, error text)."""
    request = urllib.request.Request(
        url,
        data=json.dumps(body, ensure_ascii=False).encode("utf-8"),
        headers={"Content-Type": "application/json; charset=utf-8", **headers},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=current_app.config["NOTIFY_TIMEOUT_SECONDS"]) as answer:
            raw = answer.read()
            status = answer.status
    except urllib.error.HTTPError as error:
        return error.code, None, f"HTTP {error.code}"
    except (urllib.error.URLError, TimeoutError, ConnectionError) as error:
        return None, None, f"unreachable: {getattr(error, 'reason', error)}"
    try:
        return status, json.loads(raw or b"{}"), None
    except ValueError:
        return status, None, "the answer is not JSON"


def _http_outcome(status: int | None, error: str) -> Sent:
    permanent = status is not None and 400 <= status < 500 and status not in (408, 429)
    return Sent(False, http_status=status, error=error, permanent=permanent)


class SmsGateway:
    """A generic HTTP SMS gateway: POST {to, from, text, reference, template, params} with the key as a
    bearer token; a 2xx answer with an `id` means accepted (docs/notifications.md)."""

    channel = "sms"

    def send(self, phone: str, event: str, params: dict, text: str, reference: str) -> Sent:
        config = current_app.config
        body = {
            "to": phone,
            "from": config["SMS_SENDER"],
            "text": text,
            "reference": reference,
            "template": event,
            "params": templates.template_data(event, params),
        }
        status, answer, error = _post(
            config["SMS_GATEWAY_URL"], body, {"Authorization": f"Bearer {config['SMS_GATEWAY_KEY']}"}
        )
        if error or not answer or not answer.get("id"):
            return _http_outcome(status, error or "no message id in the answer")
        return Sent(True, provider_id=str(answer["id"]), http_status=status)


# Zalo's documented error codes (zalo.cloud/zns/guidelines/handle-error-code) that will not heal for
# this phone: an invalid number, a Zalo app too old, an inactive user or one who turned ZNS off, no
# Zalo account, an account that cannot receive ZNS, a user who refused ZNS. The message goes by SMS.
NOT_FOR_THIS_PHONE = {-108, -110, -114, -118, -119, -139}
# Our own fault: a wrong template id, empty or invalid template data, a button, text or template the
# OA may not use. Retrying or SMS would hide it: the message fails at once and the log says so loudly.
OUR_FAULT = {-109, -111, -112, -113, -116, -117}
TOKEN_INVALID = -124


class ZaloZns:
    """Zalo ZNS: POST {phone, template_id, template_data, tracking_id} to the send-template endpoint
    with the Official Account's `access_token` header; `error` 0 and `data.msg_id` mean sent. A token
    refused as invalid (-124) is refreshed (`zns_tokens`) and the message sent once more."""

    channel = "zns"

    def send(self, phone: str, event: str, params: dict, text: str, reference: str) -> Sent:
        from backend.services import zns_tokens

        token = zns_tokens.access_token()
        sent, code = self._send(phone, event, params, reference, token)
        if code == TOKEN_INVALID and zns_tokens.refreshable():
            fresh = zns_tokens.refresh(token)
            if fresh != token:
                sent, code = self._send(phone, event, params, reference, fresh)
        return sent

    def _send(
        self, phone: str, event: str, params: dict, reference: str, token: str
    ) -> tuple[Sent, int | None]:
        config = current_app.config
        body = {
            "phone": phone,
            "template_id": config[f"ZNS_TEMPLATE_{event.upper()}"],
            "template_data": templates.template_data(event, params),
            "tracking_id": reference,
        }
        status, answer, error = _post(config["ZNS_API_URL"], body, {"access_token": token})
        if error or answer is None:
            return _http_outcome(status, error or "no answer"), None
        code = answer.get("error")
        if code != 0:
            failed = Sent(False, http_status=status, error=f"ZNS {code}: {answer.get('message')}")
            if code in OUR_FAULT:
                log.error("ZNS refused template %s (%s): %s", body["template_id"], event, failed.error)
                failed.permanent = True
            failed.fallback = code in NOT_FOR_THIS_PHONE
            return failed, code if isinstance(code, int) else None
        msg_id = str((answer.get("data") or {}).get("msg_id") or "")
        return Sent(True, provider_id=msg_id, http_status=status), 0


PROVIDERS: dict[str, type[Provider]] = {"sms": SmsGateway, "zns": ZaloZns}


def sms_configured() -> bool:
    """Whether the SMS gateway is set up (the fallback of a ZNS message that cannot reach its phone)."""
    config = current_app.config
    return bool(config.get("SMS_GATEWAY_URL") and config.get("SMS_GATEWAY_KEY"))


def _claim(row_id: int, now: datetime) -> str | None:
    token = str(uuid.uuid4())
    lease = timedelta(seconds=current_app.config["NOTIFY_TIMEOUT_SECONDS"] * 2 + 30)
    claimed = db.session.execute(
        update(Notification)
        .where(Notification.id == row_id, Notification.status == PENDING, Notification.due_at <= now)
        .values(claim=token, due_at=now + lease, attempts=Notification.attempts + 1)
    ).rowcount  # type: ignore[attr-defined]  # an UPDATE's CursorResult has it
    db.session.commit()
    return token if claimed else None


def _end(row_id: int, token: str, attempt: NotificationAttempt, **values) -> None:
    """Record the try and the row's new state, if the claim is still ours (one commit)."""
    changed = db.session.execute(
        update(Notification).where(Notification.id == row_id, Notification.claim == token).values(**values)
    ).rowcount  # type: ignore[attr-defined]
    if changed:
        db.session.add(attempt)
    db.session.commit()


def send_one(row_id: int, now: datetime | None = None) -> str | None:
    """Send one due message (if this worker wins its claim); its new status."""
    now = now or now_utc()
    token = _claim(row_id, now)
    if token is None:
        return None
    row = db.session.get_one(Notification, row_id)
    item = db.session.get_one(Item, row.item_id)
    phone = international(item.recipient_phone)
    text = templates.render(row.event, row.params)
    attempt = NotificationAttempt(
        notification_id=row.id, at=now, channel=row.channel, phone=phone, message=text, outcome=SKIPPED
    )
    stale = row.event in ON_THE_WAY and item.status != Status.ASSIGNED
    if phone is None or stale or opted_out(item):
        attempt.error = (
            "no phone number" if phone is None else "the stop has a result" if stale else "opted out"
        )
        _end(row.id, token, attempt, status=SKIPPED, claim=None, last_error=attempt.error)
        return SKIPPED
    reference = f"postround-{row.id}"
    sent = PROVIDERS[row.channel]().send(phone, row.event, row.params, text, reference)
    attempt.outcome = SENT if sent.ok else "error"
    attempt.http_status, attempt.provider_id, attempt.error = sent.http_status, sent.provider_id, sent.error
    if not sent.ok and sent.fallback and row.channel != "sms":
        if not sms_configured():
            sent.permanent = True  # it will not heal on this channel, and there is no other
        else:  # once a message: logged, and the row goes on by SMS (its retries too)
            moved = db.session.execute(
                update(Notification)
                .where(Notification.id == row.id, Notification.claim == token)
                .values(channel="sms")
            ).rowcount  # type: ignore[attr-defined]
            if not moved:  # the claim ran out meanwhile: the row is another worker's now
                db.session.commit()
                return None
            db.session.add(attempt)
            db.session.commit()
            log.info("notification %s: %s; sending it by SMS instead", row.id, sent.error)
            attempt = NotificationAttempt(
                notification_id=row.id, at=now, channel="sms", phone=phone, message=text, outcome="error"
            )
            sent = SmsGateway().send(phone, row.event, row.params, text, reference)
            attempt.outcome = SENT if sent.ok else "error"
            attempt.http_status, attempt.provider_id = sent.http_status, sent.provider_id
            attempt.error = sent.error
    if sent.ok:
        _end(row.id, token, attempt, status=SENT, claim=None, sent_at=now, provider_id=sent.provider_id)
        return SENT
    config = current_app.config
    if sent.permanent or row.attempts >= config["NOTIFY_MAX_ATTEMPTS"]:
        _end(row.id, token, attempt, status=FAILED, claim=None, last_error=sent.error)
        return FAILED
    delay = timedelta(seconds=config["NOTIFY_RETRY_SECONDS"] * 2 ** (row.attempts - 1))
    _end(row.id, token, attempt, claim=None, due_at=allowed_at(now + delay), last_error=sent.error)
    log.info("notification %s: %s; trying again in %s", row.id, sent.error, delay)
    return PENDING


def send_due(now: datetime | None = None, limit: int = 200, budget_seconds: float = 50.0) -> dict:
    """Send the messages that are due, in the order they were written, `limit` at a time, for at most
    `budget_seconds` (the next minute's run goes on); each row at most once a run. In the quiet
    hours push them to the morning instead."""
    if not enabled():
        return {}
    now = now or now_utc()
    morning = allowed_at(now)
    if morning != now:
        db.session.execute(
            update(Notification)
            .where(Notification.status == PENDING, Notification.due_at < morning)
            .values(due_at=morning)
        )
        db.session.commit()
        return {"deferred_until": morning.isoformat()}
    counts: dict = {}
    after, started = 0, monotonic()
    while monotonic() - started < budget_seconds:
        due = list(
            db.session.execute(
                select(Notification.id)
                .where(Notification.status == PENDING, Notification.due_at <= now, Notification.id > after)
                .order_by(Notification.id)
                .limit(limit)
            ).scalars()
        )
        for row_id in due:
            status = send_one(row_id, now)
            if status:
                counts[status] = counts.get(status, 0) + 1
        if len(due) < limit:
            break
        after = due[-1]  # onwards by id: a row tried in this run (and due again) waits for the next
    return counts


# Reading: the supervisor's log ------------------------------------------------------------------------


def log_of(item: Item) -> dict:
    """The item's messages, each with its attempts, newest first; and whether it is opted out."""
    rows = db.session.execute(
        select(Notification).where(Notification.item_id == item.id).order_by(Notification.id.desc())
    ).scalars()
    out = []
    for row in rows:
        attempts = db.session.execute(
            select(NotificationAttempt)
            .where(NotificationAttempt.notification_id == row.id)
            .order_by(NotificationAttempt.id)
        ).scalars()
        out.append(
            {
                "id": row.id,
                "event": row.event,
                "channel": row.channel,
                "status": row.status,
                "due_at": row.due_at,
                "sent_at": row.sent_at,
                "provider_id": row.provider_id,
                "last_error": row.last_error,
                "text_vi": templates.render(row.event, row.params, "vi"),
                "text_en": templates.render(row.event, row.params, "en"),
                "attempts": [
                    {
                        "at": a.at,
                        "outcome": a.outcome,
                        "http_status": a.http_status,
                        "provider_id": a.provider_id,
                        "error": a.error,
                    }
                    for a in attempts
                ],
            }
        )
    return {"opted_out": opted_out(item), "messages": out}
