"""The one lifecycle of background work: request, enqueue, claim, execute, retry or finish.

Every kind of run (a webinar sync, an activity sync, a CRM property sync, a booking's vendor
work) is a concrete `jobs.models.Run` plus a `RunBody` subclass that declares its work and its
policy. Nothing else about a run is the kind's to write:

- `run_request` coalesces a request into the open (queued or running) run of the same target,
  or creates and queues a new run, under a lock so that concurrent requests agree.
- `run_enqueue` hands the run's task to the broker (`jobs.queue.task_enqueue`) and stamps when.
- `run_execute` (the task) claims the run with a lease — QUEUED and due, or RUNNING with an
  expired claim, by a conditional UPDATE on the attempt count so two deliveries agree on one
  winner — runs the body, and turns its result or exception into one outcome: finished, or
  queued again with backoff (`RetryPolicy`), or continued in a fresh task.
- `jobs.sweeper.runs_recover` queues again every run whose task is gone.

Delivery is at least once, so bodies are idempotent: a run redelivered after a worker died
converges on the same result.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any, ClassVar

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from connectors.errors import (
    ConnectionUnavailableError,
    ConnectorError,
    RateLimitedError,
    ReauthRequiredError,
    TransientError,
)
from jobs.models import OPEN_STATUSES, Run, RunProblem, RunStatus
from jobs.queue import task_enqueue, task_lease

logger = logging.getLogger(__name__)

EXECUTE_TASK = "jobs.tasks.run_execute"
FINISHED = (RunStatus.SUCCEEDED, RunStatus.PARTIAL, RunStatus.PAUSED, RunStatus.FAILED)


@dataclass(frozen=True)
class RetryPolicy:
    """How a kind of run retries what may succeed later (vendor outages, rate limits).

    Attempt n waits `base_delay * 2**(n-1)` seconds (at most `max_delay`), or what the vendor's
    Retry-After asked for. After `max_attempts` deliveries the run fails as "gave up".
    `rate_limits_count`: whether waiting for a rate limit uses up an attempt (a daily limit can
    keep a run waiting for hours without it being broken).
    """

    max_attempts: int = 5
    base_delay: float = 60.0
    max_delay: float = 3600.0
    rate_limits_count: bool = True

    def delay(self, attempt: int, error: Exception) -> float:
        retry_after = getattr(error, "retry_after", None)
        if retry_after:
            return float(retry_after)
        return min(self.max_delay, self.base_delay * 2 ** max(0, attempt - 1))


@dataclass(frozen=True)
class Outcome:
    """How one delivery of a run ends. `status` QUEUED means: again at `retry_at`."""

    status: str
    problem: str = RunProblem.NONE
    provider: str = ""
    message: str = ""
    retry_at: dt.datetime | None = None
    counts_attempt: bool = True


class RunContinues(Exception):
    """Raised by a body whose time budget is spent: the run goes on in a fresh task, at once,
    without using up an attempt (its progress is stored)."""


class RunBody:
    """The work of one kind of run. Subclasses set the class attributes and `execute`.

    An instance is made per delivery, for the claimed run (`self.run`), so a body may keep state
    (findings, clients) between `execute` and `save`.
    """

    key: ClassVar[str]  # the kind's name in jobs.registry.RUN_KINDS, e.g. "webinar-sync"
    model: ClassVar[type[Run]]
    policy: ClassVar[RetryPolicy] = RetryPolicy()
    # Fields (besides the organisation) that make two requests the same work: a request joins
    # the open run with equal values. None: every request is its own run.
    coalesce_on: ClassVar[tuple[str, ...] | None] = ()
    # A request while the run is running asks for one more run after it (there may be new data).
    rerun_when_joined: ClassVar[bool] = True
    # At most one running run per organisation and these fields' values (two would race for the
    # same cursors, links or vendor objects); None: runs of the kind may run side by side.
    exclusive_on: ClassVar[tuple[str, ...] | None] = None

    def __init__(self, run: Run) -> None:
        self.run = run

    # --- what a kind declares -----------------------------------------------------------------
    @classmethod
    def request_lock(cls, organization_id: int, fields: dict[str, Any]) -> None:
        """Serialise concurrent requests for the same target (default: the organisation row)."""
        from accounts.models import Organization

        Organization.objects.select_for_update().filter(pk=organization_id).first()

    def execute(self) -> str:
        """Do the work; return SUCCEEDED or PARTIAL. Raise to pause, retry or fail: connector
        errors are classified by `jobs.lifecycle.outcome_for_error`, or first by `outcome_for`."""
        raise NotImplementedError

    def outcome_for(self, error: Exception) -> Outcome | None:
        """A kind's own reading of an error (e.g. a quota that pauses until it resets)."""
        return None

    def save(self, status: str) -> None:
        """Store what the body holds (counters, findings) before the run row is saved."""

    def summary(self, status: str) -> str:
        """One line for the run's audit."""
        return RunStatus(status).label

    def after_finish(self, status: str) -> None:
        """Follow-up work once the run has finished (e.g. a delayed resume run)."""

    def context_label(self) -> str:
        """The label on every API call the run makes (ApiCall.context)."""
        return f"{self.key}-run:{self.run.pk}"


# --- requesting ---------------------------------------------------------------------------------
def run_request(
    body: type[RunBody],
    *,
    organization_id: int,
    trigger: str,
    user=None,
    not_before: dt.datetime | None = None,
    join_open: bool = True,
    **fields: Any,
) -> Run:
    """Queue a run of `body`'s kind for these target `fields`, or join the open one.

    A delayed request (`not_before`) is a run of its own; an immediate one joins an open immediate
    run of the same target (a running one is asked to run again afterwards, when the kind wants
    that), and a joined run whose task was lost is queued again. Returns the run that will do
    the work.
    """
    requested_by = user if user is not None and getattr(user, "is_authenticated", False) else None
    with transaction.atomic():
        if join_open and body.coalesce_on is not None and not_before is None:
            body.request_lock(organization_id, fields)
            open_run = _open_run(body, organization_id, fields)
            if open_run is not None:
                _join(body, open_run)
                return open_run
        now = timezone.now()
        run = body.model.objects.create(
            organization_id=organization_id,
            trigger=trigger,
            not_before=not_before,
            requested_by=requested_by,
            enqueued_at=not_before if not_before is not None and not_before > now else now,
            **fields,
        )
        _task_send(body, run, not_before)
    return run


def _open_run(body: type[RunBody], organization_id: int, fields: dict[str, Any]) -> Run | None:
    target = {name: fields.get(name) for name in body.coalesce_on or ()}
    return (
        body.model.objects.filter(
            organization_id=organization_id, status__in=OPEN_STATUSES, **target
        )
        .filter(Q(not_before__isnull=True) | Q(not_before__lte=timezone.now()))
        .order_by("created_at", "pk")
        .first()
    )


def _join(body: type[RunBody], run: Run) -> None:
    if run.status == RunStatus.RUNNING and body.rerun_when_joined and not run.rerun_requested:
        body.model.objects.filter(pk=run.pk).update(rerun_requested=True)
        run.rerun_requested = True
    if run_task_lost(run):
        run_enqueue(body, run)  # its task or its worker is gone: this request revives it


def run_task_lost(run: Run, now: dt.datetime | None = None) -> bool:
    """Whether no delivery will pick `run` up: running with an expired claim (its worker died),
    or queued and due with a task handed out longer than a lease ago (a lost or dropped task)."""
    now = now or timezone.now()
    expired = now - task_lease()
    if run.status == RunStatus.RUNNING:
        return run.started_at is not None and run.started_at < expired
    if run.status != RunStatus.QUEUED or (run.not_before and run.not_before > now):
        return False
    return run.enqueued_at is None or run.enqueued_at < expired


def run_enqueue(body: type[RunBody], run: Run, *, at: dt.datetime | None = None) -> None:
    """Hand `run`'s task to the queue, now or at `at`, and stamp when it becomes due."""
    now = timezone.now()
    due = at if at is not None and at > now else now
    _task_send(body, run, at)
    body.model.objects.filter(pk=run.pk).update(enqueued_at=due)
    run.enqueued_at = due


def _task_send(body: type[RunBody], run: Run, at: dt.datetime | None) -> None:
    task_enqueue(EXECUTE_TASK, body.key, run.pk, name=f"{body.key}-{run.pk}", not_before=at)


def run_progress(run: Run, *, phase: str, done: int = 0, total: int | None = None) -> None:
    """Record where a running run is, for the console (one UPDATE; no other field is touched)."""
    now = timezone.now()
    type(run).objects.filter(pk=run.pk).update(
        progress_phase=phase[:80], progress_done=done, progress_total=total, progress_at=now
    )
    run.progress_phase, run.progress_done, run.progress_total = phase[:80], done, total
    run.progress_at = now


# --- executing ----------------------------------------------------------------------------------
def run_execute(body_class: type[RunBody], run_id: int) -> str:
    """One delivery of run `run_id`: claim it, do it, and end it. Returns a one-line summary."""
    run = _claim(body_class, run_id)
    if run is None:
        return _check_later(body_class, run_id)
    body = body_class(run)
    try:
        status = body.execute()
    except RunContinues:
        return _continue(body)
    except Exception as error:
        outcome = body.outcome_for(error) or outcome_for_error(error, run, body_class.policy)
        if outcome.status == RunStatus.QUEUED:
            return _retry(body, outcome)
        _finish(body, outcome)
        if outcome.problem == RunProblem.INTERNAL_ERROR:
            raise  # a bug: the task fails too, so it shows among failed tasks with its traceback
        return f"{body_class.key} run {run.pk}: {outcome.status}"
    _finish(body, Outcome(status=status))
    return f"{body_class.key} run {run.pk}: {status}"


def _claim(body: type[RunBody], run_id: int) -> Run | None:
    model = body.model
    run = model.objects.filter(pk=run_id).first()
    if run is None or (body.exclusive_on is not None and _other_live_run(body, run)):
        return None
    now = timezone.now()
    due = Q(not_before__isnull=True) | Q(not_before__lte=now)
    claimable = (Q(status=RunStatus.QUEUED) & due) | Q(
        status=RunStatus.RUNNING, started_at__lt=now - task_lease()
    )
    claimed = model.objects.filter(claimable, pk=run_id, attempts=run.attempts).update(
        status=RunStatus.RUNNING,
        started_at=now,
        attempts=F("attempts") + 1,
        progress_phase="Starting",
        progress_done=0,
        progress_total=None,
        progress_at=now,
    )
    if not claimed:
        return None
    run.refresh_from_db()
    return run


def _other_live_run(body: type[RunBody], run: Run) -> Run | None:
    same = {name: getattr(run, name) for name in body.exclusive_on or ()}
    return (
        body.model.objects.filter(
            organization_id=run.organization_id,
            status=RunStatus.RUNNING,
            started_at__gte=timezone.now() - task_lease(),
            **same,
        )
        .exclude(pk=run.pk)
        .order_by("-started_at")
        .first()
    )


def _check_later(body: type[RunBody], run_id: int) -> str:
    """Not claimable now. Whatever holds it up, look again when it can have changed, so that a
    dead worker or an early delivery never strands the run."""
    run = body.model.objects.filter(pk=run_id).first()
    if run is None or run.status in FINISHED:
        return f"{body.key} run {run_id}: already done"
    now = timezone.now()
    if run.status == RunStatus.QUEUED and run.not_before and run.not_before > now:
        at = run.not_before  # an early delivery: the run's own time is still to come
    elif run.status == RunStatus.RUNNING and run.started_at is not None:
        at = claim_expires_at(run.started_at)  # another delivery holds a live claim
    else:
        other = _other_live_run(body, run) if body.exclusive_on is not None else None
        at = claim_expires_at(other.started_at if other else now)
    _task_send(body, run, at)
    return f"{body.key} run {run_id}: not claimable now; looking again at {at:%H:%M:%S}"


def claim_expires_at(started_at: dt.datetime) -> dt.datetime:
    """When a claim taken at `started_at` may be taken over (plus a second, to be past it)."""
    return started_at + task_lease() + dt.timedelta(seconds=1)


def outcome_for_error(error: Exception, run: Run, policy: RetryPolicy) -> Outcome:
    """The lifecycle's reading of an exception raised by a body: pause for a person, retry
    with backoff, give up, or fail — each with the provider and a message a person can act on."""
    from connectors.registry import UnknownProviderError, provider_get

    provider = getattr(error, "provider", "") or ""
    try:
        name = provider_get(provider).name if provider else "The vendor"
    except UnknownProviderError:
        name = provider
    if isinstance(error, ConnectionUnavailableError):  # its message says what to do
        return Outcome(
            RunStatus.PAUSED,
            RunProblem.NEEDS_RECONNECTING,
            provider,
            f"{_sentence(error.message)} The next scheduled run or “Sync now” then carries on.",
        )
    if isinstance(error, ReauthRequiredError):
        return Outcome(
            RunStatus.PAUSED,
            RunProblem.NEEDS_RECONNECTING,
            provider,
            f"{name} needs reconnecting: {_sentence(error.message)} Reconnect it under "
            "Connections; the next scheduled run or “Sync now” then carries on.",
        )
    if isinstance(error, TransientError):
        limited = isinstance(error, RateLimitedError)
        counts = policy.rate_limits_count or not limited
        problem = RunProblem.RATE_LIMITED if limited else RunProblem.VENDOR_UNAVAILABLE
        what = "rate limit reached" if limited else "temporarily unavailable"
        if counts and run.attempts >= policy.max_attempts:
            return Outcome(
                RunStatus.FAILED,
                RunProblem.GAVE_UP,
                provider,
                f"Gave up after {run.attempts} attempts: {name} {what} ({error}). The next "
                "scheduled run or “Sync now” tries again.",
            )
        retry_at = timezone.now() + dt.timedelta(seconds=policy.delay(run.attempts, error))
        return Outcome(
            RunStatus.QUEUED,
            problem,
            provider,
            f"{name} {what} ({error}); attempt {run.attempts} of {policy.max_attempts}, "
            f"trying again at {retry_at:%H:%M:%S} UTC.",
            retry_at=retry_at,
            counts_attempt=counts,
        )
    if isinstance(error, ConnectorError):
        return Outcome(
            RunStatus.FAILED,
            RunProblem.VENDOR_REFUSED,
            provider,
            f"{name} refused the request ({error}). Check the data or settings it names, then "
            "run again.",
        )
    return Outcome(
        RunStatus.FAILED,
        RunProblem.INTERNAL_ERROR,
        "",
        f"Internal error ({type(error).__name__}: {error}). This is a Meetbridge bug, not a "
        "vendor problem; the traceback is under Failed tasks.",
    )


def _sentence(text: str) -> str:
    text = text.strip()
    return text if text.endswith((".", "!", "?")) else f"{text}."


def _record_problem(run: Run, outcome: Outcome) -> None:
    run.problem = outcome.problem
    run.problem_provider = outcome.provider
    run.problem_message = outcome.message[:4000]


def _retry(body: RunBody, outcome: Outcome) -> str:
    run = body.run
    body.save(RunStatus.QUEUED)
    _record_problem(run, outcome)
    run.status = RunStatus.QUEUED
    run.not_before = outcome.retry_at
    if not outcome.counts_attempt:
        run.attempts = max(0, run.attempts - 1)
    run.summary = outcome.message[:2000]
    run.progress_phase = "Waiting to retry"
    run.save()
    run_enqueue(type(body), run, at=outcome.retry_at)
    return f"{body.key} run {run.pk}: retry at {outcome.retry_at:%H:%M:%S}"


def _continue(body: RunBody) -> str:
    run = body.run
    body.save(RunStatus.QUEUED)
    run.status = RunStatus.QUEUED
    run.not_before = None
    run.attempts = max(0, run.attempts - 1)
    run.save()
    run_enqueue(type(body), run)
    return f"{body.key} run {run.pk}: continues in a new task"


def _finish(body: RunBody, outcome: Outcome) -> None:
    run = body.run
    run.status = outcome.status
    run.finished_at = timezone.now()
    _record_problem(run, outcome)
    body.save(outcome.status)
    summary = body.summary(outcome.status)
    run.summary = f"{summary} {outcome.message}".strip()[:4000] if outcome.message else summary
    run.progress_phase = RunStatus(outcome.status).label
    run.progress_at = run.finished_at
    run.save()
    body.after_finish(outcome.status)
    if run.rerun_requested and outcome.status != RunStatus.PAUSED:
        fields = {name: getattr(run, name) for name in body.coalesce_on or ()}
        run_request(type(body), organization_id=run.organization_id, trigger=run.trigger, **fields)
