"""Where an incremental read ("records modified since ...") resumes, for every feed we poll:
HubSpot CRM properties, HubSpot engagements and marketing events, Salesforce tasks.

A cursor is the newest modification time read (ms) and what was read in the LOOKBACK before it,
as {record id: modification time}. The next read starts LOOKBACK before the newest time, because
no feed shows records strictly in the order of the times they carry: HubSpot's search index
shows a change some seconds after it was made, and Salesforce stamps SystemModstamp before the
transaction commits. A record stamped before the newest one read can still appear later; reading
again from LOOKBACK earlier finds it. What is read again at the time it was read at is skipped
(no second write, no second finding); a later time is a new change.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

#: How far behind the newest time a read goes again. HubSpot's search lag is seconds; long
#: Salesforce transactions commit within minutes.
LOOKBACK_MS = 5 * 60 * 1000


@dataclass(frozen=True)
class ReadCursor:
    newest_ms: int = 0
    seen: dict[str, int] = field(default_factory=dict)

    @classmethod
    def load(cls, newest_ms: int, stored: list) -> ReadCursor:
        """From the two stored fields. Older rows stored only the ids read at `newest_ms`."""
        seen = {}
        for item in stored or []:
            if isinstance(item, list | tuple):
                seen[str(item[0])] = int(item[1])
            else:
                seen[str(item)] = newest_ms
        return cls(newest_ms, seen)

    @property
    def read_from_ms(self) -> int:
        # A cursor that has read nothing yet starts at its own time (a switch-on): nothing newer
        # was read that a late change could have been overtaken by.
        if not self.seen:
            return self.newest_ms
        return max(0, self.newest_ms - LOOKBACK_MS)

    def is_new(self, record_id: str, modified_ms: int) -> bool:
        """Whether this change of the record was not read before."""
        return self.seen.get(str(record_id)) != modified_ms

    def advanced(self, read: Iterable[tuple[str, int]]) -> ReadCursor:
        """The cursor after reading (id, modification time) pairs; forgets what falls out of
        the look-back window (a read never goes back that far again)."""
        seen = dict(self.seen)
        newest = self.newest_ms
        for record_id, modified_ms in read:
            seen[str(record_id)] = modified_ms
            newest = max(newest, modified_ms)
        floor = newest - LOOKBACK_MS
        return ReadCursor(newest, {key: ms for key, ms in seen.items() if ms >= floor})

    def stored(self) -> list[list]:
        """The `seen` part as stored in a JSON field: [[id, ms], ...], oldest first."""
        return [[key, ms] for key, ms in sorted(self.seen.items(), key=lambda kv: (kv[1], kv[0]))]


def ms_from_datetime(moment: dt.datetime) -> int:
    return int(moment.timestamp() * 1000)


def datetime_from_ms(ms: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(ms / 1000, tz=dt.UTC)
