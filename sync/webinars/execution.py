"""Executing one webinar sync run: Zoom → ledger → HubSpot, with an audit of every decision.

Delivery is at least once: a run is claimed before it starts, a claim older than the worker
timeout is taken over, and every effect is idempotent (ledger upserts, upserts by email,
hash-skipped writes), so a run that dies halfway and is run again converges.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from connectors.errors import ConnectorError, PermanentError, ReauthRequiredError, TransientError
from connectors.models import ApiCall, Connection, ConnectionStatus
from connectors.services import connection_client
from jobs.claims import claim_expires_at, run_claim
from sync.models import Attendance, SyncRun, Webinar, WebinarSyncSettings
from sync.webinars.findings import Findings
from sync.webinars.hubspot_properties import (
    hubspot_properties_ensure,
    hubspot_properties_recheck,
)
from sync.webinars.hubspot_writing import (
    contacts_sync,
    exclusion_rules,
    marketing_event_sync,
)
from sync.webinars.models.audit import FindingCategory
from sync.webinars.recordings import recordings_follow_up, recordings_sync
from sync.webinars.runs import run_enqueue, webinar_sync_request
from sync.webinars.timeline import timeline_events_sync, timeline_mode, timeline_templates
from sync.webinars.zoom_reading import webinar_details_refresh, webinar_ledger_refresh

#: Transient failures (rate limits, vendor outages) are retried this many times, backing off.
MAX_ATTEMPTS = 5


class RunPaused(Exception):
    """A connection needs reconnecting: the run stops with a visible reason."""


def webinar_sync_execute(run_id: int) -> str:
    """Do run `run_id` unless another delivery already did or is doing it. Returns a summary."""
    run = run_claim(SyncRun, run_id)
    if run is None:
        return _check_later(run_id)
    findings = Findings()
    try:
        status = _execute(run, findings)
    except RunPaused as paused:
        findings.add(FindingCategory.CONNECTION_NEEDS_REAUTH, detail=str(paused))
        status = SyncRun.Status.PAUSED
    except TransientError as error:
        return _retry_later(run, findings, error)
    except ConnectorError as error:
        findings.add(FindingCategory.ERROR_HUBSPOT, detail=str(error)[:300])
        status = SyncRun.Status.FAILED
    except Exception as error:
        # A bug or a database error: the run must not stay "running", and the failure is
        # visible in its audit; the task fails too, so it shows in the failed-tasks screen.
        findings.add(FindingCategory.ERROR_HUBSPOT, detail=f"internal error: {error!r}"[:300])
        _finish(run, SyncRun.Status.FAILED, findings)
        raise
    _finish(run, status, findings)
    return f"run {run.pk}: {status}"


def _check_later(run_id: int) -> str:
    """Not claimable now. If another delivery holds a live claim, look again when that claim
    would have expired: should its worker die, this delivery takes over instead of being lost."""
    run = SyncRun.objects.filter(pk=run_id).first()
    if run is None or run.status != SyncRun.Status.RUNNING or run.started_at is None:
        return f"run {run_id}: already done or in progress"
    run_enqueue(run, claim_expires_at(run.started_at))
    return f"run {run_id}: in progress elsewhere; checking again when its claim expires"


def _execute(run: SyncRun, findings: Findings) -> str:
    webinar = run.webinar
    organization = run.organization
    skip = _skip_reason(webinar)
    if skip:
        findings.add(skip)
        return SyncRun.Status.SKIPPED
    zoom_connection, hubspot_connection = _connections(organization)
    zoom = connection_client(zoom_connection, context=run_context(run))
    hubspot = connection_client(hubspot_connection, context=run_context(run))
    try:
        details = webinar_details_refresh(webinar=webinar, client=zoom)
        if details is None and webinar.status != Webinar.Status.CANCELLED:
            findings.add(FindingCategory.ERROR_NOT_FOUND)
            return SyncRun.Status.PARTIAL
        if webinar.is_zoom_events:
            findings.add(FindingCategory.WEBINAR_UNSUPPORTED)
            return SyncRun.Status.SKIPPED
        read = webinar_ledger_refresh(webinar=webinar, details=details or {}, client=zoom)
        _reading_findings(read, findings)
        hubspot_properties_ensure(hubspot, connection=hubspot_connection)
        rules = exclusion_rules(organization=organization, client=hubspot)
        emails = Attendance.objects.filter(webinar=webinar).values_list("email", flat=True)
        try:
            outcome = contacts_sync(
                organization=organization,
                emails=set(emails),
                client=hubspot,
                rules=rules,
                run=run,
                findings=findings,
            )
        except PermanentError:
            # HubSpot refused a contact batch, as it does when one of our properties was
            # deleted since it was last checked: this worker checks them again next time (the
            # memo is per process: another worker's lapses within the hour).
            hubspot_properties_recheck(hubspot_connection)
            raise
        marketing_event_sync(
            webinar=webinar,
            zoom_account_id=zoom_connection.external_account_id,
            contact_ids=outcome.contact_ids,
            client=hubspot,
            findings=findings,
        )
        timeline_events_sync(
            webinar=webinar, hubspot=hubspot, contact_ids=outcome.contact_ids, findings=findings
        )
        recordings_sync(
            webinar=webinar,
            zoom=zoom,
            hubspot=hubspot,
            contact_ids=outcome.contact_ids,
            findings=findings,
            timeline=timeline_templates(),
        )
    except ReauthRequiredError as error:
        raise RunPaused(str(error)) from error
    run.registrants = read.registrants
    run.attendees = len(read.attendee_emails)
    run.contacts_created = outcome.created
    run.contacts_updated = outcome.updated
    run.contacts_skipped = outcome.skipped
    run.contacts_failed = outcome.failed
    run.timeline_mode = timeline_mode()
    webinar.last_synced_at = timezone.now()
    webinar.save(update_fields=["last_synced_at"])
    recordings_follow_up(webinar=webinar, trigger=run.trigger)
    return SyncRun.Status.PARTIAL if _has_problems(findings) else SyncRun.Status.SUCCEEDED


def run_context(run: SyncRun) -> str:
    """The label on every API call a run makes, so its audit counts exactly its own calls."""
    return f"webinar-sync-run:{run.pk}"


def _skip_reason(webinar: Webinar) -> str | None:
    settings_row = WebinarSyncSettings.objects.filter(
        organization_id=webinar.organization_id
    ).first()
    if settings_row is None or not settings_row.sync_enabled:
        return FindingCategory.SYNC_DISABLED_GLOBAL
    if webinar.is_zoom_events:
        return FindingCategory.WEBINAR_UNSUPPORTED
    if not webinar.sync_enabled:
        return FindingCategory.SYNC_DISABLED_WEBINAR
    return None


def _connections(organization) -> tuple[Connection, Connection]:
    found = {
        c.provider: c
        for c in Connection.objects.filter(
            organization=organization, provider__in=["zoom", "hubspot"]
        )
    }
    for key in ("zoom", "hubspot"):
        connection = found.get(key)
        if connection is None or connection.status != ConnectionStatus.ACTIVE:
            state = connection.get_status_display() if connection else "not connected"
            raise RunPaused(f"{key.capitalize()} is {state}")
    return found["zoom"], found["hubspot"]


def _reading_findings(read, findings: Findings) -> None:
    if read.guests_without_email:
        findings.add(FindingCategory.PARTICIPANTS_NOT_SYNCED, count=read.guests_without_email)
    for email in read.invalid_emails:
        findings.add(FindingCategory.INVALID_EMAIL, email)
    for session in read.sessions_awaiting_report:
        findings.add(
            FindingCategory.DATA_NOT_SYNCED,
            detail=f"no participants report yet for {session} (retried by later runs)",
        )


_PROBLEMS = {
    FindingCategory.ERROR_HUBSPOT,
    FindingCategory.ERROR_PROPERTIES,
    FindingCategory.ERROR_TIMELINE,
    FindingCategory.ERROR_TRANSCRIPT,
    FindingCategory.ERROR_NOT_FOUND,
    FindingCategory.DATA_NOT_SYNCED,
    FindingCategory.PARTICIPANTS_NOT_SYNCED,
    FindingCategory.INVALID_EMAIL,
}
# Recordings not synced (setting off, none yet, still processing) are reported but are not a
# problem of the run: they are choices or states of Zoom, and processing ones are retried.


def _has_problems(findings: Findings) -> bool:
    return any(category in findings for category in _PROBLEMS)


def _retry_later(run: SyncRun, findings: Findings, error: TransientError) -> str:
    if run.attempts >= MAX_ATTEMPTS:
        findings.add(FindingCategory.ERROR_HUBSPOT, detail=f"gave up after {run.attempts}: {error}")
        _finish(run, SyncRun.Status.FAILED, findings)
        return f"run {run.pk}: failed"
    wait = getattr(error, "retry_after", None) or 60 * 2 ** (run.attempts - 1)
    run.status = SyncRun.Status.QUEUED
    run.not_before = timezone.now() + dt.timedelta(seconds=wait)
    run.summary = f"attempt {run.attempts} hit a temporary error, retrying: {error}"[:2000]
    run.save(update_fields=["status", "not_before", "summary"])
    run_enqueue(run, run.not_before)
    return f"run {run.pk}: retry in {wait:.0f}s"


def _finish(run: SyncRun, status: str, findings: Findings) -> None:
    run.status = status
    run.finished_at = timezone.now()
    run.api_calls = ApiCall.objects.filter(context=run_context(run)).count()
    findings.save(run)
    run.summary = _summary(run, status)
    run.save()
    if run.rerun_requested:
        webinar_sync_request(webinar=run.webinar, trigger=SyncRun.Trigger.MANUAL)


def _summary(run: SyncRun, status: str) -> str:
    return (
        f"{SyncRun.Status(status).label}: {run.registrants} registrants, {run.attendees} "
        f"attendees; contacts {run.contacts_created} created, {run.contacts_updated} updated, "
        f"{run.contacts_skipped} skipped, {run.contacts_failed} failed; {run.api_calls} API calls."
    )
