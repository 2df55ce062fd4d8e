"""Where an incremental read ("records modified since ...") resumes, for every feed we poll:
HubSpot CRM properties, HubSpot engagements and marketing events, Salesforce tasks.

No feed shows a change at once: HubSpot's search index shows it some seconds after it was made,
and Salesforce stamps SystemModstamp before the transaction commits. So a read that started at
time R may not have seen changes stamped after R - LOOKBACK, and the next read starts there
(or at the newest change read, if that is older: a backlog being caught up). What was read at or
after that point is remembered, {record id: modification time}, and skipped when read again at
the same time (no second write, no second finding); a later time is a new change.

The memory holds what changed in the last LOOKBACK of real time (nothing more when catching up,
so a backlog costs nothing), and at most MAX_SEEN entries: past that, the oldest times are
forgotten and the next read starts after them (a burst bigger than that gets a shorter look-back),
except the newest time, which is always kept whole (many records may share it).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.utils import timezone

#: How long after its time a change may still appear. HubSpot's search lag is seconds;
#: Salesforce transactions commit within minutes.
LOOKBACK_MS = 5 * 60 * 1000
MAX_SEEN = 2000


@dataclass(frozen=True)
class ReadCursor:
    newest_ms: int = 0  # the newest modification time read
    from_ms: int = 0  # where the next read starts
    seen: dict[str, int] = field(default_factory=dict)

    @classmethod
    def load(cls, newest_ms: int, stored) -> ReadCursor:
        """From the two stored fields (the time, and `stored()` in a JSON field). Rows written
        before the look-back stored the ids read at `newest_ms`: they resume there."""
        if isinstance(stored, dict):
            seen = {str(key): int(ms) for key, ms in stored.get("seen", [])}
            return cls(newest_ms, int(stored.get("from", newest_ms)), seen)
        return cls(newest_ms, newest_ms, {str(key): newest_ms for key in stored or []})

    def read_from(self, floor_ms: int = 0) -> int:
        """Where the next read starts; never before `floor_ms` (a switch-on time)."""
        return max(self.from_ms, floor_ms)

    def is_new(self, record_id: str, modified_ms: int) -> bool:
        """Whether this change of the record was not read before."""
        return self.seen.get(str(record_id)) != modified_ms

    def advanced(self, read: Iterable[tuple[str, int]], *, started_ms: int) -> ReadCursor:
        """The cursor after a read that started at `started_ms` returned these (id, time)."""
        seen = dict(self.seen)
        newest = self.newest_ms
        for record_id, modified_ms in read:
            seen[str(record_id)] = modified_ms
            newest = max(newest, modified_ms)
        start = max(self.from_ms, min(newest, started_ms - LOOKBACK_MS))
        seen = {key: ms for key, ms in seen.items() if ms >= start}
        if len(seen) > MAX_SEEN:
            # Forget whole instants, oldest first, and start the next read after them; but
            # never the newest instant, which a read stopped between chunks must resume inside.
            cut = sorted(seen.values())[len(seen) - MAX_SEEN]
            start = newest if cut >= newest else cut + 1
            seen = {key: ms for key, ms in seen.items() if ms >= start}
        return ReadCursor(newest, start, seen)

    def stored(self) -> dict:
        """What to keep in the JSON field next to `newest_ms`."""
        ordered = sorted(self.seen.items(), key=lambda item: (item[1], item[0]))
        return {"from": self.from_ms, "seen": [[key, ms] for key, ms in ordered]}


def now_ms() -> int:
    """When a read starts (the product's clock; LOOKBACK absorbs skew with the vendors')."""
    return ms_from_datetime(timezone.now())


def ms_from_datetime(moment: dt.datetime) -> int:
    return int(moment.timestamp() * 1000)


def datetime_from_ms(ms: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(ms / 1000, tz=dt.UTC)
