"""Periodic jobs of the connectors app (listed in jobs.scheduling.PERIODIC_JOBS)."""

from __future__ import annotations

import datetime as dt
import time

from django.utils import timezone

from connectors.models import ApiCall, RateLimitBlock, RateLimitWindow
from connectors.services import revocations_retry

#: API call records are for troubleshooting recent runs, not an archive.
API_CALL_RETENTION = dt.timedelta(days=30)

__all__ = ["records_prune", "revocations_retry"]


def records_prune() -> str:
    """Delete old API call records and spent rate-limit counters."""
    calls, _ = ApiCall.objects.filter(created_at__lt=timezone.now() - API_CALL_RETENTION).delete()
    windows, _ = RateLimitWindow.objects.filter(expires_at__lt=int(time.time())).delete()
    blocks, _ = RateLimitBlock.objects.filter(until__lt=timezone.now()).delete()
    return f"pruned {calls} calls, {windows} rate-limit windows, {blocks} blocks"
