"""`manage.py bench_webinar_sync`: a full webinar sync against the sandbox, measured.

The sandbox runs as its own process (started here unless --sandbox-url is given) with HubSpot's
and Zoom's rate limits switched on. The sync goes through the worker's code path (the task
function), twice: the second run changes nothing and must write nothing. One JSON line out.
"""

from __future__ import annotations

import json
import math
import resource
import socket
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db.models import Q, Sum
from django.utils import timezone

from accounts.models import Organization, Role
from accounts.services import organization_member_ensure
from connectors.demo import sandbox_connect
from connectors.http import HttpClient
from connectors.models import ApiCall
from connectors.registry import provider_get
from sync.models import SyncRun, WebinarSyncSettings
from sync.webinars.runs import webinar_ensure, webinar_sync_request
from sync.webinars.tasks import webinar_sync

# The vendors' limits the sandbox enforces during the benchmark (apis.md §2.3, §3.3; Pro plan).
HUBSPOT_BURST, HUBSPOT_WINDOW = 100, 10.0
SANDBOX_LIMITS = [
    {"vendor": "hubspot", "name": "burst", "limit": HUBSPOT_BURST, "window": HUBSPOT_WINDOW},
    {"vendor": "hubspot", "name": "search", "limit": 4, "window": 1.0, "path": "/search$"},
    {"vendor": "zoom", "name": "heavy", "limit": 10, "window": 1.0, "path": "^/v2/report/"},
    {
        "vendor": "zoom",
        "name": "medium",
        "limit": 20,
        "window": 1.0,
        "path": "^/v2/(users/[^/]+/webinars|webinars/[^/]+/registrants|past_webinars/)",
    },
    {"vendor": "zoom", "name": "light", "limit": 30, "window": 1.0, "path": "^/v2/webinars/\\d+$"},
]
ZOOM_PAGE, HUBSPOT_BATCH = 300, 100
WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")


class Command(BaseCommand):
    help = "Benchmark a full webinar sync (and an unchanged re-run) against the sandbox."

    def add_arguments(self, parser):
        parser.add_argument("--registrants", type=int, default=1000)
        parser.add_argument("--attendees", type=int, default=800)
        parser.add_argument("--sandbox-url", default="", help="Use a running sandbox.")

    def handle(self, *args, registrants: int, attendees: int, sandbox_url: str, **options):
        if attendees > registrants:
            raise CommandError("--attendees cannot exceed --registrants")
        with _sandbox(sandbox_url) as base:
            _point_providers_at(base)
            control = _control(base)
            control("/reset", {})
            seeded = control(
                "/seed",
                {"vendor": "zoom", "bench_registrants": registrants, "bench_attendees": attendees},
            )
            figures = _bench(seeded["zoom"], registrants, attendees, control)
        self.stdout.write(json.dumps(figures))


def _bench(zoom_summary: dict, registrants: int, attendees: int, control) -> dict:
    organization = Organization.objects.create(
        name="Benchmark", slug=f"bench-{uuid.uuid4().hex[:8]}"
    )
    user = organization_member_ensure(
        organization=organization,
        username=f"bench-{organization.slug}",
        email="bench@example.com",
        role=Role.OWNER,
        password=None,
    ).user
    try:
        for key in ("zoom", "hubspot"):
            sandbox_connect(organization=organization, user=user, provider_key=key)
        WebinarSyncSettings.objects.create(organization=organization, sync_enabled=True)
        # Limits go on after connecting: the consent and token calls are setup, not sync.
        for rule in SANDBOX_LIMITS:
            control("/rate-limits", rule)
        webinar = webinar_ensure(
            organization=organization,
            zoom_webinar_id=str(zoom_summary["demo"]["bench_webinar_id"]),
        )
        mark = ApiCall.objects.filter(organization=organization).count()
        started = time.monotonic()
        started_at = timezone.now()
        first = _run(webinar)
        wall = time.monotonic() - started
        calls = ApiCall.objects.filter(organization=organization).order_by("pk")[mark:]
        first_ids = [call.pk for call in calls]
        second_mark = ApiCall.objects.filter(organization=organization).order_by("-pk").first()
        _run(webinar)
        rerun = ApiCall.objects.filter(organization=organization, pk__gt=second_mark.pk)
        phases = _phases(ApiCall.objects.filter(pk__in=first_ids), started_at)
        measured = ApiCall.objects.filter(pk__in=first_ids)
        zoom_calls = measured.filter(provider="zoom").count()
        hubspot_calls = measured.filter(provider="hubspot").count()
        participants = zoom_summary.get("participant_rows", attendees)
        zoom_bound = _zoom_lower_bound(registrants, participants)
        hubspot_bound = _hubspot_lower_bound(registrants, attendees)
        return {
            "participants": participants,
            "registrants": registrants,
            "attendees": attendees,
            "run_status": first.status,
            "zoom_calls": zoom_calls,
            "zoom_calls_lower_bound": zoom_bound,
            "hubspot_calls": hubspot_calls,
            "hubspot_calls_lower_bound": hubspot_bound,
            "wall_s": round(wall, 2),
            **phases,
            "rate_bound_s": round(_rate_bound(measured), 2),
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
            "http_429": (
                ApiCall.objects.filter(organization=organization).aggregate(n=Sum("throttled"))["n"]
                or 0
            ),
            "rerun_write_calls": rerun.filter(provider="hubspot", method__in=WRITE_METHODS)
            .exclude(
                Q(path_template__endswith="/batch/read") | Q(path_template__endswith="/search")
            )
            .count(),
        }
    finally:
        organization.delete()
        get_user_model().objects.filter(pk=user.pk).delete()


def _phases(calls, started_at) -> dict:
    """When each vendor's calls began and ended, in seconds from the start of the run."""
    figures = {}
    for provider in ("zoom", "hubspot"):
        stamps = list(
            calls.filter(provider=provider).order_by("pk").values_list("created_at", flat=True)
        )
        if stamps:
            figures[f"{provider}_span_s"] = [
                round((stamps[0] - started_at).total_seconds(), 1),
                round((stamps[-1] - started_at).total_seconds(), 1),
            ]
    return figures


def _run(webinar) -> SyncRun:
    run = webinar_sync_request(webinar=webinar, trigger=SyncRun.Trigger.BACKFILL)
    webinar_sync(run.pk)  # the task entry point the worker calls
    run.refresh_from_db()
    return run


def _zoom_lower_bound(registrants: int, participant_rows: int) -> int:
    """webinar details + registrants in 3 statuses (each at least one page) + instances +
    participant report pages."""
    return (
        1
        + max(1, math.ceil(registrants / ZOOM_PAGE))
        + 2
        + 1
        + max(1, math.ceil(participant_rows / ZOOM_PAGE))
    )


def _hubspot_lower_bound(registrants: int, attendees: int) -> int:
    """What the product's rules require, in batches of 100 on a first sync of new contacts:
    look contacts up by primary email, check the missing ones for deleted contacts, one search for
    secondary emails, upsert, the event and its completion, then register and attend states."""
    batches = math.ceil(registrants / HUBSPOT_BATCH)
    return batches + batches + 1 + batches + 2 + batches + math.ceil(attendees / HUBSPOT_BATCH)


def _rate_bound(calls) -> float:
    """Least time the vendors' limits allow for these calls, Zoom's reads then HubSpot's writes
    (the writes need what the reads return). A rolling window lets its first `limit` calls go at
    once, then `limit` per window."""
    per_bucket: dict[tuple[str, int, float], int] = {}
    for provider, path in calls.values_list("provider", "path_template"):
        if provider == "hubspot":
            bucket = ("hubspot", HUBSPOT_BURST, HUBSPOT_WINDOW)
        elif path.startswith("/report/"):
            bucket = ("zoom-heavy", 10, 1.0)
        elif "/registrants" in path or path.startswith(("/past_webinars", "/users/")):
            bucket = ("zoom-medium", 20, 1.0)
        else:
            bucket = ("zoom-light", 30, 1.0)
        per_bucket[bucket] = per_bucket.get(bucket, 0) + 1
    return sum(
        max(0, count - limit) * window / limit for (_, limit, window), count in per_bucket.items()
    )


def _point_providers_at(base: str) -> None:
    if settings.SANDBOX_URL:
        settings.PROVIDERS = {
            key: {
                name: value.replace(settings.SANDBOX_URL, base) if isinstance(value, str) else value
                for name, value in conf.items()
            }
            for key, conf in settings.PROVIDERS.items()
        }
    settings.SANDBOX_URL = base
    provider_get.cache_clear()


def _control(base: str):
    http = HttpClient(
        provider="sandbox",
        base_url=f"{base}/_sandbox",
        error_mapper=provider_get("zoom").error_from_response,
        record_calls=False,
        timeout=(5.0, 600.0),
    )

    def call(path: str, body: dict) -> dict:
        return http.request("POST", path, json=body, authenticated=False).json()

    return call


@contextmanager
def _sandbox(url: str):
    if url:
        yield url.rstrip("/")
        return
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen(  # noqa: S603
        [sys.executable, "manage.py", "sandbox", "--no-seed", "--port", str(port)],
        cwd=settings.BASE_DIR,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)
