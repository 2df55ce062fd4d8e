"""The one HTTP layer: every outbound vendor call goes through `HttpClient.request`.

It owns timeouts, retries with exponential backoff and jitter (on 429, 5xx and network errors),
honouring `Retry-After`; client-side rate limits shared across workers; a single refresh-and-retry
on 401; mapping of errors into `connectors.errors`; and a record of each call (`ApiCall`: no
payloads, no tokens). Nothing else in the project imports `requests`.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import logging
import random
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import quote

import requests
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from connectors.errors import (
    ConnectorError,
    RateLimitedError,
    ReauthRequiredError,
    TransientError,
)
from connectors.ratelimit import ClientRateLimited, RateLimit, RateLimiter

logger = logging.getLogger(__name__)

DEFAULT_TIMEOUT = (5.0, 30.0)  # (connect, read) seconds
_session = requests.Session()  # shared connection pool per process


class TokenSource(Protocol):
    """Gives the HTTP layer a bearer token, and a fresh one when the vendor says 401."""

    def access_token(self) -> str: ...

    def token_after_unauthorized(self, rejected: str) -> str: ...


class StaticTokenSource:
    """A token source for a token that cannot be refreshed (right after the code exchange)."""

    def __init__(self, token: str) -> None:
        self._token = token

    def access_token(self) -> str:
        return self._token

    def token_after_unauthorized(self, rejected: str) -> str:
        return self._token

    def __repr__(self) -> str:
        return "StaticTokenSource(***)"


@dataclass(frozen=True)
class _Outgoing:
    """What one logical request sends, the same on every attempt."""

    method: str
    url: str
    params: Mapping[str, Any] | Sequence[tuple[str, Any]] | None
    json: Any
    data: Mapping[str, Any] | None
    headers: Mapping[str, str] | None
    basic_auth: tuple[str, str] | None
    limits: Sequence[RateLimit]
    authenticated: bool
    ok_statuses: frozenset[int]


@dataclass
class _CallState:
    """What one logical request has done so far; recorded as its ApiCall whatever happens."""

    started: float
    attempts: int = 0
    throttled: int = 0  # 429 answers received
    refreshed: bool = False  # the one refresh after a 401 is spent
    token: str | None = None
    response: requests.Response | None = None
    error: ConnectorError | None = None


class HttpClient:
    def __init__(
        self,
        *,
        provider: str,
        base_url: str,
        error_mapper: Callable[[requests.Response], ConnectorError],
        token_source: TokenSource | None = None,
        limiter: RateLimiter | None = None,
        organization_id: int | None = None,
        connection_id: int | None = None,
        max_attempts: int = 4,
        max_inline_wait: float = 30.0,
        timeout: tuple[float, float] = DEFAULT_TIMEOUT,
        sleep: Callable[[float], None] = time.sleep,
        record_calls: bool = True,
        context: str = "",
    ) -> None:
        self.provider = provider
        self.base_url = base_url.rstrip("/")
        self.error_mapper = error_mapper
        self.token_source = token_source
        self.limiter = limiter
        self.organization_id = organization_id
        self.connection_id = connection_id
        self.max_attempts = max_attempts
        self.max_inline_wait = max_inline_wait
        self.timeout = timeout
        self.sleep = sleep
        self.record_calls = record_calls
        self.context = context

    def request(
        self,
        method: str,
        path: str,
        *,
        path_params: Mapping[str, Any] | None = None,
        params: Mapping[str, Any] | Sequence[tuple[str, Any]] | None = None,
        json: Any = None,
        data: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        basic_auth: tuple[str, str] | None = None,
        limits: Sequence[RateLimit] = (),
        url: str | None = None,
        authenticated: bool = True,
        ok_statuses: Iterable[int] = (),
        idempotent: bool = True,
    ) -> requests.Response:
        """Send one logical request, retrying as the error family says; return the response.

        `path` is a template such as "/users/{user_id}/webinars": only the template is recorded,
        `path_params` are quoted into it. `url` overrides base_url + path (absolute next-page
        links). Statuses in `ok_statuses` are returned instead of raised (e.g. 404 as "absent").
        A request that is not `idempotent` (a create the vendor has no idempotency key for) is
        retried here only after a 429, which the vendor did not act on: after a timeout or a 5xx
        it may have, so the error goes to the caller, which looks before it creates again.
        Raises a `ConnectorError` subclass. Whatever happens, one `ApiCall` records it.
        """
        outgoing = _Outgoing(
            method=method,
            url=url or self.base_url + _expand(path, path_params or {}),
            params=params,
            json=json,
            data=data,
            headers=headers,
            basic_auth=basic_auth,
            limits=limits,
            authenticated=authenticated,
            ok_statuses=frozenset(ok_statuses),
        )
        state = _CallState(started=time.monotonic())
        try:
            return self._send_with_retries(outgoing, state, idempotent=idempotent)
        finally:
            self._record(
                method,
                path,
                state.response,
                state.attempts - 1,
                state.throttled,
                state.started,
                state.error,
            )

    # --- one logical request: retries, the 401 refresh, one send ----------------------------------
    def _send_with_retries(
        self, outgoing: _Outgoing, state: _CallState, *, idempotent: bool
    ) -> requests.Response:
        """Send until the vendor accepts, or raise the error that retrying here cannot help."""
        while True:
            state.attempts += 1
            self._send_authorised(outgoing, state)
            if state.error is None:
                return state.response
            wait = self._retry_decision(
                state.error, state.attempts, outgoing.limits, idempotent=idempotent
            )
            if wait is None:
                raise state.error
            self.sleep(wait)

    def _retry_decision(
        self,
        error: ConnectorError,
        attempt: int,
        limits: Sequence[RateLimit],
        *,
        idempotent: bool,
    ) -> float | None:
        """Seconds to wait before sending again after `error`, or None: give up now.

        Only transient errors are retried, at most `max_attempts` sends in all; a request that
        is not idempotent only after a 429; and never when the wait exceeds `max_inline_wait`
        (the caller reschedules instead).
        """
        if not isinstance(error, TransientError) or attempt >= self.max_attempts:
            return None
        if not idempotent and not isinstance(error, RateLimitedError):
            return None
        wait = self._retry_wait(error, attempt, limits)
        if wait > self.max_inline_wait:
            return None
        return wait

    def _send_authorised(self, outgoing: _Outgoing, state: _CallState) -> None:
        """One attempt: send within the rate limits; after the request's first 401, refresh the
        token and send once more. A 401 that stays is `ReauthRequiredError`."""
        while True:
            self._respect_limits(outgoing.limits)
            self._send_once(outgoing, state)
            if not self._refreshed_after_401(outgoing, state):
                break
        response, error = state.response, state.error
        if (
            error is not None
            and response is not None
            and response.status_code == 401
            and not isinstance(error, ReauthRequiredError)
        ):
            state.error = ReauthRequiredError(
                error.message, provider=self.provider, status=401, code=error.code
            )

    def _refreshed_after_401(self, outgoing: _Outgoing, state: _CallState) -> bool:
        """On the first 401 of a logical request, get a fresh token; True when there is one to
        send with. A second 401 means the grant is gone."""
        if (
            state.error is None
            or state.response is None
            or state.response.status_code != 401
            or not outgoing.authenticated
            or self.token_source is None
            or state.refreshed
        ):
            return False
        state.refreshed = True
        state.token = self.token_source.token_after_unauthorized(state.token or "")
        return True

    def _send_once(self, outgoing: _Outgoing, state: _CallState) -> None:
        """Send the request once; leave its response and mapped error (None if ok) in `state`."""
        request_headers = dict(outgoing.headers or {})
        if outgoing.authenticated and self.token_source is not None:
            state.token = state.token or self.token_source.access_token()
            request_headers["Authorization"] = f"Bearer {state.token}"
        try:
            response = _session.request(
                outgoing.method,
                outgoing.url,
                params=outgoing.params,
                json=outgoing.json,
                data=outgoing.data,
                headers=request_headers,
                auth=outgoing.basic_auth,
                timeout=self.timeout,
                allow_redirects=False,
            )
        except (requests.ConnectionError, requests.Timeout) as exc:
            state.response = None
            state.error = TransientError(
                f"{type(exc).__name__} talking to {self.provider}", provider=self.provider
            )
            return
        state.response = response
        if response.status_code < 400 or response.status_code in outgoing.ok_statuses:
            state.error = None
            return
        state.error = self.error_mapper(response)
        state.throttled += response.status_code == 429

    # --- internals --------------------------------------------------------------------------------
    def _respect_limits(self, limits: Sequence[RateLimit]) -> None:
        if not limits or self.limiter is None:
            return
        try:
            self.limiter.acquire(limits, max_wait=self.max_inline_wait)
        except ClientRateLimited as exc:
            raise RateLimitedError(
                str(exc), provider=self.provider, code="client_rate_limit", retry_after=exc.wait
            ) from None

    def _retry_wait(self, error: ConnectorError, attempt: int, limits) -> float:
        backoff = min(20.0, 0.5 * 2 ** (attempt - 1))
        jittered = backoff + random.uniform(0, backoff)  # noqa: S311 - jitter, not crypto
        if isinstance(error, RateLimitedError) and error.retry_after is not None:
            if error.details.get("daily_limit"):
                # The vendor named a daily cap: the per-second buckets stay open.
                limits = [limit for limit in limits if not limit.rolling]
            if self.limiter is not None and limits:
                self.limiter.block(limits, error.retry_after)
            # Never before the vendor's "retry after"; a little later spreads the workers out.
            return error.retry_after + random.uniform(0, 0.25)  # noqa: S311
        return jittered

    def _record(self, method, path, response, retries, throttled, started, error) -> None:
        if not self.record_calls:
            return
        from connectors.models import ApiCall

        duration = int((time.monotonic() - started) * 1000)
        status = response.status_code if response is not None else None
        message = str(error)[:500] if error is not None else ""
        logger.info(
            "%s %s %s -> %s in %sms (retries %s)%s",
            self.provider,
            method,
            path,
            status,
            duration,
            retries,
            f" error {message}" if message else "",
        )
        ApiCall.objects.create(
            organization_id=self.organization_id,
            connection_id=self.connection_id,
            provider=self.provider,
            context=self.context[:64],
            method=method,
            path_template=path[:255],
            status=status,
            duration_ms=duration,
            retries=max(0, retries),
            throttled=throttled,
            error=message,
        )


def response_json(response: requests.Response) -> Any:
    """A vendor's JSON answer, decoded: every vendor body is read through here, so a rule about
    its text applies in one place. Raises ValueError when the body is not JSON."""
    return response.json()


def _expand(template: str, params: Mapping[str, Any]) -> str:
    if not params:
        return template
    return template.format(**{key: quote(str(value), safe="") for key, value in params.items()})


def retry_after_seconds(headers: Mapping[str, str]) -> float | None:
    """Seconds to wait from `Retry-After`: delta-seconds, an HTTP date, or ISO (Zoom daily)."""
    value = headers.get("Retry-After") or headers.get("retry-after")
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    when: dt.datetime | None
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        when = parse_datetime(value.replace("Z", "+00:00"))
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return max(0.0, (when - timezone.now()).total_seconds())
