"""A benchmark-sized Zoom account: one past webinar with N registrants and M attendees.

Used by `manage.py bench_webinar_sync` through the control API
(`POST /_sandbox/seed {"vendor": "zoom", "bench_registrants": N, "bench_attendees": M}`).
"""

from __future__ import annotations

import datetime as dt
import random
from typing import TYPE_CHECKING, Any

from connectors.zoom.sandbox_seed import _token, _uuid, format_time

if TYPE_CHECKING:
    from connectors.zoom.sandbox import ZoomSandbox

BENCH_WEBINAR_ID = 88_800_000_001


def bench_webinar_seed(
    fake: ZoomSandbox, *, bench_registrants: int, bench_attendees: int, seed: int = 7
) -> dict[str, Any]:
    """Fill the (cleared) fake with the benchmark webinar; returns the summary."""
    rng = random.Random(seed)
    host = fake.users[fake.owner_id]
    start = fake.now().replace(minute=0, second=0, microsecond=0) - dt.timedelta(days=2)
    join_url = f"https://us06web.zoom.us/j/{BENCH_WEBINAR_ID}?pwd={_token(rng, 24)}"
    fake.webinars[BENCH_WEBINAR_ID] = {
        "uuid": _uuid(rng),
        "id": BENCH_WEBINAR_ID,
        "host_id": host["id"],
        "host_email": host["email"],
        "topic": "Benchmark webinar",
        "type": 5,
        "start_time": format_time(start),
        "duration": 60,
        "timezone": host["timezone"],
        "created_at": format_time(start - dt.timedelta(days=30)),
        "join_url": join_url,
        "registration_url": f"https://us06web.zoom.us/webinar/register/WN_{_token(rng, 22)}",
        "creation_source": "web_portal",
        "settings": {"approval_type": 0, "registration_type": 1},
        "_questions": {"questions": [], "custom_questions": []},
    }
    registrants = [
        {
            "id": f"r{index}",
            "email": f"person{index}@bench{index % 50}.example",
            "first_name": "Person",
            "last_name": str(index),
            "status": "approved",
            "create_time": format_time(start - dt.timedelta(hours=1 + index % 500)),
            "join_url": f"{join_url}&tk=r{index}",
            "custom_questions": [],
        }
        for index in range(bench_registrants)
    ]
    fake.registrants[BENCH_WEBINAR_ID] = registrants
    uuid = _uuid(rng)
    fake.instances[BENCH_WEBINAR_ID] = [{"uuid": uuid, "start_time": format_time(start)}]
    rows = []
    for registrant in registrants[:bench_attendees]:
        joined = start + dt.timedelta(minutes=rng.randint(0, 10))
        left = joined + dt.timedelta(minutes=rng.randint(5, 50))
        rows.append(
            {
                "id": registrant["id"],
                "user_id": registrant["id"],
                "name": f"Person {registrant['last_name']}",
                "user_email": registrant["email"],
                "join_time": format_time(joined),
                "leave_time": format_time(left),
                "duration": int((left - joined).total_seconds()),
                "registrant_id": registrant["id"],
                "status": "in_meeting",
            }
        )
    fake.participants[uuid] = rows
    fake.demo["bench_webinar_id"] = BENCH_WEBINAR_ID
    return {**fake.summary(), "participant_rows": len(rows)}
