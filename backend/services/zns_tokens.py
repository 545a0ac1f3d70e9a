"""Zalo ZNS access tokens: the current one, refreshed before it expires or when ZNS refuses it.

Zalo's OA access token lives ~25 h; a refresh (`POST ZNS_OAUTH_URL`, form `refresh_token`, `app_id`,
`grant_type=refresh_token`, header `secret_key`) answers a new `access_token`, a new `refresh_token`
(the old one is spent: single-use) and `expires_in` seconds. So the pair lives in `zns_tokens`
(one row), written from the settings the first time, and only one worker refreshes at a time: it
claims the row with a conditional UPDATE (compare-and-set on the token it saw and a free claim);
the others keep the token they have, or find the new one when they look again.
"""

from __future__ import annotations

import hashlib
import json
import logging
import urllib.error
import urllib.parse
import urllib.request
import uuid
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import or_, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from backend.extensions import db
from backend.models import ZnsToken
from backend.models.base import now_utc

log = logging.getLogger(__name__)
ROW = 1
MARGIN = timedelta(minutes=30)  # refresh this long before the access token expires
BACKOFF = timedelta(minutes=1)  # after a refused refresh, none before this


def refreshable() -> bool:
    config = current_app.config
    return bool(config.get("ZNS_REFRESH_TOKEN") and config.get("ZNS_APP_ID") and config.get("ZNS_SECRET_KEY"))


def _seed() -> str:
    config = current_app.config
    pair = f"{config.get('ZNS_ACCESS_TOKEN') or ''}\n{config.get('ZNS_REFRESH_TOKEN') or ''}"
    return hashlib.sha256(pair.encode()).hexdigest()


def _row() -> ZnsToken:
    """The stored pair; written from the settings the first time, and again when the operator sets a
    new pair (its hash differs from the one the row was written from)."""
    config, seed, now = current_app.config, _seed(), now_utc()
    values = {
        "access_token": config["ZNS_ACCESS_TOKEN"] or "",
        "refresh_token": config.get("ZNS_REFRESH_TOKEN"),
        "expires_at": None,
        "seed": seed,
        "claim": None,
        "claim_until": None,
        "updated_at": now,
    }
    row = db.session.get(ZnsToken, ROW)
    if row is None:
        insert = pg_insert if db.session.get_bind().dialect.name == "postgresql" else sqlite_insert
        db.session.execute(insert(ZnsToken).values(id=ROW, **values).on_conflict_do_nothing())
        db.session.commit()
    elif row.seed != seed:
        db.session.execute(
            update(ZnsToken).where(ZnsToken.id == ROW, ZnsToken.seed == row.seed).values(**values)
        )
        db.session.commit()
    else:
        return row
    db.session.expire_all()
    return db.session.get_one(ZnsToken, ROW)


def access_token(now: datetime | None = None) -> str:
    """The token to send with: the stored one, refreshed first if it expires within MARGIN."""
    now = now or now_utc()
    row = _row()
    if refreshable() and row.expires_at is not None and row.expires_at - MARGIN <= now:
        return refresh(row.access_token, now)
    return row.access_token


def refresh(stale: str, now: datetime | None = None) -> str:
    """Replace `stale` (expiring, or refused by ZNS) with a new token, unless another worker has
    done it or is doing it; the token to use now."""
    now = now or now_utc()
    if not refreshable():
        return _row().access_token
    _row()
    claim = str(uuid.uuid4())
    lease = timedelta(seconds=current_app.config["NOTIFY_TIMEOUT_SECONDS"] * 2 + 30)
    won = db.session.execute(
        update(ZnsToken)
        .where(
            ZnsToken.id == ROW,
            ZnsToken.access_token == stale,
            or_(ZnsToken.claim.is_(None), ZnsToken.claim_until < now),
        )
        .values(claim=claim, claim_until=now + lease)
    ).rowcount  # type: ignore[attr-defined]  # an UPDATE's CursorResult has it
    db.session.commit()
    row = db.session.get_one(ZnsToken, ROW)
    if not won:  # refreshed already (a new token), or being refreshed (the stale one, for now)
        db.session.refresh(row)
        return row.access_token
    answer, error = _exchange(row.refresh_token or "")
    if error or answer is None:
        log.error("ZNS token refresh failed: %s; not asked again for %s", error, BACKOFF)
        # The claim stays until the back-off is over: not every message of a backlog asks again.
        db.session.execute(update(ZnsToken).where(ZnsToken.claim == claim).values(claim_until=now + BACKOFF))
        db.session.commit()
        return stale
    db.session.execute(
        update(ZnsToken)
        .where(ZnsToken.id == ROW, ZnsToken.claim == claim)
        .values(
            access_token=answer["access_token"],
            refresh_token=answer.get("refresh_token") or row.refresh_token,
            expires_at=now + timedelta(seconds=int(answer.get("expires_in") or 0)),
            claim=None,
            claim_until=None,
            updated_at=now,
        )
    )
    db.session.commit()
    log.info("ZNS access token refreshed; it expires in %s s", answer.get("expires_in"))
    return str(answer["access_token"])


def _exchange(refresh_token: str) -> tuple[dict | None, str | None]:
    """Spend `refresh_token` at Zalo's OAuth endpoint: (the answer with a new pair, or an error)."""
    config = current_app.config
    form = {"refresh_token": refresh_token, "app_id": config["ZNS_APP_ID"], "grant_type": "refresh_token"}
    request = urllib.request.Request(
        config["ZNS_OAUTH_URL"],
        data=urllib.parse.urlencode(form).encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded", "secret_key": config["ZNS_SECRET_KEY"]},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=config["NOTIFY_TIMEOUT_SECONDS"]) as response:
            answer = json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        return None, f"HTTP {error.code}"
    except (urllib.error.URLError, TimeoutError, ConnectionError) as error:
        return None, f"unreachable: {getattr(error, 'reason', error)}"
    except ValueError:
        return None, "the answer is not JSON"
    if not isinstance(answer, dict) or not answer.get("access_token"):
        detail = (
            answer.get("error_description") or answer.get("error") if isinstance(answer, dict) else answer
        )
        return None, f"no access token in the answer: {detail}"
    return answer, None
