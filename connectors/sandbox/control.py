"""The sandbox control API under `/_sandbox/`: reset, seed, inspect, inject faults and limits.

GET  /_sandbox/                      a small HTML page with each vendor's state
GET  /_sandbox/state                 JSON summary of every vendor
POST /_sandbox/reset                 {"vendor": "zoom"} or {} for all
POST /_sandbox/seed                  {"vendor": "hubspot", "contacts": 500, ...}
POST /_sandbox/faults                {"vendor", "status", "method", "path", "body", "times"}
POST /_sandbox/latency               {"vendor", "ms"}
POST /_sandbox/rate-limits           {"vendor", "name", "limit", "window", "path"}
POST /_sandbox/clear-controls        {"vendor"} or {}: faults, latency and limits off
"""

from __future__ import annotations

import html
import json
from typing import TYPE_CHECKING

from connectors.sandbox.core import Fault, SandboxResponse, html_response, json_response

if TYPE_CHECKING:
    from connectors.sandbox.core import Sandbox


def control_handle(
    sandbox: Sandbox, method: str, path: str, body: bytes, host_url: str
) -> SandboxResponse:
    path = path.rstrip("/") or "/"
    try:
        payload = json.loads(body) if body else {}
    except ValueError:
        return json_response({"error": "body must be JSON"}, 400)
    if not isinstance(payload, dict):
        return json_response({"error": "body must be a JSON object"}, 400)
    if method == "GET" and path == "/":
        return _index(sandbox, host_url)
    if method == "GET" and path == "/state":
        return json_response(_state(sandbox))
    if method != "POST":
        return json_response({"error": f"unknown control {method} {path}"}, 404)
    try:
        fakes = _targets(sandbox, payload.pop("vendor", None))
    except KeyError as exc:
        return json_response({"error": f"unknown vendor {exc.args[0]!r}"}, 400)
    try:
        return _post(path, fakes, payload, sandbox)
    except (TypeError, ValueError) as exc:
        return json_response({"error": str(exc)}, 400)


def _post(path, fakes, payload, sandbox) -> SandboxResponse:
    if path == "/reset":
        for fake in fakes:
            with fake.lock:
                fake.reset()
        return json_response(_state(sandbox))
    if path == "/seed":
        sizes = {key: int(value) for key, value in payload.items()}
        return json_response({fake.key: _seed(fake, sizes) for fake in fakes})
    if path == "/faults":
        for fake in fakes:
            fake.fault_add(Fault(**payload))
        return json_response({"ok": True})
    if path == "/latency":
        for fake in fakes:
            fake.latency_ms = int(payload.get("ms", 0))
        return json_response({"ok": True})
    if path == "/rate-limits":
        for fake in fakes:
            fake.rate_limit_set(
                str(payload["name"]),
                limit=int(payload["limit"]),
                window=float(payload["window"]),
                path=str(payload.get("path", ".*")),
            )
        return json_response({"ok": True})
    if path == "/clear-controls":
        for fake in fakes:
            fake.controls_clear()
        return json_response({"ok": True})
    return json_response({"error": f"unknown control POST {path}"}, 404)


def _seed(fake, sizes: dict) -> dict:
    with fake.lock:
        return fake.seed(**sizes)


def _targets(sandbox: Sandbox, vendor: str | None) -> list:
    if vendor is None:
        return list(sandbox.fakes.values())
    return [sandbox.fakes[vendor]]


def _state(sandbox: Sandbox) -> dict:
    state = {}
    for key, fake in sandbox.fakes.items():
        with fake.lock:
            state[key] = {
                "summary": fake.summary(),
                "faults": len([f for f in fake.faults if f.times > 0]),
                "rate_limits": {n: [r.limit, r.window] for n, r in fake.rate_rules.items()},
                "latency_ms": fake.latency_ms,
                "requests": len(fake.request_log),
            }
    return state


def _index(sandbox: Sandbox, host_url: str) -> SandboxResponse:
    rows = "".join(
        f"<h2>{html.escape(key)}</h2><p>API root: <code>{html.escape(host_url)}/{key}</code></p>"
        f"<pre>{html.escape(json.dumps(value, indent=2))}</pre>"
        for key, value in _state(sandbox).items()
    )
    return html_response(
        "<!doctype html><title>Meetbridge sandbox</title><h1>Meetbridge sandbox</h1>"
        "<p>Stateful fakes of the Zoom, HubSpot and Salesforce APIs. Control API: "
        "POST /_sandbox/reset, /seed, /faults, /latency, /rate-limits, /clear-controls.</p>" + rows
    )
