"""The action definition HubSpot is given (apis.md §2.11, `PublicActionDefinitionEgg`).

Register it with `POST /automation/v4/actions/{appId}` (developer API key), or paste it into a
project's `*-hsmeta.json`; `manage.py hubspot_action_definition` prints it for this deployment.
`executionRules` make HubSpot show our reason in the workflow history for each error code.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.urls import reverse

from sync.workflow_action.outcomes import (
    MESSAGES,
    OUT_ERROR,
    OUT_ERROR_CODE,
    OUT_JOIN_URL,
    OUT_REGISTRATION_STATUS,
    OUT_WEBINAR_ID,
    Reason,
)
from sync.workflow_action.requests import CONTACT_PROPERTIES, INPUT_WEBINAR_ID

OUTPUT_LABELS = {
    OUT_WEBINAR_ID: "Zoom webinar ID",
    OUT_JOIN_URL: "Zoom join URL",
    OUT_REGISTRATION_STATUS: "Zoom registration status",
    OUT_ERROR: "Meetbridge error",
    OUT_ERROR_CODE: "Meetbridge error code",
}
# Reasons whose message depends on the request get a generic rule text.
_RULE_TEXTS = {
    Reason.INVALID_WEBINAR_ID: "The webinar ID is not a Zoom webinar ID: {{meetbridge_error}}",
    Reason.MISSING_NAME: "{{meetbridge_error}}",
    Reason.REQUIRED_FIELDS: "{{meetbridge_error}}",
    Reason.ZOOM_REFUSED: "{{meetbridge_error}}",
    Reason.WEBINAR_NOT_FOUND: "The webinar was not found in the connected Zoom account",
    Reason.OTHER_ACCOUNT: "The webinar belongs to another Zoom account",
}


def action_url() -> str:
    return settings.PUBLIC_BASE_URL + reverse("hubspot-action-add-to-webinar")


def action_definition() -> dict[str, Any]:
    """The JSON definition of "Add contact to Zoom webinar" for this deployment."""
    rules = {
        str(reason): _RULE_TEXTS.get(reason) or MESSAGES[reason]
        for reason in Reason
        if reason != Reason.NONE
    }
    return {
        "actionUrl": action_url(),
        "published": True,
        "objectTypes": ["CONTACT"],
        "objectRequestOptions": {"properties": list(CONTACT_PROPERTIES)},
        "inputFields": [
            {
                "typeDefinition": {"name": INPUT_WEBINAR_ID, "type": "string", "fieldType": "text"},
                "supportedValueTypes": ["STATIC_VALUE", "OBJECT_PROPERTY"],
                "isRequired": True,
            }
        ],
        "outputFields": [
            {"typeDefinition": {"name": name, "type": "string", "fieldType": "text"}}
            for name in OUTPUT_LABELS
        ],
        "executionRules": [
            {"labelName": f"error_{code}", "conditions": {OUT_ERROR_CODE: code}} for code in rules
        ],
        "labels": {
            "en": {
                "appDisplayName": "Meetbridge",
                "actionName": "Add contact to Zoom webinar",
                "actionDescription": (
                    "Register the enrolled contact for a Zoom webinar of the connected Zoom "
                    "account, with their first name, last name and email. Sets the contact's "
                    "“Last registered Zoom webinar” to the webinar's join URL."
                ),
                "actionCardContent": "Register for Zoom webinar {{" + INPUT_WEBINAR_ID + "}}",
                "inputFieldLabels": {INPUT_WEBINAR_ID: "Zoom webinar ID"},
                "inputFieldDescriptions": {
                    INPUT_WEBINAR_ID: (
                        "The webinar's numeric ID (spaces and dashes are ignored), or a contact "
                        "property that holds it. Registration must be enabled for the webinar, "
                        "and its form may require only first name, last name and email."
                    )
                },
                "outputFieldLabels": OUTPUT_LABELS,
                "executionRules": {f"error_{code}": text for code, text in rules.items()},
            }
        },
        "functions": [],
    }
