"""The incremental read cursor shared by every polled feed (sync/cursors.py)."""

from __future__ import annotations

from sync.cursors import LOOKBACK_MS, MAX_SEEN, ReadCursor

T = 1_800_000_000_000
MINUTE = 60_000


def test_a_fresh_cursor_starts_at_its_own_time_and_never_before_the_floor():
    cursor = ReadCursor.load(T, [])
    assert cursor.read_from() == T
    assert ReadCursor.load(T - MINUTE, []).read_from(floor_ms=T) == T


def test_caught_up_the_next_read_starts_the_look_back_before_the_read_began():
    cursor = ReadCursor.load(T, []).advanced([("a", T + 10), ("b", T + 20)], started_ms=T + 30)
    assert cursor.newest_ms == T + 20
    assert cursor.read_from() == T  # not before where it started
    later = cursor.advanced([("c", T + 9 * MINUTE)], started_ms=T + 10 * MINUTE)
    assert later.read_from() == T + 10 * MINUTE - LOOKBACK_MS
    assert sorted(later.seen) == ["c"]  # what is older than the next start is forgotten


def test_catching_up_a_backlog_remembers_only_the_newest_instant():
    cursor = ReadCursor.load(T, []).advanced(
        [("a", T + 1), ("b", T + 2), ("c", T + 2)], started_ms=T + 60 * MINUTE
    )
    assert cursor.read_from() == T + 2
    assert cursor.seen == {"b": T + 2, "c": T + 2}


def test_a_change_read_before_is_skipped_and_a_later_change_is_not():
    cursor = ReadCursor.load(T, []).advanced([("a", T + 10)], started_ms=T + 20)
    assert not cursor.is_new("a", T + 10)
    assert cursor.is_new("a", T + 11)
    assert cursor.is_new("b", T + 5)  # stamped earlier, seen only now


def test_a_burst_keeps_at_most_max_seen_and_starts_after_what_it_forgot():
    read = [(str(n), T + n) for n in range(MAX_SEEN + 500)]
    cursor = ReadCursor.load(T, []).advanced(read, started_ms=T + 1000)
    assert len(cursor.seen) <= MAX_SEEN
    # The next read starts at the oldest change still remembered: nothing older is read again.
    assert cursor.read_from() == min(cursor.seen.values())
    assert cursor.read_from() > T + 500


def test_rows_stored_before_the_look_back_resume_at_their_newest_time():
    legacy = ReadCursor.load(T, ["a", "b"])
    assert (legacy.read_from(), legacy.seen) == (T, {"a": T, "b": T})
    again = ReadCursor.load(legacy.newest_ms, legacy.stored())
    assert again == legacy


def test_many_changes_at_one_instant_are_all_remembered():
    # A read stopped between chunks resumes inside that instant: none may be read twice.
    read = [(str(n), T + 5) for n in range(MAX_SEEN + 1)]
    cursor = ReadCursor.load(T, []).advanced(read, started_ms=T + 60 * MINUTE)
    assert (cursor.read_from(), len(cursor.seen)) == (T + 5, MAX_SEEN + 1)
