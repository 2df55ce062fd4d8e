"""Client-side rate limiting shared by every worker process, through the database.

We stay under the vendors' limits instead of bouncing off them. Rolling limits keep the send
times of the last `limit` requests (`RateLimitLog`, locked while read and written), so "at most
100 in any 10 seconds" holds exactly across processes and hosts; fixed windows (Zoom's daily caps,
reset at 00:00 UTC) count requests per window (`RateLimitWindow`). A 429's "not before" is stored
(`RateLimitBlock`) so that all workers wait, not just the one that was told.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from connectors.models import RateLimitBlock, RateLimitLog, RateLimitWindow

#: The vendor stamps a request when it arrives, a little after we sent it; waiting this much
#: longer than the window keeps the two counts from disagreeing at the edge.
EDGE_MARGIN = 0.1


@dataclass(frozen=True)
class RateLimit:
    """At most `limit` requests per `window` seconds in bucket `name` (scoped per account).

    `rolling` windows slide (HubSpot's TEN_SECONDLY_ROLLING); fixed ones reset at multiples of
    the window from the epoch (Zoom's daily limits reset at 00:00 UTC). Use fixed windows for
    large daily budgets: a rolling log keeps one stamp per request.
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
        taken: list[tuple[RateLimit, float]] = []
        for limit in limits:
            wait, token = (
                self._take_rolling(limit, now) if limit.rolling else self._take_fixed(limit, now)
            )
            if wait > 0:
                for done, done_token in taken:
                    self._give_back(done, done_token)
                return wait
            taken.append((limit, token))
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

    def _take_rolling(self, limit: RateLimit, now: float) -> tuple[float, float]:
        key = self.key(limit)
        span = limit.window + EDGE_MARGIN
        with transaction.atomic():
            log = self._log_locked(key)
            recent = [stamp for stamp in log.stamps if stamp > now - span]
            if len(recent) >= limit.limit:
                recent.sort()
                wait = recent[len(recent) - limit.limit] + span - now
                if recent != log.stamps:
                    log.stamps = recent
                    log.save(update_fields=["stamps"])
                return max(0.01, wait), 0.0
            log.stamps = [*recent, now]
            log.save(update_fields=["stamps"])
        return 0.0, now

    @staticmethod
    def _log_locked(key: str) -> RateLimitLog:
        try:
            return RateLimitLog.objects.select_for_update().get(key=key)
        except RateLimitLog.DoesNotExist:
            try:
                with transaction.atomic():
                    RateLimitLog.objects.create(key=key, stamps=[])
            except IntegrityError:  # another worker created it first
                pass
            return RateLimitLog.objects.select_for_update().get(key=key)

    def _take_fixed(self, limit: RateLimit, now: float) -> tuple[float, float]:
        window = self._window(limit, now)
        count = self._increment(
            self.key(limit), window, expires_at=int((window + 2) * limit.window)
        )
        if count <= limit.limit:
            return 0.0, float(window)
        self._give_back(limit, float(window))
        return max(0.01, (window + 1) * limit.window - now), 0.0

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

    def _give_back(self, limit: RateLimit, token: float) -> None:
        """Undo a take that another bucket refused (token: the stamp, or the fixed window)."""
        key = self.key(limit)
        if limit.rolling:
            with transaction.atomic():
                log = self._log_locked(key)
                if token in log.stamps:
                    log.stamps.remove(token)
                    log.save(update_fields=["stamps"])
            return
        RateLimitWindow.objects.filter(key=key, window_start=int(token)).update(
            count=F("count") - 1
        )


class ClientRateLimited(Exception):
    def __init__(self, wait: float) -> None:
        super().__init__(f"client-side rate limit: next request in {wait:.1f}s")
        self.wait = wait
