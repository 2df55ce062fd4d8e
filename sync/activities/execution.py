"""Executing one activity sync run: recover dead runs' pending links, retry failed links,
Salesforce → HubSpot, HubSpot → Salesforce, with every skipped or failed item in the run's
findings.

At least once: a run is claimed before it starts, a claim older than the worker timeout is taken
over, and cursors move only after each page is written, so a re-run resumes where the last
checkpoint was. Salesforce's 403 REQUEST_LIMIT_EXCEEDED pauses the organisation's stream until
the allocation resets: the run ends PAUSED with a finding and a delayed run is scheduled.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from connectors.errors import ConnectorError, RateLimitedError, ReauthRequiredError, TransientError
from connectors.models import ApiCall
from jobs.claims import claim_expires_at, run_claim
from jobs.scheduling import task_lease
from sync.activities.context import ConnectionUnavailable, RunContext, context_build, run_context
from sync.activities.links import pending_links_recover
from sync.activities.models import ActivityFindingReason as Reason
from sync.activities.retries import failed_links_retry
from sync.activities.runs import activity_sync_request, run_enqueue
from sync.activities.to_hubspot import salesforce_tasks_to_hubspot
from sync.activities.to_salesforce import hubspot_activities_to_salesforce
from sync.models import ActivityFinding, ActivitySyncRun, ActivitySyncSettings

MAX_ATTEMPTS = 5
Status = ActivitySyncRun.Status


def activity_sync_execute(run_id: int) -> str:
    """Do run `run_id` unless another delivery already did or is doing it. Returns a summary."""
    run = _claim(run_id)
    if run is None:
        return _check_later(run_id)
    try:
        ctx = context_build(run)
    except ConnectionUnavailable as error:
        return _finish_early(run, Reason.CONNECTION, str(error))
    try:
        if not _another_run_is_live(run):  # its pending links are not orphans yet
            pending_links_recover(ctx)
            failed_links_retry(ctx)
        salesforce_tasks_to_hubspot(ctx, backfill_from=run.backfill_from)
        hubspot_activities_to_salesforce(ctx, backfill_from=run.backfill_from)
    except RateLimitedError as error:
        if error.provider == "salesforce" and error.code == "REQUEST_LIMIT_EXCEEDED":
            return _pause_for_quota(ctx, error)
        return _retry_later(ctx, error)
    except ReauthRequiredError as error:
        _run_finding(ctx, Reason.CONNECTION, ActivityFinding.Outcome.PAUSED, str(error))
        return _finish(ctx, Status.PAUSED)
    except TransientError as error:
        return _retry_later(ctx, error)
    except ConnectorError as error:
        reason = Reason.INVALID_FIELD if error.code == "INVALID_FIELD" else Reason.CONNECTION
        if error.provider == "hubspot" and reason != Reason.INVALID_FIELD:
            reason = Reason.HUBSPOT_REFUSED
        elif error.provider == "salesforce" and reason != Reason.INVALID_FIELD:
            reason = Reason.SALESFORCE_REFUSED
        _run_finding(ctx, reason, ActivityFinding.Outcome.FAILED, str(error))
        return _finish(ctx, Status.FAILED)
    except Exception as error:
        # A bug or a database error: the run must not stay "running" (it would absorb every
        # later request); the task fails too, so it also shows among failed tasks.
        _run_finding(
            ctx, Reason.CONNECTION, ActivityFinding.Outcome.FAILED, f"internal error: {error!r}"
        )
        _finish(ctx, Status.FAILED)
        raise
    return _finish(ctx, Status.PARTIAL if _has_problems(run) else Status.SUCCEEDED)


def _claim(run_id: int) -> ActivitySyncRun | None:
    run = ActivitySyncRun.objects.filter(pk=run_id).first()
    if run is None or _another_run_is_live(run):
        # One run per organisation at a time: two would read the same records and race for
        # the same links and cursors.
        return None
    return run_claim(ActivitySyncRun, run_id, respect_not_before=True)


def _check_later(run_id: int) -> str:
    """Not claimable now: another run of the organisation (or another delivery of this one) is
    live. Look again when its claim would expire, so a dead worker never strands this run."""
    run = ActivitySyncRun.objects.filter(pk=run_id).first()
    if run is None or run.status not in (Status.QUEUED, Status.RUNNING):
        return f"activity run {run_id}: already done"
    live = (
        ActivitySyncRun.objects.filter(
            organization_id=run.organization_id, status=Status.RUNNING, started_at__isnull=False
        )
        .order_by("-started_at")
        .values_list("started_at", flat=True)
        .first()
    )
    if run.status == Status.QUEUED and run.not_before and run.not_before > timezone.now():
        return f"activity run {run_id}: not due yet"  # its own schedule delivers it
    later = claim_expires_at(live or timezone.now())
    run_enqueue(run, later)
    return f"activity run {run_id}: another run is live; checking again at {later:%H:%M:%S}"


def _another_run_is_live(run: ActivitySyncRun) -> bool:
    lease = task_lease()
    return (
        ActivitySyncRun.objects.filter(
            organization_id=run.organization_id,
            status=Status.RUNNING,
            started_at__gte=timezone.now() - lease,
        )
        .exclude(pk=run.pk)
        .exists()
    )


def _run_finding(ctx: RunContext, reason: str, outcome: str, message: str) -> None:
    ctx.finding(
        direction=ActivityFinding.Direction.RUN, outcome=outcome, reason=reason, message=message
    )


def _pause_for_quota(ctx: RunContext, error: RateLimitedError) -> str:
    """Stop until the allocation resets: a finding, `paused_until`, and a delayed resume run."""
    resume_at = timezone.now() + dt.timedelta(seconds=error.retry_after or 3600)
    ActivitySyncSettings.objects.filter(pk=ctx.settings.pk).update(paused_until=resume_at)
    _run_finding(
        ctx,
        Reason.QUOTA_EXCEEDED,
        ActivityFinding.Outcome.PAUSED,
        f"Salesforce answered {error.code}; paused until {resume_at:%Y-%m-%d %H:%M} UTC, when "
        "a run resumes from the last checkpoint.",
    )
    summary = _finish(ctx, Status.PAUSED)
    activity_sync_request(
        organization=ctx.organization,
        trigger=ActivitySyncRun.Trigger.RESUME,
        not_before=resume_at,
        backfill_from=ctx.run.backfill_from,
    )
    return summary


def _retry_later(ctx: RunContext, error: TransientError) -> str:
    run = ctx.run
    if run.attempts >= MAX_ATTEMPTS:
        _run_finding(
            ctx, Reason.CONNECTION, ActivityFinding.Outcome.FAILED, f"gave up: {error}"[:2000]
        )
        return _finish(ctx, Status.FAILED)
    ctx.findings_flush()
    wait = getattr(error, "retry_after", None) or 60 * 2 ** (run.attempts - 1)
    run.status = Status.QUEUED
    run.not_before = timezone.now() + dt.timedelta(seconds=wait)
    run.summary = f"attempt {run.attempts} hit a temporary error, retrying: {error}"[:2000]
    run.save()
    run_enqueue(run, run.not_before)
    return f"activity run {run.pk}: retry in {wait:.0f}s"


def _has_problems(run: ActivitySyncRun) -> bool:
    return run.findings.exists()


def _finish(ctx: RunContext, status: str) -> str:
    run = ctx.run
    ctx.findings_flush()
    if status in (Status.SUCCEEDED, Status.PARTIAL):
        ActivitySyncSettings.objects.filter(pk=ctx.settings.pk).update(paused_until=None)
    run.status = status
    run.finished_at = timezone.now()
    calls = ApiCall.objects.filter(context=run_context(run)).count()
    run.summary = (
        f"{Status(status).label}: Salesforce → HubSpot {run.salesforce_read} read, "
        f"{run.hubspot_created} created, {run.hubspot_updated} updated; HubSpot → Salesforce "
        f"{run.hubspot_read} read, {run.salesforce_created} created, {run.salesforce_updated} "
        f"updated; {run.retried} failed links retried; {run.echoes_skipped} echoes "
        f"skipped, {run.skipped} skipped, {run.failed} failed; {calls} API calls."
    )
    run.save()
    return f"activity run {run.pk}: {status}"


def _finish_early(run: ActivitySyncRun, reason: str, message: str) -> str:
    ActivityFinding.objects.create(
        organization_id=run.organization_id,
        run=run,
        direction=ActivityFinding.Direction.RUN,
        outcome=ActivityFinding.Outcome.PAUSED,
        reason=reason,
        message=message,
    )
    run.status, run.finished_at = Status.PAUSED, timezone.now()
    run.summary = f"Paused: {message}"
    run.save()
    return f"activity run {run.pk}: paused"
