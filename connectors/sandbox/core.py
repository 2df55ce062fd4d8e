"""The sandbox's small HTTP model, routing, fault injection and rate limits.

Vendor fakes subclass `VendorFake`, declare routes with `@route(METHOD, "/path/{param}")`, keep
their state in plain dicts, raise `SandboxError` for vendor errors (each vendor renders it in its
own error body), and never touch the Django database: the sandbox is the vendor, not us.
"""

from __future__ import annotations

import base64
import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar
from urllib.parse import parse_qs


class SandboxError(Exception):
    """A vendor error: `status`, a vendor `code`, a human `message`, extra body fields."""

    def __init__(self, status: int, code: str | int, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.extra = extra


@dataclass
class SandboxRequest:
    method: str
    path: str  # below the vendor prefix, e.g. "/v2/users/me"
    query: dict[str, list[str]] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)  # lower-cased names
    body: bytes = b""
    root_url: str = ""  # absolute URL of the vendor prefix, e.g. "http://127.0.0.1:8100/zoom"

    def arg(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[-1] if values else default

    def int_arg(self, name: str, default: int, *, minimum: int = 1, maximum: int = 10**9) -> int:
        raw = self.arg(name)
        if raw is None:
            return default
        try:
            value = int(raw)
        except ValueError:
            raise SandboxError(400, "invalid_parameter", f"{name} must be an integer") from None
        return max(minimum, min(maximum, value))

    def header(self, name: str, default: str | None = None) -> str | None:
        return self.headers.get(name.lower(), default)

    def json(self) -> Any:
        if not self.body:
            raise SandboxError(400, "invalid_json", "request body is empty")
        try:
            return json.loads(self.body)
        except (ValueError, UnicodeDecodeError):
            raise SandboxError(400, "invalid_json", "request body is not valid JSON") from None

    def form(self) -> dict[str, str]:
        parsed = parse_qs(self.body.decode("utf-8", "replace"), keep_blank_values=True)
        return {key: values[-1] for key, values in parsed.items()}

    def bearer(self) -> str | None:
        value = self.header("authorization", "")
        if value.lower().startswith("bearer "):
            return value[7:].strip()
        return None

    def basic_auth(self) -> tuple[str, str] | None:
        value = self.header("authorization", "")
        if not value.lower().startswith("basic "):
            return None
        try:
            user, _, password = base64.b64decode(value[6:].strip()).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            return None
        return user, password


@dataclass
class SandboxResponse:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)

    def json(self) -> Any:
        return json.loads(self.body)


def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None):
    return SandboxResponse(
        status,
        json.dumps(data, separators=(",", ":")).encode(),
        {"Content-Type": "application/json;charset=utf-8", **(headers or {})},
    )


def html_response(html: str, status: int = 200) -> SandboxResponse:
    return SandboxResponse(status, html.encode(), {"Content-Type": "text/html; charset=utf-8"})


def redirect_response(location: str) -> SandboxResponse:
    return SandboxResponse(302, b"", {"Location": location})


def empty_response(status: int = 204) -> SandboxResponse:
    return SandboxResponse(status, b"", {})


def route(method: str, template: str) -> Callable:
    """Mark a VendorFake method as the handler of `METHOD /template/{param}`."""

    def decorate(func: Callable) -> Callable:
        func.sandbox_routes = [*getattr(func, "sandbox_routes", []), (method.upper(), template)]
        return func

    return decorate


@dataclass
class _Route:
    method: str
    template: str
    pattern: re.Pattern
    handler_name: str


def _compile(template: str) -> re.Pattern:
    # {name} matches one path segment; {name:path} matches the rest (Zoom UUIDs may contain /).
    def replace(match: re.Match) -> str:
        name, _, kind = match.group(1).partition(":")
        return f"(?P<{name}>.+)" if kind == "path" else f"(?P<{name}>[^/]+)"

    return re.compile("^" + re.sub(r"\{([^}]+)\}", replace, template) + "/?$")


@dataclass
class Fault:
    """An injected failure: the next `times` matching requests get this response instead."""

    status: int
    method: str = "*"
    path: str = ".*"  # regex searched in the path below the vendor prefix
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    times: int = 1


@dataclass
class RateRule:
    """At most `limit` requests per `window` seconds for paths matching `path` (rolling)."""

    limit: int
    window: float
    path: str = ".*"
    hits: list[float] = field(default_factory=list)


class VendorFake:
    """Base class of a vendor fake. Subclasses set `key` and implement the vendor-shaped parts."""

    key: ClassVar[str]
    _routes: ClassVar[list[_Route]]

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        routes = []
        for name in dir(cls):
            for method, template in getattr(getattr(cls, name, None), "sandbox_routes", []):
                routes.append(_Route(method, template, _compile(template), name))
        # Literal paths win over parameterised ones ("/users/me" before "/users/{id}").
        routes.sort(key=lambda r: (r.template.count("{"), -len(r.template)))
        cls._routes = routes

    def __init__(self, *, clock: Callable[[], float] = time.time) -> None:
        self.clock = clock
        self.lock = threading.RLock()
        self.faults: list[Fault] = []
        self.rate_rules: dict[str, RateRule] = {}
        self.latency_ms = 0
        self.request_log: list[tuple[str, str]] = []
        self.reset()

    # --- to implement per vendor -------------------------------------------------------------
    def reset(self) -> None:
        """Forget all state (accounts, objects, tokens)."""
        raise NotImplementedError

    def seed(self, **sizes: int) -> dict:
        """Fill the fake with realistic data; returns a summary of what was created."""
        raise NotImplementedError

    def summary(self) -> dict:
        """Counts of what the fake holds, for the control API and the demo page."""
        raise NotImplementedError

    def error_response(self, error: SandboxError) -> SandboxResponse:
        """Render an error the way this vendor does."""
        raise NotImplementedError

    def rate_limited_response(self, retry_after: float, rule_name: str) -> SandboxResponse:
        """Render a 429 the way this vendor does, with its headers."""
        raise NotImplementedError

    # --- dispatch --------------------------------------------------------------------------------
    def handle(self, request: SandboxRequest) -> SandboxResponse:
        if self.latency_ms:
            time.sleep(self.latency_ms / 1000)
        with self.lock:
            self.request_log.append((request.method, request.path))
            injected = self._take_fault(request)
            if injected is not None:
                return injected
            limited = self._check_rate(request)
            if limited is not None:
                return limited
            handler, params = self._match(request)
            try:
                if handler is None:
                    raise SandboxError(
                        404, "not_found", f"No route for {request.method} {request.path}"
                    )
                return handler(request, **params)
            except SandboxError as error:
                return self.error_response(error)

    def _match(self, request: SandboxRequest) -> tuple[Callable | None, dict[str, str]]:
        allowed = False
        for candidate in self._routes:
            found = candidate.pattern.match(request.path)
            if not found:
                continue
            if candidate.method != request.method:
                allowed = True
                continue
            return getattr(self, candidate.handler_name), found.groupdict()
        if allowed:
            raise SandboxError(405, "method_not_allowed", f"{request.method} not allowed here")
        return None, {}

    def _take_fault(self, request: SandboxRequest) -> SandboxResponse | None:
        for fault in self.faults:
            if fault.times <= 0:
                continue
            if fault.method not in ("*", request.method) or not re.search(fault.path, request.path):
                continue
            fault.times -= 1
            if fault.body is None:
                return self.error_response(SandboxError(fault.status, "injected", "Injected fault"))
            response = json_response(fault.body, fault.status, fault.headers)
            return response
        return None

    def _check_rate(self, request: SandboxRequest) -> SandboxResponse | None:
        now = self.clock()
        for name, rule in self.rate_rules.items():
            if not re.search(rule.path, request.path):
                continue
            rule.hits = [hit for hit in rule.hits if hit > now - rule.window]
            if len(rule.hits) >= rule.limit:
                retry_after = max(0.0, rule.hits[0] + rule.window - now)
                return self.rate_limited_response(retry_after, name)
            rule.hits.append(now)
        return None

    # --- controls --------------------------------------------------------------------------------
    def fault_add(self, fault: Fault) -> None:
        with self.lock:
            self.faults.append(fault)

    def rate_limit_set(self, name: str, *, limit: int, window: float, path: str = ".*") -> None:
        with self.lock:
            self.rate_rules[name] = RateRule(limit=limit, window=window, path=path)

    def controls_clear(self) -> None:
        with self.lock:
            self.faults.clear()
            self.rate_rules.clear()
            self.latency_ms = 0


class Sandbox:
    """All vendor fakes behind one URL space: `/<vendor key>/...` plus `/_sandbox/...` controls."""

    def __init__(self, fakes: dict[str, VendorFake]) -> None:
        self.fakes = fakes

    @classmethod
    def from_registry(cls, **kwargs) -> Sandbox:
        from connectors.registry import provider_get, provider_keys

        return cls({key: provider_get(key).sandbox_class(**kwargs) for key in provider_keys()})

    def handle(
        self,
        *,
        method: str,
        path: str,
        query_string: str = "",
        headers: dict[str, str] | None = None,
        body: bytes = b"",
        host_url: str = "",
    ) -> SandboxResponse:
        """Dispatch one HTTP request; `path` is the full path, `host_url` scheme://host:port."""
        vendor, _, rest = path.lstrip("/").partition("/")
        if vendor == "_sandbox":
            from connectors.sandbox.control import control_handle

            return control_handle(self, method, "/" + rest, body, host_url)
        fake = self.fakes.get(vendor)
        if fake is None:
            return json_response({"error": f"unknown sandbox vendor {vendor!r}"}, 404)
        request = SandboxRequest(
            method=method.upper(),
            path="/" + rest,
            query=parse_qs(query_string, keep_blank_values=True),
            headers={k.lower(): v for k, v in (headers or {}).items()},
            body=body or b"",
            root_url=f"{host_url}/{vendor}",
        )
        return fake.handle(request)
