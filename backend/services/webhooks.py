"""Webhooks to agencies' systems, per the Standard Webhooks specification (docs/agency-api.md).

An endpoint is registered with the event types it wants and gets a `whsec_` secret, shown once.
The deliveries are written with the change, in its transaction (backend.services.agency_events);
after the commit a task on the queue (backend.tasks) sends what is due, off the request path: a
phone's push never waits for an agency's server.

Sending one delivery: claim it (a conditional UPDATE pending -> sending), end the transaction, POST
the event with the webhook-id / webhook-timestamp / webhook-signature headers (a short time limit,
no redirect followed), then log the attempt (status code, duration, error) and end the delivery:
succeeded on a 2xx, otherwise pending again after an exponential backoff, or failed once out of
attempts. One worker at a time sends to an endpoint (a lease on its row), oldest event first, so
an endpoint's deliveries go out in the feed's order; after a failure its other due deliveries wait
for the same time (one dead server costs one time-out per backoff step, not one per message). A worker that dies mid-send leaves the
delivery `sending`; the sweep makes it pending again (the receiver may then see the same webhook-id
twice, which the specification allows for). An admin or the agency replays a delivery: pending,
due now, with fresh attempts; the log keeps every attempt.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import http.client
import ipaddress
import json
import logging
import secrets
import socket
import time
import uuid
from datetime import timedelta
from urllib.parse import urlsplit

from flask import current_app
from sqlalchemy import or_, select, update

from backend import secretbox
from backend.audit import audit
from backend.domain.rules import DomainError
from backend.extensions import db
from backend.models import AgencyEvent, CommitLog, User, WebhookAttempt, WebhookDelivery, WebhookEndpoint
from backend.models.base import now_utc
from backend.services.agency_events import EVENT_TYPES, describe

log = logging.getLogger(__name__)
USER_AGENT = "PostRound-Webhooks/1"
BATCH = 200


# Endpoints ----------------------------------------------------------------------------------------


def new_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def seal_secret(secret: str) -> str:
    """The secret as stored: sealed under WEBHOOK_SECRET_KEY (a database dump shows no secret)."""
    return secretbox.seal(secretbox.box_of(current_app.config), secret)


def secret_of(endpoint: WebhookEndpoint) -> str:
    return secretbox.open_sealed(secretbox.box_of(current_app.config), endpoint.secret_sealed)


def rekey() -> int:
    """Seal every endpoint's secret under the current key (after a rotation); how many rows."""
    fernet = secretbox.box_of(current_app.config)
    endpoints = db.session.execute(select(WebhookEndpoint).order_by(WebhookEndpoint.id)).scalars().all()
    for endpoint in endpoints:
        endpoint.secret_sealed = secretbox.reseal(fernet, endpoint.secret_sealed)
    db.session.commit()
    return len(endpoints)


def check_url(url: str) -> str:
    """Only an absolute http(s) URL with a host and no user name or password in it."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.username or parts.password:
        raise DomainError(
            "bad-webhook-url",
            "A webhook URL must be http:// or https:// with a host (and no user name or password). / "
            "Địa chỉ webhook phải là http:// hoặc https:// có tên máy (không kèm tên đăng nhập, mật khẩu).",
            status=422,
            errors={"url": ["Not an http(s) URL with a host."]},
        )
    return url.strip()


def check_events(events: list[str]) -> list[str]:
    unknown = sorted(set(events) - set(EVENT_TYPES))
    if unknown or not events:
        raise DomainError(
            "bad-webhook-events",
            "Name one or more of the event types. / Hãy chọn một hoặc nhiều loại sự kiện.",
            status=422,
            errors={"events": [f"One or more of: {', '.join(EVENT_TYPES)}."]},
        )
    return sorted(set(events))


def agency_of_new(user: User, requested: int | None) -> int | None:
    """An officer registers for their own agency; an admin names one their offices serve."""
    from backend.auth.scope import served_agencies

    if user.role == "agency":
        if requested not in (None, user.agency_id):
            raise DomainError(
                "not-your-agency", "Agency officers register webhooks for their own agency only.", status=403
            )
        return user.agency_id
    if requested is None or requested not in set(db.session.execute(served_agencies(user)).scalars()):
        raise DomainError(
            "agency-required",
            "Name the agency (agency_id) whose system this is. / Hãy chọn cơ quan (agency_id).",
            status=422,
            errors={"agency_id": ["One of the agencies your offices serve."]},
        )
    return requested


def visible_endpoints(user: User):
    from backend.auth.scope import served_agencies

    query = select(WebhookEndpoint).order_by(WebhookEndpoint.id)
    if user.role == "agency":
        return query.where(WebhookEndpoint.agency_id == user.agency_id)
    return query.where(WebhookEndpoint.agency_id.in_(served_agencies(user)))


def visible_endpoint(user: User, endpoint_id: int) -> WebhookEndpoint:
    endpoint = db.session.execute(
        visible_endpoints(user).where(WebhookEndpoint.id == endpoint_id)
    ).scalar_one_or_none()
    if endpoint is None:
        raise DomainError("not-found", f"No webhook endpoint with id {endpoint_id}.", status=404)
    return endpoint


def register(user: User, body: dict) -> WebhookEndpoint:
    """A new endpoint, with its secret (the answer that shows it is the only one that does)."""
    endpoint = WebhookEndpoint(
        agency_id=agency_of_new(user, body.get("agency_id")),
        url=check_url(body["url"]),
        description=body.get("description"),
        events=check_events(body["events"]),
        created_by_id=user.id,
    )
    endpoint.secret = new_secret()  # in the answer, never stored in clear
    endpoint.secret_sealed = seal_secret(endpoint.secret)
    db.session.add(endpoint)
    db.session.flush()
    audit("webhook.registered", "webhook", endpoint.id, {"url": endpoint.url, "events": endpoint.events})
    db.session.commit()
    return endpoint


def disable(user: User, endpoint_id: int) -> WebhookEndpoint:
    endpoint = visible_endpoint(user, endpoint_id)
    endpoint.active = False
    audit("webhook.disabled", "webhook", endpoint.id, {"url": endpoint.url})
    db.session.commit()
    return endpoint


def deliveries_of(user: User, endpoint_id: int, limit: int) -> list[dict]:
    """The endpoint's deliveries, newest first, each with its attempts (the log)."""
    endpoint = visible_endpoint(user, endpoint_id)
    rows = db.session.execute(
        select(WebhookDelivery)
        .where(WebhookDelivery.endpoint_id == endpoint.id)
        .order_by(WebhookDelivery.event_id.desc())
        .limit(limit)
    ).scalars()
    deliveries = list(rows)
    attempts: dict[str, list[WebhookAttempt]] = {}
    if deliveries:
        for attempt in db.session.execute(
            select(WebhookAttempt)
            .where(WebhookAttempt.delivery_id.in_([d.id for d in deliveries]))
            .order_by(WebhookAttempt.id)
        ).scalars():
            attempts.setdefault(attempt.delivery_id, []).append(attempt)
    return [_delivery_log(d, attempts.get(d.id, [])) for d in deliveries]


def _delivery_log(delivery: WebhookDelivery, attempts: list[WebhookAttempt] | None = None) -> dict:
    if attempts is None:
        attempts = list(
            db.session.execute(
                select(WebhookAttempt)
                .where(WebhookAttempt.delivery_id == delivery.id)
                .order_by(WebhookAttempt.id)
            ).scalars()
        )
    return {
        "id": delivery.id,
        "endpoint_id": delivery.endpoint_id,
        "event_id": f"evt_{delivery.event_id}",
        "event_type": delivery.event.type,
        "status": delivery.status,
        "attempts": delivery.attempts,
        "next_attempt_at": delivery.next_attempt_at if delivery.status == "pending" else None,
        "last_status_code": delivery.last_status_code,
        "delivered_at": delivery.delivered_at,
        "log": [
            {
                "at": a.at,
                "status_code": a.status_code,
                "duration_ms": a.duration_ms,
                "error": a.error,
                "replay": a.replay,
            }
            for a in attempts
        ],
    }


def replay(user: User, delivery_id: str) -> dict:
    """Send a delivery again, now, with fresh attempts (a succeeded one too: the agency asks)."""
    delivery = db.session.get(WebhookDelivery, delivery_id)
    if delivery is None:
        raise DomainError("not-found", f"No webhook delivery with id {delivery_id}.", status=404)
    if not visible_endpoint(user, delivery.endpoint_id).active:
        raise DomainError(
            "webhook-disabled",
            "This webhook endpoint was deleted; register it again to receive deliveries. / "
            "Địa chỉ webhook này đã bị xóa; hãy đăng ký lại để nhận tin.",
            status=409,
        )
    if delivery.status == "sending":
        raise DomainError(
            "delivery-in-flight",
            "This delivery is being sent right now. / Lần gửi này đang được thực hiện.",
            status=409,
        )
    delivery.status, delivery.attempts, delivery.next_attempt_at = "pending", 0, now_utc()
    delivery.claim = None
    audit("webhook.replayed", "webhook_delivery", delivery.id, {"endpoint_id": delivery.endpoint_id})
    db.session.commit()
    nudge()
    return _delivery_log(delivery)


# Signing (Standard Webhooks) ----------------------------------------------------------------------


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """The webhook-signature header: "v1," + base64 HMAC-SHA256 of "id.timestamp.body"."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{msg_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


# Sending ------------------------------------------------------------------------------------------


def nudge(delay: float | None = None) -> None:
    """Ask a worker to send what is due (after a commit; a lost nudge is made up by the sweep)."""
    from backend.tasks import queue

    try:
        queue().send_webhooks(delay=delay)
    except Exception:  # the queue is down: the minute's sweep sends them
        log.warning("could not enqueue webhook deliveries", exc_info=True)


def _backoff(attempts: int) -> timedelta:
    first = current_app.config["WEBHOOK_FIRST_RETRY_SECONDS"]
    cap = current_app.config["WEBHOOK_MAX_RETRY_SECONDS"]
    return timedelta(seconds=min(first * 2 ** (attempts - 1), cap))


def _release_stale(now) -> None:
    """Deliveries claimed by a worker that died mid-send are due again."""
    stale = now - timedelta(seconds=3 * current_app.config["WEBHOOK_TIMEOUT_SECONDS"] + 60)
    db.session.execute(
        update(WebhookDelivery)
        .where(WebhookDelivery.status == "sending", WebhookDelivery.claimed_at < stale)
        .values(status="pending", claim=None, next_attempt_at=now)
    )
    db.session.commit()


def _due(now, endpoint_id: int | None = None, limit: int = BATCH):
    query = (
        select(WebhookDelivery.id, WebhookDelivery.endpoint_id)
        .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
        .where(
            WebhookDelivery.status == "pending",
            WebhookDelivery.next_attempt_at <= now,
            WebhookEndpoint.active.is_(True),
        )
        .order_by(WebhookDelivery.event_id)
        .limit(limit)
    )
    if endpoint_id is not None:
        query = query.where(WebhookDelivery.endpoint_id == endpoint_id)
    rows = db.session.execute(query).all()
    db.session.commit()
    return rows


def _lease_seconds() -> float:
    return 3 * current_app.config["WEBHOOK_TIMEOUT_SECONDS"] + 60


def _lease(endpoint_id: int, token: str | None = None) -> str | None:
    """Take (or, with its token, renew) the endpoint's lease: one worker sends to an endpoint at a
    time, so its deliveries go out in event order. A dead worker's lease runs out by itself."""
    now = now_utc()
    new = token or str(uuid.uuid4())
    free = (
        (WebhookEndpoint.lease == token)
        if token
        else or_(WebhookEndpoint.lease.is_(None), WebhookEndpoint.leased_until < now)
    )
    taken = db.session.execute(
        update(WebhookEndpoint)
        .where(WebhookEndpoint.id == endpoint_id, free)
        .values(lease=new, leased_until=now + timedelta(seconds=_lease_seconds()))
    )
    db.session.commit()
    return new if getattr(taken, "rowcount", 0) else None


def _release(endpoint_id: int, token: str) -> None:
    db.session.execute(
        update(WebhookEndpoint)
        .where(WebhookEndpoint.id == endpoint_id, WebhookEndpoint.lease == token)
        .values(lease=None, leased_until=None)
    )
    db.session.commit()


def deliver_due(now=None) -> int:
    """Send every delivery due at `now`, each endpoint's in event order, one endpoint at a time per
    worker; how many were sent successfully."""
    now = now or now_utc()
    _release_stale(now)
    endpoints = list(dict.fromkeys(endpoint_id for _, endpoint_id in _due(now)))
    sent, busy = 0, False
    for endpoint_id in endpoints:
        token = _lease(endpoint_id)
        if token is None:
            busy = True  # another worker is sending to it
            continue
        try:
            sent += _drain(endpoint_id, token, now)
        finally:
            _release(endpoint_id, token)
        if _due(max(now, now_utc()), endpoint_id, limit=1):
            nudge()  # committed while the lease was held, after the last look
    if busy:
        nudge(delay=1)  # look again once the other worker is likely done
    return sent


def _drain(endpoint_id: int, token: str, now) -> int:
    """Send the endpoint's due deliveries, oldest event first, until none is due or one fails (then
    the endpoint backs off as a whole: the others wait with it)."""
    sent = 0
    while rows := _due(now, endpoint_id):
        for delivery_id, _ in rows:
            ok = _send_one(delivery_id, now)
            if ok is False:
                return sent
            sent += bool(ok)
            if _lease(endpoint_id, token) is None:
                return sent  # the lease ran out (a very slow run): another worker has it now
    return sent


def _claim(delivery_id: str, now) -> str | None:
    token = str(uuid.uuid4())
    claimed = db.session.execute(
        update(WebhookDelivery)
        .where(
            WebhookDelivery.id == delivery_id,
            WebhookDelivery.status == "pending",
            WebhookDelivery.next_attempt_at <= now,
        )
        .values(status="sending", claim=token, claimed_at=now_utc())
    )
    db.session.commit()
    return token if getattr(claimed, "rowcount", 0) else None


def _send_one(delivery_id: str, now) -> bool | None:
    """One attempt: True sent, False failed, None taken by another worker meanwhile."""
    token = _claim(delivery_id, now)
    if token is None:
        return None
    delivery = db.session.get_one(WebhookDelivery, delivery_id)
    endpoint = delivery.endpoint
    seq = db.session.execute(
        select(CommitLog.seq)
        .join(AgencyEvent, AgencyEvent.ticket == CommitLog.id)
        .where(AgencyEvent.id == delivery.event_id)
    ).scalar_one()
    body = json.dumps(describe(delivery.event, seq), ensure_ascii=False, separators=(",", ":")).encode()
    url, secret, msg_id = endpoint.url, secret_of(endpoint), delivery.id
    is_replay = delivery.attempts == 0 and _has_attempts(delivery.id)
    db.session.commit()  # no transaction stays open while the agency's server answers

    started = time.monotonic()
    status_code, error = _post(url, secret, msg_id, body)
    duration_ms = int((time.monotonic() - started) * 1000)
    ok = status_code is not None and 200 <= status_code < 300
    if not ok and error is None:
        error = f"HTTP {status_code}"
    _end(delivery_id, token, endpoint.id, ok, status_code, duration_ms, error, is_replay)
    return ok


def _has_attempts(delivery_id: str) -> bool:
    return (
        db.session.execute(
            select(WebhookAttempt.id).where(WebhookAttempt.delivery_id == delivery_id).limit(1)
        ).first()
        is not None
    )


def _end(delivery_id, token, endpoint_id, ok, status_code, duration_ms, error, is_replay) -> None:
    delivery = db.session.get_one(WebhookDelivery, delivery_id)
    if delivery.claim != token or delivery.status != "sending":
        db.session.rollback()
        return  # the sweep gave it to another worker: its log is that worker's
    now = now_utc()
    db.session.add(
        WebhookAttempt(
            delivery_id=delivery_id,
            at=now,
            status_code=status_code,
            duration_ms=duration_ms,
            error=error,
            replay=is_replay,
        )
    )
    delivery.attempts += 1
    delivery.last_status_code = status_code
    delivery.claim = None
    retry_in = None
    if ok:
        delivery.status, delivery.delivered_at = "succeeded", now
    elif delivery.attempts >= current_app.config["WEBHOOK_MAX_ATTEMPTS"]:
        delivery.status = "failed"
    else:
        retry_in = _backoff(delivery.attempts)
        delivery.status, delivery.next_attempt_at = "pending", now + retry_in
        # The endpoint backs off as a whole: its other due deliveries wait as long.
        db.session.execute(
            update(WebhookDelivery)
            .where(
                WebhookDelivery.endpoint_id == endpoint_id,
                WebhookDelivery.status == "pending",
                WebhookDelivery.next_attempt_at < now + retry_in,
                WebhookDelivery.id != delivery_id,
            )
            .values(next_attempt_at=now + retry_in)
        )
    db.session.commit()
    if retry_in is not None:
        nudge(delay=retry_in.total_seconds())


def _resolve(host: str, port: int) -> tuple[list[str], str | None]:
    """Resolve the host once: (the addresses to connect to, None) or ([], why it may not be called).

    Every address the name resolves to is checked (none private, loopback or link-local unless
    WEBHOOK_ALLOW_PRIVATE_ADDRESSES), and the connection then goes to the checked address itself:
    a name that answers a public address to the check and a private one to a second look-up (DNS
    rebinding) never gets a second look-up."""
    try:
        infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    except OSError as exc:
        return [], f"cannot resolve {host}: {exc}"
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    if not addresses:
        return [], f"cannot resolve {host}: no address"
    if not current_app.config["WEBHOOK_ALLOW_PRIVATE_ADDRESSES"]:
        for address in addresses:
            ip = ipaddress.ip_address(address.split("%")[0])
            if not ip.is_global:
                return [], f"{host} resolves to a non-public address ({ip})"
    return addresses, None


def _connect(addresses: list[str], port: int, timeout: float | None) -> socket.socket:
    """A connection to the first of the checked addresses that answers (never a new look-up)."""
    error: OSError | None = None
    for address in addresses:
        try:
            return socket.create_connection((address, port), timeout)
        except OSError as exc:
            error = exc
    raise error or OSError("no address to connect to")


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Connects to the checked address; the Host header still names the host."""

    def __init__(self, host: str, port: int, addresses: list[str], timeout: float):
        super().__init__(host, port, timeout=timeout)
        self.addresses = addresses

    def connect(self) -> None:
        self.sock = _connect(self.addresses, self.port, self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """Connects to the checked address; SNI, the certificate check and the Host header name the host."""

    def __init__(self, host: str, port: int, addresses: list[str], timeout: float):
        super().__init__(host, port, timeout=timeout)
        self.addresses = addresses

    def connect(self) -> None:
        sock = _connect(self.addresses, self.port, self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)  # type: ignore[attr-defined]


def _post(url: str, secret: str, msg_id: str, body: bytes) -> tuple[int | None, str | None]:
    """POST once, with a short time limit and no redirect followed: (status code, error)."""
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    addresses, refused = _resolve(parts.hostname or "", port)
    if refused:
        return None, refused
    timestamp = int(time.time())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": sign(secret, msg_id, timestamp, body),
    }
    timeout = current_app.config["WEBHOOK_TIMEOUT_SECONDS"]
    connection_class = _PinnedHTTPSConnection if parts.scheme == "https" else _PinnedHTTPConnection
    connection = connection_class(parts.hostname or "", port, addresses, timeout)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        connection.request("POST", path, body=body, headers=headers)
        response = connection.getresponse()
        response.read(4096)
        return response.status, None
    except (OSError, http.client.HTTPException) as exc:
        return None, f"{type(exc).__name__}: {exc}"[:500]
    finally:
        connection.close()
