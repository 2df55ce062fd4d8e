"""One HubSpot activity type's read: where it starts and how its cursor moves (shared by the
engagement and marketing streams). A backfill reads from its date and moves no cursor."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from sync.cursors import ReadCursor, ms_from_datetime, now_ms
from sync.models import ActivityTypeSetting


class TypeRead:
    def __init__(self, setting: ActivityTypeSetting, backfill_from: dt.datetime | None) -> None:
        self.setting = setting
        self.started = now_ms()
        if backfill_from is not None:
            self.cursor = None
            self.since, self.bar = ms_from_datetime(backfill_from), backfill_from
            return
        self.cursor = ReadCursor.load(setting.cursor_ms, setting.cursor_ids)
        floor = ms_from_datetime(setting.enabled_at) if setting.enabled_at else 0
        # `bar`: only what was created since the switch-on (or the backfill date) is created.
        self.since, self.bar = self.cursor.read_from(floor), setting.enabled_at

    def is_new(self, record_id: str, modified_ms: int) -> bool:
        return self.cursor is None or self.cursor.is_new(record_id, modified_ms)

    def advance(self, read: Iterable[tuple[str, int]]) -> None:
        """Move and store the cursor past a written chunk of (id, modification ms)."""
        if self.cursor is None:
            return
        self.cursor = self.cursor.advanced(read, started_ms=self.started)
        self.setting.cursor_ms, self.setting.cursor_ids = (
            self.cursor.newest_ms,
            self.cursor.stored(),
        )
        self.setting.save(update_fields=["cursor_ms", "cursor_ids"])
