"""Deterministic, realistic data for the Zoom sandbox (`ZoomSandbox.seed`).

One account: the owner plus licensed and basic users; licensed hosts get webinars of every kind
the product meets (past, upcoming, manual approval, recurring with fixed time, without
registration, created by Zoom Events), registrants in every status, attendance rows (rejoins,
guests without email), cloud recordings with transcripts (one still processing, one trashed)
and scheduled meetings. The same `seed` gives the same data on the same UTC day.
"""

from __future__ import annotations

import base64
import datetime as dt
import random
import string
from typing import TYPE_CHECKING, Any

from connectors.zoom.sandbox_webinars import format_time

if TYPE_CHECKING:
    from connectors.zoom.sandbox import ZoomSandbox

FIRST = (
    "Aino",
    "Ben",
    "Chen",
    "Dana",
    "Eero",
    "Fatima",
    "Goro",
    "Hanna",
    "Ivan",
    "Julia",
    "Kenji",
    "Lea",
    "Mateo",
    "Noor",
    "Oskar",
    "Priya",
    "Quinn",
    "Rosa",
    "Sami",
)
LAST = (
    "Virtanen",
    "Okafor",
    "Tanaka",
    "Muller",
    "Silva",
    "Kowalski",
    "Nguyen",
    "Haddad",
    "Larsen",
    "Moreau",
    "Ito",
    "Rossi",
    "Kim",
    "Fischer",
    "Lind",
)
DOMAINS = ("acme.example", "globex.example", "initech.example", "umbrella.example", "gmail.com")
KINDS = ("past", "upcoming", "recurring", "manual", "no_registration", "zoom_events")
TOPICS = {
    "past": "Product deep dive",
    "upcoming": "Quarterly roadmap",
    "recurring": "Weekly office hours",
    "manual": "Customer advisory board",
    "no_registration": "Open town hall",
    "zoom_events": "Summit keynote (Zoom Events)",
}
HEARD_ABOUT = {
    "title": "How did you hear about us?",
    "type": "single_radio",
    "required": True,
    "answers": ["Email", "LinkedIn", "A colleague"],
}


def seed_account(
    fake: ZoomSandbox,
    *,
    users: int = 5,
    webinars_per_user: int = 4,
    registrants_per_webinar: int = 40,
    meetings_per_user: int = 2,
    seed: int = 1,
) -> dict[str, Any]:
    """Fill `fake` (already cleared); returns the summary including the demo webinar ids."""
    rng = random.Random(seed)
    day = fake.now().replace(hour=0, minute=0, second=0, microsecond=0)
    hosts = [fake.users[fake.owner_id]]
    for index in range(1, users):
        first, last = FIRST[index % len(FIRST)], LAST[(index * 7) % len(LAST)]
        hosts.append(
            fake.user_add(
                user_id=_token(rng, 22),
                email=f"{first}.{last}@meetbridge-sandbox.test".lower(),
                first_name=first,
                last_name=last,
                user_type=1 if index % 4 == 3 else 2,  # every fourth user is Basic
            )
        )
    counter = 0
    for host in hosts:
        if host["type"] == 2:  # webinars need a licensed host (apis.md §3.2)
            for _ in range(webinars_per_user):
                kind = KINDS[counter % len(KINDS)]
                _webinar_seed(fake, rng, host, kind, day, counter, registrants_per_webinar)
                counter += 1
        for number in range(meetings_per_user):
            start = day + dt.timedelta(days=rng.randint(1, 20), hours=rng.randint(13, 20))
            fake.meeting_store(
                host,
                {
                    "topic": f"Discovery call #{number + 1}",
                    "type": 2,
                    "start_time": format_time(start),
                    "duration": 30,
                    "timezone": host["timezone"],
                },
                meeting_id=rng.randint(81_000_000_000, 89_999_999_999),
                uuid=_uuid(rng),
            )
    _recordings_mark(fake)
    return fake.summary()


def _webinar_seed(
    fake: ZoomSandbox,
    rng: random.Random,
    host: dict,
    kind: str,
    day: dt.datetime,
    counter: int,
    registrant_count: int,
) -> None:
    webinar_id = rng.randint(81_000_000_000, 99_999_999_999)
    past = kind in ("past", "no_registration")
    start = day + dt.timedelta(
        days=-rng.randint(2, 40) if past else rng.randint(3, 45), hours=15 + counter % 3
    )
    approval = {"manual": 1, "no_registration": 2}.get(kind, 0)
    join_url = f"https://us06web.zoom.us/j/{webinar_id}?pwd={_token(rng, 24)}"
    webinar: dict[str, Any] = {
        "uuid": _uuid(rng),
        "id": webinar_id,
        "host_id": host["id"],
        "host_email": host["email"],
        "topic": f"{TOPICS[kind]} {counter + 1}",
        "type": 9 if kind == "recurring" else 5,
        "start_time": format_time(start),
        "duration": 60,
        "timezone": host["timezone"],
        "agenda": f"{TOPICS[kind]} for customers and prospects.",
        "created_at": format_time(start - dt.timedelta(days=30)),
        "join_url": join_url,
        "password": _token(rng, 6),
        "is_simulive": False,
        "creation_source": "web_portal",
        "settings": {
            "approval_type": approval,
            "registration_type": 1,
            "close_registration": False,
            "registrants_email_notification": True,
            "registrants_confirmation_email": True,
            "auto_recording": "cloud",
            "on_demand": False,
        },
        "_questions": {
            "questions": [
                {"field_name": "last_name", "required": True},
                {"field_name": "org", "required": False},
                {"field_name": "job_title", "required": False},
            ],
            "custom_questions": [HEARD_ABOUT] if kind == "manual" else [],
        },
    }
    if approval != 2:
        webinar["registration_url"] = (
            f"https://us06web.zoom.us/webinar/register/WN_{_token(rng, 22)}"
        )
    if kind == "zoom_events":
        # [UNVERIFIED] Zoom documents no explicit "created by Zoom Events" field on webinars;
        # creation_source is one of other|open_api|web_portal (changelog 2024-11-18). Events
        # webinars are not created via the web portal or the API, and join on events.zoom.us.
        webinar["creation_source"] = "other"
        webinar["join_url"] = f"https://events.zoom.us/ejl/{_token(rng, 32)}"
    if kind == "recurring":
        # Weekly, two occurrences already held and three to come (type 9 = fixed time).
        first = day + dt.timedelta(days=-14, hours=16)
        webinar["start_time"] = format_time(first)
        webinar["recurrence"] = {"type": 2, "repeat_interval": 1, "end_times": 5}
        webinar["occurrences"] = [
            {
                "occurrence_id": str(int((first + dt.timedelta(weeks=w)).timestamp() * 1000)),
                "start_time": format_time(first + dt.timedelta(weeks=w)),
                "duration": 60,
                "status": "available",
            }
            for w in range(5)
        ]
    fake.webinars[webinar_id] = webinar
    registrants = [] if approval == 2 else _registrants_seed(rng, webinar, kind, registrant_count)
    fake.registrants[webinar_id] = registrants
    held = [start] if past else []
    if kind == "recurring":
        held = [first + dt.timedelta(weeks=w) for w in range(2)]
    for number, when in enumerate(held):
        uuid = _uuid(rng)
        if kind == "past" and "past_webinar_id" not in fake.demo:
            uuid = "/" + uuid[1:]  # Zoom UUIDs can begin with "/": double-encode in paths
        elif kind == "recurring" and number == 0 and "recurring_webinar_id" not in fake.demo:
            uuid = uuid[:6] + "//" + uuid[8:]
        instance = {"uuid": uuid, "start_time": format_time(when)}
        fake.instances.setdefault(webinar_id, []).append(instance)
        fake.participants[uuid] = _participants_seed(rng, registrants, when, kind)
        fake.recordings[uuid] = _recording_seed(rng, webinar, instance, host)
    fake.demo.setdefault(f"{kind}_webinar_id", webinar_id)


def _registrants_seed(
    rng: random.Random, webinar: dict, kind: str, count: int
) -> list[dict[str, Any]]:
    start = dt.datetime.fromisoformat(webinar["start_time"].replace("Z", "+00:00"))
    rows = []
    for index in range(count):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        email = f"{first}.{last}{index}@{rng.choice(DOMAINS)}".lower()
        status, cancelled_by = _status_pick(rng, index, manual=kind == "manual")
        rows.append(
            {
                "id": _token(rng, 22),
                "email": email,
                "first_name": first,
                "last_name": last,
                "org": email.split("@")[1].split(".")[0].title(),
                "job_title": rng.choice(("Manager", "Engineer", "Director", "Analyst")),
                "custom_questions": (
                    [{"title": HEARD_ABOUT["title"], "value": rng.choice(HEARD_ABOUT["answers"])}]
                    if kind == "manual"
                    else []
                ),
                "status": status,
                "create_time": format_time(start - dt.timedelta(hours=rng.randint(2, 600))),
                "join_url": f"{webinar['join_url']}&tk={_token(rng, 24)}",
                "_cancelled_by": cancelled_by,
                "_occurrence_ids": [o["occurrence_id"] for o in webinar.get("occurrences", [])],
            }
        )
    return rows


def _status_pick(rng: random.Random, index: int, *, manual: bool) -> tuple[str, str | None]:
    """(listed status, who cancelled). Every status appears in every registration webinar:
    a host cancel is listed as "denied"; a self-cancel ("cancelled") is listed nowhere."""
    forced = {0: ("denied", "host"), 1: ("cancelled", "registrant"), 2: ("denied", None)}
    if manual:
        forced[3] = ("pending", None)
    if index in forced:
        return forced[index]
    roll = rng.random()
    if manual and roll < 0.25:
        return "pending", None
    if roll > 0.92:
        return "cancelled", "registrant"
    if roll > 0.86:
        return "denied", rng.choice(("host", None))
    return "approved", None


def _participants_seed(
    rng: random.Random, registrants: list[dict], start: dt.datetime, kind: str
) -> list[dict[str, Any]]:
    """Report rows, one per join/leave interval: some attendees rejoin, guests have no email."""
    people = [
        (f"{r['first_name']} {r['last_name']}", r["email"], r["id"])
        for r in registrants
        if r["status"] == "approved" and rng.random() < 0.65
    ]
    if kind == "no_registration":  # signed-in Zoom users keep their email, guests do not
        people = [
            (f"{rng.choice(FIRST)} {rng.choice(LAST)}", f"attendee{n}@{rng.choice(DOMAINS)}", "")
            for n in range(8)
        ]
    people += [(f"Guest {n + 1}", "", "") for n in range(3)]
    rows = []
    for name, email, registrant_id in people:
        person_id = _token(rng, 22) if email else ""
        joined = start + dt.timedelta(minutes=rng.randint(0, 10))
        intervals = [(joined, joined + dt.timedelta(minutes=rng.randint(5, 45)))]
        if rng.random() < 0.2:  # dropped out and came back
            back = intervals[0][1] + dt.timedelta(minutes=rng.randint(1, 5))
            intervals.append((back, back + dt.timedelta(minutes=rng.randint(5, 10))))
        for join, leave in intervals:
            rows.append(
                {
                    "id": person_id,
                    "user_id": str(rng.randint(16_000_000, 16_999_999)),
                    "name": name,
                    "user_email": email,
                    "join_time": format_time(join),
                    "leave_time": format_time(leave),
                    "duration": int((leave - join).total_seconds()),
                    "registrant_id": registrant_id,
                    "status": "in_meeting",
                    "failover": False,
                    "customer_key": "",
                }
            )
    rows.sort(key=lambda row: row["join_time"])
    return rows


def _recording_seed(
    rng: random.Random, webinar: dict, instance: dict, host: dict
) -> dict[str, Any]:
    start = dt.datetime.fromisoformat(instance["start_time"].replace("Z", "+00:00"))
    end = start + dt.timedelta(minutes=webinar["duration"])
    share = _token(rng, 40)
    files = []
    for file_type, extension, recording_type, size in (
        ("MP4", "MP4", "shared_screen_with_speaker_view", 48_000_000),
        ("M4A", "M4A", "audio_only", 9_000_000),
        ("TRANSCRIPT", "VTT", "audio_transcript", 60_000),
        ("CHAT", "TXT", "chat_file", 2_000),
    ):
        file_id = f"{_token(rng, 8)}-{_token(rng, 4)}-{_token(rng, 12)}".lower()
        files.append(
            {
                "id": file_id,
                "meeting_id": instance["uuid"],
                "recording_start": format_time(start),
                "recording_end": format_time(end),
                "file_type": file_type,
                "file_extension": extension,
                "file_size": size,
                "play_url": f"https://us06web.zoom.us/rec/play/{file_id}",
                "download_url": f"https://us06web.zoom.us/rec/download/{file_id}",
                "status": "completed",
                "recording_type": recording_type,
            }
        )
    # TIMELINE files lack id, status, file_size, recording_type and play_url (apis.md §3.5).
    files.append(
        {
            "meeting_id": instance["uuid"],
            "recording_start": format_time(start),
            "recording_end": format_time(end),
            "file_type": "TIMELINE",
            "file_extension": "JSON",
            "download_url": f"https://us06web.zoom.us/rec/download/{_token(rng, 32)}",
        }
    )
    passcode = _token(rng, 8)
    return {
        "uuid": instance["uuid"],
        "id": webinar["id"],
        "account_id": host["account_id"],
        "host_id": host["id"],
        "topic": webinar["topic"],
        "type": webinar["type"],
        "start_time": instance["start_time"],
        "timezone": webinar["timezone"],
        "duration": webinar["duration"],
        "total_size": sum(f.get("file_size", 0) for f in files),
        "recording_count": len(files),
        "share_url": f"https://us06web.zoom.us/rec/share/{share}",
        "password": passcode,
        "recording_play_passcode": _token(rng, 32),
        "recording_files": files,
        "_trashed": False,
    }


def _recordings_mark(fake: ZoomSandbox) -> None:
    """The newest recording is still processing (no transcript yet); the oldest is trashed."""
    if len(fake.recordings) < 2:
        return
    ordered = sorted(fake.recordings.values(), key=lambda r: r["start_time"])
    oldest, newest = ordered[0], ordered[-1]
    newest["recording_files"] = [
        {**f, "status": "processing"}
        for f in newest["recording_files"]
        if f["file_type"] in ("MP4", "M4A")
    ]
    newest["recording_count"] = len(newest["recording_files"])
    oldest["_trashed"] = True
    fake.demo["processing_recording_uuid"] = newest["uuid"]
    fake.demo["trashed_recording_uuid"] = oldest["uuid"]


def _token(rng: random.Random, length: int) -> str:
    return "".join(rng.choices(string.ascii_letters + string.digits, k=length))


def _uuid(rng: random.Random) -> str:
    """A Zoom instance UUID: base64 of 16 bytes, e.g. "4444AAAiAAAAAiAiAiiAii=="."""
    return base64.b64encode(rng.randbytes(16)).decode()
