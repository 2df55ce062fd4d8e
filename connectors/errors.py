"""One small exception family for every vendor call.

Callers decide what to do by class, never by vendor: retry later (`TransientError`, including
`RateLimitedError`), give up on this item and record why (`PermanentError`, including
`MissingScopeError`), or pause everything that uses the connection until a person reconnects
(`ReauthRequiredError`). `ConnectionUnavailableError` is raised before any call is made: the
organisation has no usable connection, which is neither a vendor refusal nor transient.
Messages carry the vendor's error text and code, never a token.
"""

from __future__ import annotations


class ConnectorError(Exception):
    """A vendor call failed. `status` is the HTTP status (None without a response)."""

    def __init__(
        self,
        message: str,
        *,
        provider: str = "",
        status: int | None = None,
        code: str = "",
        details: dict | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.provider = provider
        self.status = status
        self.code = code
        self.details = details or {}

    def __str__(self) -> str:
        parts = [p for p in (self.provider, str(self.status or ""), self.code) if p]
        return f"[{' '.join(parts)}] {self.message}" if parts else self.message


class PermanentError(ConnectorError):
    """Retrying the same request will fail the same way (validation, permissions, not found)."""


class NotFoundError(PermanentError):
    """The addressed object does not exist (HTTP 404 or the vendor's equivalent)."""


class MissingScopeError(PermanentError):
    """The vendor refused the call because the grant lacks a permission (HubSpot: HTTP 403).

    `scopes` are the permissions the vendor named as required (empty when it named none).
    Retrying fails the same way; reconnecting with the permission approved fixes it.
    """

    def __init__(self, message: str, *, scopes: tuple[str, ...] = (), **kwargs) -> None:
        super().__init__(message, **kwargs)
        self.scopes = tuple(scopes)


class TransientError(ConnectorError):
    """The vendor or the network failed for now; the same request may succeed later."""


class RateLimitedError(TransientError):
    """The vendor (or our own client-side limiter) says: not now. `retry_after` is in seconds."""

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class ReauthRequiredError(ConnectorError):
    """The connection's grant is gone or lacks scopes: a person has to reconnect."""


class ConnectionUnavailableError(ConnectorError):
    """The organisation has no usable connection to `provider`; no call was made.

    `reason`: "not_connected" | "disconnected" | "needs_reauth" | "error". `message` is a
    sentence a person can act on, e.g. "HubSpot is not connected: connect it under
    Connections." Not a `PermanentError` (the vendor refused nothing), not a `TransientError`
    (waiting does not help): whatever uses the connection pauses until a person (re)connects.
    Raised by `connectors.installations.installation_get`.
    """

    def __init__(self, message: str, *, reason: str, **kwargs) -> None:
        kwargs.setdefault("code", reason)
        super().__init__(message, **kwargs)
        self.reason = reason

    def __str__(self) -> str:  # already a whole sentence; no "[provider code]" prefix
        return self.message
