"""Putting the sandbox behind `responses`, so tests run the real clients against the fakes."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import responses

from connectors.sandbox.core import Sandbox

_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


def sandbox_mount(mock: responses.RequestsMock, sandbox: Sandbox, base_url: str) -> None:
    """Route every request under `base_url` (e.g. http://127.0.0.1:8100) to the sandbox."""
    base = base_url.rstrip("/")
    pattern = re.compile(re.escape(base) + r"(/.*)?$")

    def callback(prepared):
        parts = urlsplit(prepared.url)
        body = prepared.body or b""
        if isinstance(body, str):
            body = body.encode()
        response = sandbox.handle(
            method=prepared.method,
            path=parts.path,
            query_string=parts.query,
            headers=dict(prepared.headers),
            body=body,
            host_url=f"{parts.scheme}://{parts.netloc}",
        )
        return response.status, response.headers, response.body

    for method in _METHODS:
        mock.add_callback(method, pattern, callback=callback)
