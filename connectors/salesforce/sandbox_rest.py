"""What every REST route of the Salesforce sandbox shares: the session check, the daily API
allocation and the `Sforce-Limit-Info` header (apis.md §4.7-4.8).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from connectors.sandbox.core import SandboxError, SandboxRequest, SandboxResponse, route

if TYPE_CHECKING:
    from connectors.salesforce.sandbox import SalesforceSandbox

API_PREFIX = "/instance/services/data/{version}"
_VERSION = re.compile(r"^v(\d+)\.0$")
OLDEST_VERSION = 31
NEWEST_VERSION = 66  # Spring '26 (apis.md §4.2)


def api_version_check(version: str) -> None:
    """404 NOT_FOUND for anything but a supported `vNN.0` (what Salesforce answers)."""
    match = _VERSION.match(version)
    if not match or not OLDEST_VERSION <= int(match.group(1)) <= NEWEST_VERSION:
        raise SandboxError(404, "NOT_FOUND", "The requested resource does not exist")


def version_label(number: int) -> str:
    """Release name of API version `number`: v62.0 was Winter '25, then Spring, Summer, ..."""
    season = ("Winter", "Spring", "Summer")[(number - 62) % 3]
    return f"{season} '{25 + (number - 62) // 3}"


def rest_route(method: str, template: str) -> Callable:
    """A route below `/instance/services/data/{version}` that behaves like the REST API.

    The wrapped handler receives `version` and `grant` keyword arguments. Before it runs: the
    version is checked (404), the bearer session is checked (401 INVALID_SESSION_ID), and one
    request is taken from the org's daily allocation (403 REQUEST_LIMIT_EXCEEDED when none is
    left). Every answer, errors included, carries `Sforce-Limit-Info: api-usage=N/MAX`.
    """

    def decorate(handler: Callable[..., SandboxResponse]) -> Callable:
        @functools.wraps(handler)
        def wrapper(
            self: SalesforceSandbox, request: SandboxRequest, version: str, **params: Any
        ) -> SandboxResponse:
            try:
                api_version_check(version)
                grant = self.session_authenticate(request)
                self.api_request_take()
                response = handler(self, request, version=version, grant=grant, **params)
            except SandboxError as error:
                error.extra.setdefault("headers", {}).update(self.limit_info_header())
                raise
            response.headers.update(self.limit_info_header())
            return response

        wrapper.sandbox_routes = []  # type: ignore[attr-defined]
        return route(method, API_PREFIX + template)(wrapper)

    return decorate


class RecordError(Exception):
    """Why one record cannot be saved: the `errors` entries of a SaveResult."""

    def __init__(self, errors: list[dict[str, Any]]) -> None:
        super().__init__("; ".join(e["message"] for e in errors))
        self.errors = errors

    @classmethod
    def one(cls, status_code: str, message: str, fields: list[str] | None = None) -> RecordError:
        return cls([{"statusCode": status_code, "message": message, "fields": fields or []}])

    def sandbox_error(self, status: int = 400) -> SandboxError:
        """The single-record REST form: HTTP 400 with every error in the array body."""
        first = self.errors[0]
        return SandboxError(status, first["statusCode"], first["message"], errors=self.errors)
