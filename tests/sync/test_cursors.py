"""The incremental read cursor shared by every polled feed (sync/cursors.py)."""

from __future__ import annotations

from sync.cursors import LOOKBACK_MS, ReadCursor

T = 1_800_000_000_000


def test_a_fresh_cursor_starts_at_its_own_time():
    assert ReadCursor(T).read_from_ms == T


def test_after_reading_the_next_read_goes_back_by_the_look_back():
    cursor = ReadCursor(T).advanced([("a", T + 10), ("b", T + 20)])
    assert (cursor.newest_ms, cursor.read_from_ms) == (T + 20, T + 20 - LOOKBACK_MS)


def test_a_change_read_before_is_skipped_and_a_later_change_is_not():
    cursor = ReadCursor(T).advanced([("a", T + 10)])
    assert not cursor.is_new("a", T + 10)
    assert cursor.is_new("a", T + 11)
    assert cursor.is_new("b", T + 5)  # stamped earlier, seen only now


def test_what_falls_out_of_the_look_back_is_forgotten():
    cursor = ReadCursor(T).advanced([("old", T), ("new", T + LOOKBACK_MS + 1)])
    assert cursor.stored() == [["new", T + LOOKBACK_MS + 1]]


def test_rows_stored_before_the_look_back_load_their_ids_at_the_cursor_time():
    cursor = ReadCursor.load(T, ["a", "b"])
    assert cursor.seen == {"a": T, "b": T}
    assert ReadCursor.load(cursor.newest_ms, cursor.stored()) == cursor
