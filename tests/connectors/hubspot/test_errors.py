"""HubSpot's error answers in the exception family: a 403 is a missing permission, typed."""

from __future__ import annotations

import pytest
import requests

from connectors.errors import MissingScopeError, PermanentError
from connectors.registry import provider_get

MISSING_SCOPES_BODY = {
    "status": "error",
    "message": "This app hasn't been granted all required scopes to make this call. Read more "
    "about required scopes here: https://developers.hubspot.com/scopes.",
    "correlationId": "a5b0f0c2-0000-4000-8000-000000000000",
    "errors": [
        {
            "message": "One or more of the following scopes are required.",
            "context": {"requiredGranularScopes": ["crm.objects.contacts.read"]},
        }
    ],
    "category": "MISSING_SCOPES",
}


def _response(status: int, *, json=None, text: str = "") -> requests.Response:
    import json as jsonlib

    response = requests.Response()
    response.status_code = status
    response.reason = "Forbidden"
    response._content = (jsonlib.dumps(json) if json is not None else text).encode()
    return response


def test_a_403_naming_scopes_is_a_missing_scope_error_with_them():
    error = provider_get("hubspot").error_from_response(_response(403, json=MISSING_SCOPES_BODY))
    assert isinstance(error, MissingScopeError) and isinstance(error, PermanentError)
    assert (error.status, error.code, error.scopes) == (
        403,
        "MISSING_SCOPES",
        ("crm.objects.contacts.read",),
    )
    assert error.message.startswith("This app hasn't been granted all required scopes")


def test_a_403_naming_no_scope_is_still_a_missing_permission():
    error = provider_get("hubspot").error_from_response(_response(403, text="<html>no</html>"))
    assert isinstance(error, MissingScopeError)
    assert error.scopes == ()


def test_other_refusals_stay_plain_permanent_errors():
    body = {
        "status": "error",
        "message": "Property values were not valid",
        "category": "VALIDATION_ERROR",
    }
    error = provider_get("hubspot").error_from_response(_response(400, json=body))
    assert type(error) is PermanentError


@pytest.mark.django_db
def test_the_sandbox_403_names_the_scope_the_call_needs(fake, settings):
    from tests.connectors.hubspot.conftest import client_for

    limited = client_for(fake, settings, scopes=["oauth"])
    with pytest.raises(MissingScopeError) as caught:
        limited.contact_get(email="a@acme.example")
    assert caught.value.scopes and all("contacts" in scope for scope in caught.value.scopes)
