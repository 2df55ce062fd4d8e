"""Bodies of the periodic jobs listed in `sync.scheduling.PERIODIC_JOBS`."""

from __future__ import annotations

from django.utils import timezone

from sync.models import WorkerHeartbeat


def worker_heartbeat() -> str:
    WorkerHeartbeat.objects.update_or_create(name="qcluster", defaults={"beat_at": timezone.now()})
    return "beat"
