"""Counters for guessing that flask-limiter's per-request limits cannot express.

Failed logins per account name and wrong phone digits per tracking code. They live in the
same storage as every other limit (RATELIMIT_STORAGE_URI: Redis in production, so all
workers and servers share one count). Keys carry a hash of the name or code, never the name.
A limit is a setting such as "10 per 15 minutes": a fixed window, so a lock ends by itself
when the window does.
"""

from __future__ import annotations

import hashlib
import logging
import math
import time

from flask import current_app
from limits import parse
from limits.storage import MemoryStorage
from limits.strategies import FixedWindowRateLimiter

from backend.domain.rules import DomainError
from backend.extensions import limiter

log = logging.getLogger(__name__)
# When the shared store is unreachable, count in this process rather than not at all.
_FALLBACK = FixedWindowRateLimiter(MemoryStorage())


def _call(method: str, *args):
    try:
        return getattr(limiter.limiter, method)(*args)
    except Exception as error:  # the store (Redis) is down: this worker's own count
        log.warning("rate-limit store unreachable (%s); counting in memory", type(error).__name__)
        return getattr(_FALLBACK, method)(*args)


def _on() -> bool:
    return bool(current_app.config.get("RATELIMIT_ENABLED", True))


def _identifiers(scope: str, value: str) -> tuple[str, ...]:
    digest = hashlib.sha256(f"{scope}:{value}".encode()).hexdigest()[:32]
    prefix = current_app.config.get("RATELIMIT_KEY_PREFIX") or "postround"
    return (prefix, scope, digest)


def retry_after(setting: str, scope: str, value: str) -> int | None:
    """Seconds until `value` may try again, or None when it has tries left."""
    if not _on():
        return None
    item = parse(current_app.config[setting])
    stats = _call("get_window_stats", item, *_identifiers(scope, value))
    if stats.remaining > 0:
        return None
    return max(1, math.ceil(stats.reset_time - time.time()))


def count_failure(setting: str, scope: str, value: str) -> None:
    if _on():
        _call("hit", parse(current_app.config[setting]), *_identifiers(scope, value))


def clear(setting: str, scope: str, value: str) -> None:
    if _on():
        _call("clear", parse(current_app.config[setting]), *_identifiers(scope, value))


def take(setting: str, scope: str, value: str) -> int | None:
    """Count one request of `value` (an API key's prefix): None while within the limit, else the
    seconds until its window ends."""
    if not _on():
        return None
    item = parse(current_app.config[setting])
    identifiers = _identifiers(scope, value)
    if _call("hit", item, *identifiers):
        return None
    stats = _call("get_window_stats", item, *identifiers)
    return max(1, math.ceil(stats.reset_time - time.time()))


def refusal(kind: str, detail: str, wait: int) -> DomainError:
    """The 429 of a breached counter, with Retry-After and `retry_after` for the apps' words."""
    error = DomainError(kind, detail, status=429, params={"retry_after": wait})
    error.headers = {"Retry-After": str(wait)}
    return error
