"""Pure functions from ledger facts to what HubSpot is sent.

Nothing here reads the database or calls a vendor: the sync feeds in ledger rows and gets back
values, so a re-sync, a changed exclusion or a backfill always computes the same thing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

# The HubSpot contact properties the product owns, in its own property group.
PROPERTY_GROUP = {"name": "meetbridge_zoom_webinars", "label": "Zoom webinars (Meetbridge)"}
PROP_AVG_PERCENT = "meetbridge_zoom_avg_attendance_pct"
PROP_LAST_REGISTERED = "meetbridge_zoom_last_registered_webinar"
PROP_REGISTRATIONS = "meetbridge_zoom_total_registrations"
PROP_ATTENDED = "meetbridge_zoom_total_webinars_attended"
PROPERTY_DEFINITIONS = [
    {
        "name": PROP_AVG_PERCENT,
        "label": "Average Zoom webinar attendance duration (%)",
        "type": "number",
        "fieldType": "number",
        "description": "Mean share of each attended Zoom webinar that the contact attended.",
    },
    {
        "name": PROP_LAST_REGISTERED,
        "label": "Last registered Zoom webinar",
        "type": "string",
        "fieldType": "text",
        "description": "Join URL of the Zoom webinar the contact registered for most recently.",
    },
    {
        "name": PROP_REGISTRATIONS,
        "label": "Total Zoom webinar registrations",
        "type": "number",
        "fieldType": "number",
        "description": "Zoom webinars the contact registered for (a recurring webinar once).",
    },
    {
        "name": PROP_ATTENDED,
        "label": "Total Zoom webinars attended",
        "type": "number",
        "fieldType": "number",
        "description": "Zoom webinars the contact attended (a recurring webinar counts once).",
    },
]


@dataclass(frozen=True)
class LedgerFact:
    """One ledger row reduced to what the rollups need."""

    email: str
    webinar_id: int
    webinar_url: str
    registered: bool  # approved or pending (a denied or cancelled registration does not count)
    registered_at: dt.datetime | None
    minutes_attended: int
    session_minutes: int


@dataclass(frozen=True)
class ContactRollup:
    email: str
    registrations: int
    webinars_attended: int
    average_percent: Decimal | None
    last_registered_url: str


def interval_minutes(intervals: Sequence[Sequence[str]]) -> tuple[int, str | None, str | None]:
    """Minutes present across [join, leave] ISO pairs, overlaps merged; plus first join/last leave.

    Zoom reports one row per join; a person with two devices or a reconnect has overlapping
    rows, which must not count twice.
    """
    spans = sorted(
        (
            dt.datetime.fromisoformat(join.replace("Z", "+00:00")),
            dt.datetime.fromisoformat(leave.replace("Z", "+00:00")),
        )
        for join, leave in intervals
        if join and leave
    )
    if not spans:
        return 0, None, None
    total = dt.timedelta()
    start, end = spans[0]
    for join, leave in spans[1:]:
        if join <= end:
            end = max(end, leave)
        else:
            total += end - start
            start, end = join, leave
    total += end - start
    first = min(j for j, _ in spans)
    last = max(leave for _, leave in spans)
    return round(total.total_seconds() / 60), _iso(first), _iso(last)


def attendance_percent(minutes: int, session_minutes: int) -> Decimal:
    if session_minutes <= 0 or minutes <= 0:
        return Decimal("0.0")
    share = min(Decimal(100), Decimal(minutes) * 100 / Decimal(session_minutes))
    return share.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def contact_rollups(facts: Iterable[LedgerFact]) -> dict[str, ContactRollup]:
    """Per email: registrations and attended webinars (each webinar once, however many
    occurrences), the mean attendance percentage over attended webinars (a webinar's own
    percentage being the mean over its attended occurrences), and the last registered URL."""
    by_email: dict[str, list[LedgerFact]] = defaultdict(list)
    for fact in facts:
        by_email[fact.email.lower()].append(fact)
    return {email: _rollup(email, rows) for email, rows in by_email.items()}


def _rollup(email: str, rows: list[LedgerFact]) -> ContactRollup:
    registered = {row.webinar_id for row in rows if row.registered}
    per_webinar: dict[int, list[Decimal]] = defaultdict(list)
    for row in rows:
        if row.minutes_attended > 0:
            per_webinar[row.webinar_id].append(
                attendance_percent(row.minutes_attended, row.session_minutes)
            )
    means = [sum(values) / len(values) for values in per_webinar.values()]
    average = (
        (sum(means) / len(means)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
        if means
        else None
    )
    registrations = [row for row in rows if row.registered]
    last = max(
        registrations,
        key=lambda row: (
            row.registered_at or dt.datetime.min.replace(tzinfo=dt.UTC),
            row.webinar_id,
        ),
        default=None,
    )
    return ContactRollup(
        email=email,
        registrations=len(registered),
        webinars_attended=len(per_webinar),
        average_percent=average,
        last_registered_url=last.webinar_url if last else "",
    )


def contact_properties(rollup: ContactRollup) -> dict[str, str]:
    """The HubSpot property values for one contact (strings, as HubSpot takes them)."""
    properties = {
        PROP_REGISTRATIONS: str(rollup.registrations),
        PROP_ATTENDED: str(rollup.webinars_attended),
    }
    if rollup.average_percent is not None:
        properties[PROP_AVG_PERCENT] = str(rollup.average_percent)
    if rollup.last_registered_url:
        properties[PROP_LAST_REGISTERED] = rollup.last_registered_url
    return properties


def stable_hash(value: object) -> str:
    """A hash of JSON-able data, for "was this already sent?" checks."""
    encoded = json.dumps(value, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(encoded.encode()).hexdigest()


def _iso(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
