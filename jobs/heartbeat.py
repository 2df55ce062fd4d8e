"""The worker cluster's sign of life, written every minute by a periodic job; /healthz reads it."""

from __future__ import annotations

from django.utils import timezone

from jobs.models import WorkerHeartbeat


def worker_heartbeat() -> str:
    WorkerHeartbeat.objects.update_or_create(name="qcluster", defaults={"beat_at": timezone.now()})
    return "beat"
