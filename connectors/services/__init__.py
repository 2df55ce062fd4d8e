"""Connection lifecycle services: connect, use (fresh tokens), refresh, test, disconnect.

Vendor-neutral: everything vendor-specific is asked of the provider descriptor. Views, admin,
tasks and the feature apps import from here.
"""

from connectors.services.connect import (
    ConnectCancelledError,
    ConnectFlowError,
    connection_connect_complete,
    connection_connect_start,
)
from connectors.services.lifecycle import (
    ConnectionCheck,
    connection_disconnect,
    connection_test,
    revocation_attempt,
    revocations_retry,
)
from connectors.services.tokens import (
    REFRESH_MARGIN,
    ConnectionTokenSource,
    connection_access_token,
    connection_client,
    connection_http,
    connection_mark_needs_reauth,
    connection_token_refresh,
)

__all__ = [
    "REFRESH_MARGIN",
    "ConnectCancelledError",
    "ConnectFlowError",
    "ConnectionCheck",
    "ConnectionTokenSource",
    "connection_access_token",
    "connection_client",
    "connection_connect_complete",
    "connection_connect_start",
    "connection_disconnect",
    "connection_http",
    "connection_mark_needs_reauth",
    "connection_test",
    "connection_token_refresh",
    "revocation_attempt",
    "revocations_retry",
]
