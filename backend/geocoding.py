"""Turning an address into coordinates, only where the operator has allowed it.

Geocoding sends citizens' addresses to a third party (Nominatim, OpenStreetMap's
service, through geopy), so it is off unless GEOCODING_ENABLED is set. Off means
no network at all: `geocode` returns None before anything that could open a socket
is built.

Nominatim's usage policy asks for at most one request a second and an identifying
User-Agent (GEOCODER_USER_AGENT): this is for imports and batch jobs, never for a
request that handles a whole round.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from functools import lru_cache

from flask import current_app
from geopy.exc import GeopyError
from geopy.extra.rate_limiter import RateLimiter
from geopy.geocoders import Nominatim

from backend.models import Item

log = logging.getLogger(__name__)

TIMEOUT_S = 10
MIN_DELAY_S = 1.0


def address_query(address_line: str | None, commune: str | None, province: str | None) -> str:
    """One search string, most specific part first; the current (post-2025) commune is what maps know."""
    return ", ".join(part for part in (address_line, commune, province, "Việt Nam") if part)


@lru_cache(maxsize=4)
def _geocoder(user_agent: str) -> Callable:
    # One rate-limited client per process, so the one-a-second limit holds across calls.
    client = Nominatim(user_agent=user_agent, timeout=TIMEOUT_S)
    return RateLimiter(client.geocode, min_delay_seconds=MIN_DELAY_S, max_retries=1, swallow_exceptions=False)


def geocode(query: str, config: Mapping | None = None) -> tuple[float, float] | None:
    """(lat, lon) for an address in Vietnam, or None when disabled, not found or unreachable."""
    config = current_app.config if config is None else config
    if not config.get("GEOCODING_ENABLED", False):
        return None
    try:
        location = _geocoder(config.get("GEOCODER_USER_AGENT") or "postround")(
            query, exactly_one=True, country_codes="vn")
    except GeopyError as exc:
        # The address is personal data: log the failure, not the query.
        log.warning("Geocoding failed: %s", type(exc).__name__)
        return None
    return None if location is None else (location.latitude, location.longitude)


def geocode_item(item: Item, config: Mapping | None = None) -> bool:
    """Fill in an item's missing coordinates from its address; True if it now has some it lacked."""
    if item.lat is not None and item.lon is not None:
        return False
    found = geocode(address_query(item.address_line, item.commune, item.province), config)
    if found is None:
        return False
    item.lat, item.lon = found
    return True
