"""The service behind the workflow action: register the enrolled contact for a Zoom webinar.

Called by the view once the signature is verified and the envelope parsed. Order of work:
resolve the portal to one organisation → take the callbackId → check the input and the contact →
read the webinar in the organisation's Zoom account (its host must belong to that account;
registration enabled; not the host or the connected user; no required field beyond first name,
last name and email) → add the registrant → record the outcome, the ledger row and a coalesced
webinar sync (so rollups and the marketing event include it) in one transaction → set the
contact's "Last registered Zoom webinar". Vendor calls use a short-fused client: HubSpot waits
about 20 seconds for an answer (apis.md §2.11, [UNVERIFIED]); longer waits become a 429. Every
call (Zoom's and HubSpot's) is recorded with the context `workflow-action:<callbackId>`.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction

from connectors.errors import ConnectionUnavailableError, ConnectorError, NotFoundError
from connectors.installations import (
    Installation,
    installation_get,
    installations_for_account,
)
from connectors.zoom.client import webinar_is_zoom_events
from sync.models import SyncRun, WorkflowActionExecution, ZoomUser
from sync.webinars.runs import webinar_sync_request
from sync.workflow_action.contact import last_registered_write
from sync.workflow_action.executions import (
    execution_answer_existing,
    execution_claim,
    execution_finish,
    execution_release,
)
from sync.workflow_action.ledger import registration_record
from sync.workflow_action.outcomes import (
    ActionAnswer,
    ActionFailure,
    Reason,
    RetryLater,
    answer_fields,
    answer_retry,
    failure_fields,
    failure_from_connector,
    success_fields,
)
from sync.workflow_action.requests import ActionRequest, InvalidWebinarId, webinar_id_normalise

logger = logging.getLogger(__name__)

#: HttpClient options for calls made while HubSpot waits: one retry, short waits and timeouts.
FAST_CLIENT: dict[str, Any] = {"max_attempts": 2, "max_inline_wait": 3.0, "timeout": (3.0, 8.0)}
_ALWAYS_ASKED = {"email", "first_name"}
_FIELD_LABELS = {"org": "Organization", "no_of_employees": "Number of employees", "zip": "Zip"}
State = WorkflowActionExecution.State


@dataclass(frozen=True)
class Registration:
    webinar_id: str
    webinar: dict[str, Any]
    registrant: dict[str, Any]
    email: str
    first_name: str
    last_name: str

    @property
    def status(self) -> str:
        status = self.registrant.get("status")
        if status in ("approved", "pending"):
            return status
        approval = (self.webinar.get("settings") or {}).get("approval_type")
        return "pending" if approval == 1 else "approved"


def workflow_action_execute(*, request: ActionRequest) -> ActionAnswer:
    """Answer one execution request (see the module docstring); never raises for vendor errors."""
    try:
        hubspot = hubspot_installation_for_portal(request.portal_id)
    except ActionFailure as failure:
        logger.warning("Workflow action %s refused: %s", request.callback_id, failure.message)
        return answer_fields(failure_fields(failure.reason, failure.message))
    organization = hubspot.connection.organization
    row, owned = execution_claim(organization=organization, request=request)
    if not owned:
        return execution_answer_existing(row, organization=organization)
    try:
        registration = _register(row, request, organization)
    except ActionFailure as failure:
        fields = failure_fields(failure.reason, failure.message, webinar_id=row.zoom_webinar_id)
        execution_finish(
            row,
            state=State.FAILED,
            output_fields=fields,
            reason=failure.reason,
            message=failure.message,
        )
        return answer_fields(fields)
    except RetryLater as retry:
        execution_release(row, retry.message)
        return answer_retry(retry)
    except Exception:
        execution_release(row, "internal error; a retry may take it again")
        raise
    _success_record(row, registration)
    row.property_error = last_registered_write(
        hubspot.client(context=action_context(request), **FAST_CLIENT),
        contact_id=request.object_id,
        email=registration.email,
        url=str(registration.webinar.get("join_url") or ""),
    )
    if row.property_error:
        WorkflowActionExecution.objects.filter(pk=row.pk).update(property_error=row.property_error)
    return answer_fields(row.output_fields)


def action_context(request: ActionRequest) -> str:
    """The ApiCall context of one execution: HubSpot's callbackId names it."""
    return f"workflow-action:{request.callback_id}"


def hubspot_installation_for_portal(portal_id: str) -> Installation:
    """The one active HubSpot installation of the portal; ActionFailure when none or several."""
    installations = installations_for_account(
        provider="hubspot", external_account_id=portal_id, limit=2
    )
    if not installations:
        raise ActionFailure(Reason.UNKNOWN_PORTAL)
    if len(installations) > 1:
        raise ActionFailure(
            Reason.UNKNOWN_PORTAL,
            "This HubSpot account is connected to several Meetbridge organisations; keep it "
            "connected to one only",
        )
    return installations[0]


def _register(row, request: ActionRequest, organization) -> Registration:
    try:
        webinar_id = webinar_id_normalise(request.webinar_input)
    except InvalidWebinarId as exc:
        raise ActionFailure(
            Reason.INVALID_WEBINAR_ID,
            f"Invalid webinar ID: {exc}; enter the numeric ID (spaces and dashes are ignored) "
            "or choose a contact property that holds it",
        ) from None
    row.zoom_webinar_id = webinar_id
    email = _contact_email(request)
    if not request.first_name:
        raise ActionFailure(
            Reason.MISSING_NAME, "The contact has no first name; Zoom requires one to register"
        )
    installation = _zoom_installation(organization)
    with _zoom_errors(webinar_id):
        zoom = installation.client(context=action_context(request), **FAST_CLIENT)
        webinar = zoom.webinar_get(webinar_id)
        _same_account(organization, zoom, webinar, webinar_id)
        _registrable(webinar, email, installation)
        _answerable(zoom.webinar_registration_questions(webinar_id), request)
        registrant = zoom.webinar_registrant_add(
            webinar_id, email=email, first_name=request.first_name, last_name=request.last_name
        )
    return Registration(
        webinar_id, webinar, registrant, email, request.first_name, request.last_name
    )


@contextlib.contextmanager
def _zoom_errors(webinar_id: str) -> Iterator[None]:
    try:
        yield
    except ConnectorError as error:
        logger.info("Workflow action: Zoom said %s", error)
        raise failure_from_connector(error, webinar_id=webinar_id) from None


def _contact_email(request: ActionRequest) -> str:
    if not request.email:
        raise ActionFailure(Reason.MISSING_EMAIL)
    try:
        validate_email(request.email)
    except ValidationError:
        raise ActionFailure(Reason.INVALID_EMAIL) from None
    return request.email.lower()


def _zoom_installation(organization) -> Installation:
    try:
        return installation_get(organization_id=organization.pk, provider="zoom")
    except ConnectionUnavailableError as unavailable:
        if unavailable.reason in ("not_connected", "disconnected"):
            raise ActionFailure(Reason.ZOOM_NOT_CONNECTED) from None
        raise ActionFailure(Reason.ZOOM_REAUTH) from None


def _same_account(organization, zoom, webinar: dict, webinar_id: str) -> None:
    """The webinar's host must be a user of the connected Zoom account (known, or asked)."""
    host_id = str(webinar.get("host_id") or "")
    if not host_id:
        return
    known = ZoomUser.objects.filter(organization=organization, zoom_user_id=host_id, active=True)
    if known.exists():
        return
    try:
        zoom.user_get(host_id)
    except NotFoundError:
        raise ActionFailure(Reason.OTHER_ACCOUNT, webinar_id=webinar_id) from None


def _registrable(webinar: dict, email: str, zoom: Installation) -> None:
    if webinar_is_zoom_events(webinar):
        raise ActionFailure(Reason.ZOOM_EVENTS)
    if (webinar.get("settings") or {}).get("approval_type") == 2:  # 2 = no registration
        raise ActionFailure(Reason.REGISTRATION_NOT_ENABLED)
    # Zoom refuses the host (3027); HubSpot's integration also refuses the connected user.
    blocked = {webinar.get("host_email"), zoom.config.get("email")}
    if email in {str(address).lower() for address in blocked if address}:
        raise ActionFailure(Reason.HOST_CANNOT_REGISTER)


def _answerable(questions: dict, request: ActionRequest) -> None:
    """Only first name, last name and email can be given (HubSpot's help: other required
    fields make the registration fail), so say which ones the form requires."""
    required = [
        str(q.get("field_name"))
        for q in questions.get("questions") or []
        if isinstance(q, dict) and q.get("required") and q.get("field_name") not in _ALWAYS_ASKED
    ]
    if "last_name" in required:
        required.remove("last_name")
        if not request.last_name:
            raise ActionFailure(
                Reason.MISSING_NAME,
                "This webinar's registration form requires a last name and the contact has none",
            )
    labels = [_FIELD_LABELS.get(name, name.replace("_", " ").capitalize()) for name in required]
    labels += [
        str(q.get("title"))
        for q in questions.get("custom_questions") or []
        if isinstance(q, dict) and q.get("required")
    ]
    if labels:
        raise ActionFailure(
            Reason.REQUIRED_FIELDS,
            "The webinar's registration form requires fields this action cannot fill ("
            + ", ".join(labels)
            + "); only first name, last name and email are supported: make the others "
            "optional in Zoom",
        )


def _success_record(row: WorkflowActionExecution, registration: Registration) -> None:
    """The outcome, the ledger row and a (coalesced) webinar sync, all or nothing."""
    join_url = str(registration.registrant.get("join_url") or "")[:1000]
    fields = success_fields(
        webinar_id=registration.webinar_id, join_url=join_url, status=registration.status
    )
    with transaction.atomic():
        webinar = registration_record(
            organization=row.organization,
            webinar_id=registration.webinar_id,
            details=registration.webinar,
            email=registration.email,
            first_name=registration.first_name,
            last_name=registration.last_name,
            status=registration.status,
            registrant_id=str(registration.registrant.get("registrant_id") or ""),
            join_url=join_url,
        )
        execution_finish(
            row,
            state=State.SUCCEEDED,
            output_fields=fields,
            webinar=webinar,
            reason=Reason.NONE,
            message=f"Registered ({registration.status})",
            registration_status=registration.status,
            zoom_registrant_id=str(registration.registrant.get("registrant_id") or "")[:64],
            join_url=join_url,
        )
        webinar_sync_request(webinar=webinar, trigger=SyncRun.Trigger.WORKFLOW)
