"""Client-side rate limiting shared by every worker process, through the database.

We stay under the vendors' limits instead of bouncing off them: each bucket counts requests in
windows (`RateLimitWindow`), estimating a rolling window from the previous and current fixed
windows, and a 429's "not before" is stored (`RateLimitBlock`) so that all workers wait, not just
the one that was told.
"""

from __future__ import annotations

import datetime as dt
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from connectors.models import RateLimitBlock, RateLimitWindow


@dataclass(frozen=True)
class RateLimit:
    """At most `limit` requests per `window` seconds in bucket `name` (scoped per account).

    `rolling` windows approximate a sliding window (HubSpot's TEN_SECONDLY_ROLLING); fixed ones
    reset at multiples of the window from the epoch (Zoom's daily limits reset at 00:00 UTC).
    """

    name: str
    limit: int
    window: float
    rolling: bool = True


class RateLimiter:
    def __init__(
        self,
        scope: str,
        *,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.scope = scope
        self.clock = clock
        self.sleep = sleep

    def key(self, limit: RateLimit) -> str:
        return f"{self.scope}:{limit.name}"

    def wait_time(self, limits: Sequence[RateLimit]) -> float:
        """Seconds until a request may go, counting it when it may go now (returns 0)."""
        now = self.clock()
        blocked = self._blocked_for(limits, now)
        if blocked > 0:
            return blocked
        taken: list[tuple[RateLimit, int]] = []
        for limit in limits:
            wait = self._take(limit, now)
            if wait > 0:
                for done, window in taken:
                    self._give_back(done, window)
                return wait
            taken.append((limit, self._window(limit, now)))
        return 0.0

    def acquire(self, limits: Sequence[RateLimit], *, max_wait: float) -> float:
        """Block until every bucket has room; returns the seconds waited.

        Raises `ClientRateLimited` (carrying the remaining wait) when that would exceed `max_wait`,
        so that a task can be retried later instead of holding a worker.
        """
        waited = 0.0
        while limits:
            wait = self.wait_time(limits)
            if wait <= 0:
                break
            if waited + wait > max_wait:
                raise ClientRateLimited(wait)
            self.sleep(wait)
            waited += wait
        return waited

    def block(self, limits: Sequence[RateLimit], seconds: float) -> None:
        """Record a vendor's "retry after" for these buckets, for every worker."""
        until = timezone.now() + dt.timedelta(seconds=seconds)
        for limit in limits:
            key = self.key(limit)
            updated = RateLimitBlock.objects.filter(key=key, until__lt=until).update(until=until)
            if not updated:
                try:
                    with transaction.atomic():
                        RateLimitBlock.objects.get_or_create(key=key, defaults={"until": until})
                except IntegrityError:
                    pass

    # --- internals --------------------------------------------------------------------------------
    def _blocked_for(self, limits: Sequence[RateLimit], now: float) -> float:
        keys = [self.key(limit) for limit in limits]
        until = max(
            RateLimitBlock.objects.filter(key__in=keys).values_list("until", flat=True),
            default=None,
        )
        if until is None:
            return 0.0
        return max(0.0, until.timestamp() - now)

    @staticmethod
    def _window(limit: RateLimit, now: float) -> int:
        return int(now // limit.window)

    def _take(self, limit: RateLimit, now: float) -> float:
        key = self.key(limit)
        window = self._window(limit, now)
        count = self._increment(key, window, expires_at=int((window + 2) * limit.window))
        elapsed = now - window * limit.window
        estimate = count
        if limit.rolling:
            previous = (
                RateLimitWindow.objects.filter(key=key, window_start=window - 1)
                .values_list("count", flat=True)
                .first()
                or 0
            )
            estimate = count + previous * (1 - elapsed / limit.window)
        if estimate <= limit.limit:
            return 0.0
        self._give_back(limit, window)
        if not limit.rolling or count > limit.limit:
            return max(0.01, limit.window - elapsed)
        # The previous window's share decays linearly; wait until it has decayed enough.
        previous_needed = (limit.limit - count) / max(1, previous)
        return max(0.01, math.ceil(((1 - previous_needed) * limit.window - elapsed) * 100) / 100)

    @staticmethod
    def _increment(key: str, window: int, *, expires_at: int) -> int:
        updated = RateLimitWindow.objects.filter(key=key, window_start=window).update(
            count=F("count") + 1
        )
        if not updated:
            try:
                with transaction.atomic():
                    RateLimitWindow.objects.create(
                        key=key, window_start=window, count=1, expires_at=expires_at
                    )
            except IntegrityError:  # another worker created it first
                RateLimitWindow.objects.filter(key=key, window_start=window).update(
                    count=F("count") + 1
                )
        return RateLimitWindow.objects.get(key=key, window_start=window).count

    def _give_back(self, limit: RateLimit, window: int) -> None:
        RateLimitWindow.objects.filter(key=self.key(limit), window_start=window).update(
            count=F("count") - 1
        )


class ClientRateLimited(Exception):
    def __init__(self, wait: float) -> None:
        super().__init__(f"client-side rate limit: next request in {wait:.1f}s")
        self.wait = wait
