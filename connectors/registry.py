"""The providers Meetbridge knows: key → dotted path of the Provider class, imported lazily.

Adding a provider is one package under `connectors/` plus one line here; the contract test in
tests/connectors/test_provider_contract.py then checks it like every other.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

from django.utils.module_loading import import_string

if TYPE_CHECKING:
    from connectors.base import Provider

PROVIDERS: dict[str, str] = {
    "zoom": "connectors.zoom.provider.ZoomProvider",
    "hubspot": "connectors.hubspot.provider.HubSpotProvider",
    "salesforce": "connectors.salesforce.provider.SalesforceProvider",
}


class UnknownProviderError(KeyError):
    pass


def provider_keys() -> list[str]:
    return list(PROVIDERS)


@cache
def provider_get(key: str) -> Provider:
    """The provider instance for `key`; raises UnknownProviderError for anything else."""
    try:
        path = PROVIDERS[key]
    except KeyError:
        raise UnknownProviderError(key) from None
    return import_string(path)()


def provider_choices() -> list[tuple[str, str]]:
    return [(key, provider_get(key).name) for key in PROVIDERS]
