"""Taking each callbackId once.

HubSpot may deliver one execution more than once (its retries after a timeout or a 429, or two
deliveries racing). The unique `callback_id` row decides who works on it:

- the first delivery inserts the row (state processing) and does the work;
- a delivery for a finished row gets the stored answer, nothing is called again;
- a row answered with 429 (state retry) is taken again by HubSpot's retry, and so is a row whose
  worker vanished mid-way (processing for longer than LEASE); the take is one conditional UPDATE,
  so of two racing retries only one wins;
- a delivery while another is working waits up to DUPLICATE_WAIT seconds for its outcome, then
  asks HubSpot to come back (429) rather than registering a second time.
"""

from __future__ import annotations

import datetime as dt
import time

from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from accounts.models import Organization
from sync.models import WorkflowActionExecution
from sync.workflow_action.outcomes import (
    ActionAnswer,
    RetryLater,
    answer_fields,
    answer_retry,
    failure_fields,
)
from sync.workflow_action.requests import ActionRequest, webinar_input_display

Execution = WorkflowActionExecution
#: A claim older than this is presumed dead (HubSpot gives up on a request after ~20 s).
LEASE = dt.timedelta(minutes=2)
DUPLICATE_WAIT = 3.0
DUPLICATE_POLL = 0.2
IN_FLIGHT_RETRY_AFTER = 5


def execution_claim(
    *, organization: Organization, request: ActionRequest
) -> tuple[WorkflowActionExecution, bool]:
    """The execution row for the request's callbackId and whether this delivery owns it now."""
    now = timezone.now()
    try:
        with transaction.atomic():
            row = Execution.objects.create(
                organization=organization,
                callback_id=request.callback_id,
                portal_id=request.portal_id,
                workflow_id=request.workflow_id,
                hubspot_object_id=request.object_id,
                email=request.email,
                webinar_input=webinar_input_display(request.webinar_input)[:200],
                claimed_at=now,
            )
        return row, True
    except IntegrityError:
        pass
    row = Execution.objects.get(callback_id=request.callback_id)
    if row.organization_id != organization.pk or row.is_final:
        return row, False
    retakeable = Q(state=Execution.State.RETRY) | Q(
        state=Execution.State.PROCESSING, claimed_at__lt=now - LEASE
    )
    taken = (
        Execution.objects.filter(pk=row.pk)
        .filter(retakeable)
        .update(state=Execution.State.PROCESSING, claimed_at=now, attempts=F("attempts") + 1)
    )
    row.refresh_from_db()
    return row, bool(taken)


def execution_answer_existing(
    row: WorkflowActionExecution, *, organization: Organization
) -> ActionAnswer:
    """The answer for a delivery that does not own the execution (a replay or a duplicate)."""
    if row.organization_id != organization.pk:
        # HubSpot's callbackIds are unique; never hand one organisation's outcome to another.
        reason = Execution.Reason.CALLBACK_CONFLICT
        return answer_fields(failure_fields(reason, Execution.Reason.CALLBACK_CONFLICT.label))
    deadline = time.monotonic() + DUPLICATE_WAIT
    while not row.is_final and time.monotonic() < deadline:
        time.sleep(DUPLICATE_POLL)
        row.refresh_from_db()
    if not row.is_final:
        return answer_retry(
            RetryLater(IN_FLIGHT_RETRY_AFTER, "This execution is being processed; retry later")
        )
    Execution.objects.filter(pk=row.pk).update(replays=F("replays") + 1)
    return answer_fields(row.output_fields)


def execution_finish(
    row: WorkflowActionExecution, *, state: str, output_fields: dict, **fields
) -> None:
    """Record the outcome (and anything else learnt) on the row; saves it."""
    row.state = state
    row.output_fields = output_fields
    row.completed_at = timezone.now()
    for name, value in fields.items():
        setattr(row, name, value)
    row.save()


def execution_release(row: WorkflowActionExecution, message: str) -> None:
    """Hand the execution back for HubSpot's retry (after a 429, or a crash of ours)."""
    Execution.objects.filter(pk=row.pk, state=Execution.State.PROCESSING).update(
        state=Execution.State.RETRY, message=message[:2000]
    )
