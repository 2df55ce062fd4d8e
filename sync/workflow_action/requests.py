"""Reading HubSpot's custom-action execution request (apis.md §2.11) and the webinar ID in it.

Execution request: {"callbackId": "ap-…", "origin": {"portalId": …, "actionDefinitionId": …},
"context": {"source": "WORKFLOWS", "workflowId": …}, "object": {"objectId": 614,
"objectType": "CONTACT", "properties": {email, firstname, lastname}}, "inputFields":
{"webinar_id": …}}. Only the envelope (callbackId, portalId) is required to answer at all; what
the contact or the input lacks becomes a recorded FAIL_CONTINUE, not a 400.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

#: The action's input field (see `definition`), and the contact properties it asks for.
INPUT_WEBINAR_ID = "webinar_id"
CONTACT_PROPERTIES = ("email", "firstname", "lastname")

_CALLBACK_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
_PORTAL_ID = re.compile(r"[0-9]{1,20}")
_OBJECT_ID = re.compile(r"[0-9]{1,32}")
# People type IDs the way Zoom shows them ("812 3456 7890", "812-3456-7890"): spaces of any kind
# and dashes of any kind go; what is left must be ASCII digits (HubSpot's help: "without spaces
# or dashes"). Zoom webinar IDs are 9 to 11 digits today; a little headroom for longer ones.
_SEPARATORS = re.compile(
    r"[\s\u00a0\u2000-\u200b\u202f\u205f\u3000"  # spaces, incl. no-break and zero-width
    r"\-\u2010-\u2015\u2212\ufe63\uff0d]"  # hyphen-minus, hyphens, dashes, minus signs
)
_WEBINAR_ID = re.compile(r"[0-9]{9,15}")


class MalformedActionRequest(ValueError):
    """The (authentic) body is not an execution request we can answer; the view says 400."""


class InvalidWebinarId(ValueError):
    """The input is not a Zoom webinar ID once spaces and dashes are removed."""


@dataclass(frozen=True)
class ActionRequest:
    callback_id: str
    portal_id: str
    workflow_id: str
    object_id: str
    email: str
    first_name: str
    last_name: str
    webinar_input: Any  # as sent: a string, a number, or anything else a bad request holds


def action_request_parse(raw_body: bytes) -> ActionRequest:
    """The execution request in `raw_body`; raises MalformedActionRequest."""
    try:
        body = json.loads(raw_body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise MalformedActionRequest("body is not JSON") from None
    if not isinstance(body, dict):
        raise MalformedActionRequest("body is not a JSON object")
    callback_id = body.get("callbackId")
    if not isinstance(callback_id, str) or not _CALLBACK_ID.fullmatch(callback_id):
        raise MalformedActionRequest("callbackId is missing or malformed")
    origin = _object(body.get("origin"))
    portal_id = _scalar(origin.get("portalId"))
    if not _PORTAL_ID.fullmatch(portal_id):
        raise MalformedActionRequest("origin.portalId is missing or malformed")
    enrolled = _object(body.get("object"))
    properties = _object(enrolled.get("properties"))
    object_id = _scalar(enrolled.get("objectId"))
    inputs = _object(body.get("inputFields"))
    return ActionRequest(
        callback_id=callback_id,
        portal_id=portal_id,
        workflow_id=_scalar(_object(body.get("context")).get("workflowId"))[:32],
        object_id=object_id if _OBJECT_ID.fullmatch(object_id) else "",
        email=_scalar(properties.get("email")).strip()[:254],
        first_name=_scalar(properties.get("firstname")).strip()[:200],
        last_name=_scalar(properties.get("lastname")).strip()[:200],
        webinar_input=inputs.get(INPUT_WEBINAR_ID),
    )


def webinar_id_normalise(value: Any) -> str:
    """A Zoom webinar ID from what the workflow sent: a static value or a property's value.

    "812 3456 7890", "812-3456-7890" and 81234567890 all give "81234567890". Raises
    InvalidWebinarId for anything that is not digits after removing spaces and dashes.
    """
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise InvalidWebinarId("no webinar ID was given")
    text = _SEPARATORS.sub("", str(value))
    if not text:
        raise InvalidWebinarId("no webinar ID was given")
    if not _WEBINAR_ID.fullmatch(text):
        raise InvalidWebinarId(f"“{webinar_input_display(value)}” is not a Zoom webinar ID")
    return text


def webinar_input_display(value: Any) -> str:
    """The input as text for messages and the audit (bounded, printable)."""
    if value is None:
        return ""
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    text = "".join(ch if ch.isprintable() else "?" for ch in text)
    return text[:80] + ("…" if len(text) > 80 else "")


def _object(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _scalar(value: Any) -> str:
    """Strings and numbers as text; anything else (objects, lists, null, booleans) as ""."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return ""
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 2**53 else ""
    return str(value)
