"""The base exception for broken business rules (no Flask here; the API maps it to problem+json)."""

from __future__ import annotations


class DomainError(Exception):
    """A request that is well-formed but breaks a business rule.

    `kind` is a stable machine-readable slug: the problem `type` over HTTP, the
    rejection `reason` in sync outcomes.
    """

    status = 409
    headers: dict[str, str] | None = None  # extra response headers, e.g. Retry-After on a throttle

    def __init__(
        self,
        kind: str,
        detail: str,
        *,
        status: int | None = None,
        errors: dict | None = None,
        extra: dict | None = None,
        params: dict | None = None,
    ):
        super().__init__(detail)
        self.kind = kind
        self.detail = detail
        if status is not None:
            self.status = status
        self.errors = errors
        # Further members of the problem (numbers stay numbers: e.g. `received`).
        self.extra = extra or {}
        # The numbers and names the message needs, for the apps to word it (the problem's `params`).
        self.params = params or {}
