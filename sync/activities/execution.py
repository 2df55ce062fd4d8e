"""Executing one activity sync run: recover dead runs' pending links, retry failed links,
Salesforce → HubSpot, HubSpot → Salesforce, with every skipped or failed item in the run's
findings.

The run's lifecycle (claim, retry with backoff, pause, finish, recovery) is `jobs.lifecycle`'s;
this is its body. Cursors move only after each page is written, so a re-run resumes where the
last checkpoint was. Salesforce's 403 REQUEST_LIMIT_EXCEEDED pauses the organisation's stream
until the allocation resets: the run ends PAUSED and a delayed run is scheduled.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from connectors.errors import RateLimitedError
from connectors.models import ApiCall
from jobs.lifecycle import Outcome, RetryPolicy, RunBody, run_execute, run_progress
from jobs.models import RunProblem
from sync.activities.context import RunContext, context_build, run_context
from sync.activities.links import pending_links_recover
from sync.activities.retries import failed_links_retry
from sync.activities.runs import activity_sync_request
from sync.activities.to_hubspot import salesforce_tasks_to_hubspot
from sync.activities.to_salesforce import hubspot_activities_to_salesforce
from sync.models import ActivitySyncRun, ActivitySyncSettings

Status = ActivitySyncRun.Status


class ActivitySync(RunBody):
    """One activity sync of one organisation (an `ActivitySyncRun`)."""

    key = "activity-sync"
    model = ActivitySyncRun
    policy = RetryPolicy(max_attempts=5)
    coalesce_on = ("backfill_from",)
    rerun_when_joined = False  # the next 15-minute run reads what arrived meanwhile
    exclusive_on = ()  # one run per organisation at a time

    def __init__(self, run: ActivitySyncRun) -> None:
        super().__init__(run)
        self.ctx: RunContext | None = None
        self.resume_at: dt.datetime | None = None

    def context_label(self) -> str:
        return run_context(self.run)

    def execute(self) -> str:
        run = self.run
        self.ctx = ctx = context_build(run)
        # Not while another run is live: its pending links are not orphans yet (the lifecycle
        # runs one per organisation; a dead one's claim has expired by the time this one runs).
        run_progress(run, phase="Retrying earlier failures")
        pending_links_recover(ctx)
        failed_links_retry(ctx)
        run_progress(run, phase="Salesforce → HubSpot")
        salesforce_tasks_to_hubspot(ctx, backfill_from=run.backfill_from)
        run_progress(run, phase="HubSpot → Salesforce")
        hubspot_activities_to_salesforce(ctx, backfill_from=run.backfill_from)
        return Status.PARTIAL if run.findings.exists() or ctx.findings else Status.SUCCEEDED

    def outcome_for(self, error: Exception) -> Outcome | None:
        quota = (
            isinstance(error, RateLimitedError)
            and error.provider == "salesforce"
            and error.code == "REQUEST_LIMIT_EXCEEDED"
        )
        if not quota:
            return None
        # Stop until the allocation resets, then resume from the last checkpoint.
        self.resume_at = timezone.now() + dt.timedelta(seconds=error.retry_after or 3600)
        ActivitySyncSettings.objects.filter(organization_id=self.run.organization_id).update(
            paused_until=self.resume_at
        )
        return Outcome(
            Status.PAUSED,
            RunProblem.RATE_LIMITED,
            "salesforce",
            f"Salesforce's daily API allocation is used up ({error.code}); paused until "
            f"{self.resume_at:%Y-%m-%d %H:%M} UTC, when a run resumes from the last checkpoint.",
        )

    def save(self, status: str) -> None:
        if self.ctx is not None:
            self.ctx.findings_flush()
        if status in (Status.SUCCEEDED, Status.PARTIAL):
            ActivitySyncSettings.objects.filter(organization_id=self.run.organization_id).update(
                paused_until=None
            )

    def summary(self, status: str) -> str:
        run = self.run
        calls = ApiCall.objects.filter(context=run_context(run)).count()
        return (
            f"{Status(status).label}: Salesforce → HubSpot {run.salesforce_read} read, "
            f"{run.hubspot_created} created, {run.hubspot_updated} updated; HubSpot → Salesforce "
            f"{run.hubspot_read} read, {run.salesforce_created} created, "
            f"{run.salesforce_updated} updated; {run.retried} failed links retried; "
            f"{run.echoes_skipped} echoes skipped, {run.skipped} skipped, {run.failed} failed; "
            f"{calls} API calls."
        )

    def after_finish(self, status: str) -> None:
        if self.resume_at is not None:
            activity_sync_request(
                organization=self.run.organization,
                trigger=ActivitySyncRun.Trigger.RESUME,
                not_before=self.resume_at,
                backfill_from=self.run.backfill_from,
            )


def activity_sync_execute(run_id: int) -> str:
    """One delivery of activity sync run `run_id` (the lifecycle's `run_execute`)."""
    return run_execute(ActivitySync, run_id)
