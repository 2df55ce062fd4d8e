"""Every kind of background run: key → dotted path of its `jobs.lifecycle.RunBody`, imported
lazily. A new kind adds its run model, its body and one line here; the sweeper and the task
entry point then know it, and tests/jobs/test_run_kinds.py checks it like every other."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

from django.utils.module_loading import import_string

if TYPE_CHECKING:
    from jobs.lifecycle import RunBody

RUN_KINDS: dict[str, str] = {
    "webinar-sync": "sync.webinars.execution.WebinarSync",
    "activity-sync": "sync.activities.execution.ActivitySync",
    "crm-property-sync": "sync.crm_properties.execution.CrmPropertySync",
    "booking-crm": "meetings.crm.BookingCrm",
}


@cache
def run_kind(key: str) -> type[RunBody]:
    """The body class of kind `key`; KeyError for an unknown kind."""
    body = import_string(RUN_KINDS[key])
    assert body.key == key, f"{RUN_KINDS[key]}.key is {body.key!r}, registered as {key!r}"
    return body


def run_kinds() -> list[type[RunBody]]:
    return [run_kind(key) for key in RUN_KINDS]
