"""Serving the sandbox over HTTP (demo, benchmarks, the vendors' own SDKs)."""

from __future__ import annotations

from socketserver import ThreadingMixIn
from urllib.parse import urlsplit
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from connectors.sandbox.core import Sandbox

_REASONS = {
    200: "OK",
    201: "Created",
    204: "No Content",
    207: "Multi-Status",
    302: "Found",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    409: "Conflict",
    415: "Unsupported Media Type",
    422: "Unprocessable Entity",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
}


def wsgi_app(sandbox: Sandbox):
    def application(environ, start_response):
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        headers = {
            key[5:].replace("_", "-").title(): value
            for key, value in environ.items()
            if key.startswith("HTTP_")
        }
        if environ.get("CONTENT_TYPE"):
            headers["Content-Type"] = environ["CONTENT_TYPE"]
        host_url = f"{environ['wsgi.url_scheme']}://{environ.get('HTTP_HOST', 'localhost')}"
        response = sandbox.handle(
            method=environ["REQUEST_METHOD"],
            # The raw path: wsgiref decodes PATH_INFO once, which would undo a double-encoded
            # Zoom UUID ("%252F...") before the fake sees it.
            path=environ.get("RAW_PATH_INFO") or environ.get("PATH_INFO", "/"),
            query_string=environ.get("QUERY_STRING", ""),
            headers=headers,
            body=body,
            host_url=host_url,
        )
        reason = _REASONS.get(response.status, "Unknown")
        start_response(f"{response.status} {reason}", list(response.headers.items()))
        return [response.body]

    return application


class _ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True
    allow_reuse_address = True


class _RawPathHandler(WSGIRequestHandler):
    def get_environ(self):
        environ = super().get_environ()
        environ["RAW_PATH_INFO"] = urlsplit(self.path).path
        return environ


class _QuietHandler(_RawPathHandler):
    def log_message(self, format, *args):
        pass


def serve(sandbox: Sandbox, *, host: str = "127.0.0.1", port: int = 8100, quiet: bool = True):
    """Build the server (call `.serve_forever()` on it)."""
    handler = _QuietHandler if quiet else _RawPathHandler
    return make_server(
        host, port, wsgi_app(sandbox), server_class=_ThreadingWSGIServer, handler_class=handler
    )
