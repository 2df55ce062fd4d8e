"""Executing one webinar sync run: Zoom → ledger → HubSpot, with an audit of every decision.

The run's lifecycle (claim, retry with backoff, pause, finish, recovery) is `jobs.lifecycle`'s;
this is its body. Every effect is idempotent (ledger upserts, upserts by email, hash-skipped
writes), so a run that dies halfway and is delivered again converges.
"""

from __future__ import annotations

from django.utils import timezone

from connectors.errors import PermanentError
from connectors.installations import installation_get
from connectors.models import ApiCall
from jobs.lifecycle import RetryPolicy, RunBody, run_execute, run_progress
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
from sync.webinars.timeline import timeline_events_sync, timeline_mode, timeline_templates
from sync.webinars.zoom_reading import webinar_details_refresh, webinar_ledger_refresh


class WebinarSync(RunBody):
    """One sync of one webinar (a `SyncRun`)."""

    key = "webinar-sync"
    model = SyncRun
    policy = RetryPolicy(max_attempts=5)
    coalesce_on = ("webinar",)

    def __init__(self, run: SyncRun) -> None:
        super().__init__(run)
        self.findings = Findings()
        self.skipped = ""

    @classmethod
    def request_lock(cls, organization_id, fields) -> None:
        # The webinar row: two simultaneous requests for one webinar agree on one run, and
        # requests for other webinars of the organisation do not wait.
        Webinar.objects.select_for_update().filter(pk=fields["webinar"].pk).first()

    def context_label(self) -> str:
        return run_context(self.run)

    def execute(self) -> str:
        return _execute(self.run, self.findings, self)

    def save(self, status: str) -> None:
        if status == SyncRun.Status.QUEUED:
            return  # a retry collects its findings again
        run = self.run
        run.api_calls = ApiCall.objects.filter(context=run_context(run)).count()
        self.findings.save(run)

    def summary(self, status: str) -> str:
        if self.skipped:
            return f"Skipped: {self.skipped}"
        return _summary(self.run, status)


def webinar_sync_execute(run_id: int) -> str:
    """One delivery of webinar sync run `run_id` (the lifecycle's `run_execute`)."""
    return run_execute(WebinarSync, run_id)


def run_context(run: SyncRun) -> str:
    """The label on every API call a run makes, so its audit counts exactly its own calls."""
    return f"webinar-sync-run:{run.pk}"


def _execute(run: SyncRun, findings: Findings, body: WebinarSync) -> str:
    webinar = run.webinar
    organization = run.organization
    skip = _skip_reason(webinar)
    if skip:
        findings.add(skip)
        body.skipped = FindingCategory(skip).label
        return SyncRun.Status.SUCCEEDED
    zoom_installation = installation_get(organization_id=organization.pk, provider="zoom")
    hubspot_installation = installation_get(organization_id=organization.pk, provider="hubspot")
    hubspot_connection = hubspot_installation.connection
    zoom = zoom_installation.client(context=run_context(run))
    hubspot = hubspot_installation.client(context=run_context(run))
    run_progress(run, phase="Reading Zoom")
    details = webinar_details_refresh(webinar=webinar, client=zoom)
    if details is None and webinar.status != Webinar.Status.CANCELLED:
        findings.add(FindingCategory.ERROR_NOT_FOUND)
        return SyncRun.Status.PARTIAL
    if webinar.is_zoom_events:
        findings.add(FindingCategory.WEBINAR_UNSUPPORTED)
        body.skipped = FindingCategory.WEBINAR_UNSUPPORTED.label
        return SyncRun.Status.SUCCEEDED
    read = webinar_ledger_refresh(webinar=webinar, details=details or {}, client=zoom)
    _reading_findings(read, findings)
    run_progress(run, phase="Writing HubSpot contacts", total=len(read.attendee_emails))
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
    run_progress(run, phase="Writing the marketing event and timeline")
    marketing_event_sync(
        webinar=webinar,
        zoom_account_id=zoom_installation.connection.external_account_id,
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


def _summary(run: SyncRun, status: str) -> str:
    return (
        f"{SyncRun.Status(status).label}: {run.registrants} registrants, {run.attendees} "
        f"attendees; contacts {run.contacts_created} created, {run.contacts_updated} updated, "
        f"{run.contacts_skipped} skipped, {run.contacts_failed} failed; {run.api_calls} API calls."
    )
