"""What every run's admin screen shows of the lifecycle: one layout for every kind of run."""

from __future__ import annotations

LIFECYCLE_FIELDSETS = [
    (
        "Problem",
        {"fields": ["problem", "problem_provider", "problem_message"]},
    ),
    (
        "Progress",
        {"fields": ["progress_phase", "progress_done", "progress_total", "progress_at"]},
    ),
    (
        "When",
        {
            "fields": [
                "created_at",
                "not_before",
                "enqueued_at",
                "started_at",
                "finished_at",
                "attempts",
            ]
        },
    ),
]


def run_fieldsets(*target: str, counts: list[str] | tuple[str, ...] = ()) -> list:
    """A run's detail page: what it is for (`target` fields), how it went, its counts."""
    what = ["organization", *target, "trigger", "status", "requested_by", "rerun_requested"]
    fieldsets = [(None, {"fields": [*what, "summary"]}), *LIFECYCLE_FIELDSETS]
    if counts:
        fieldsets.append(("Counts", {"fields": list(counts)}))
    return fieldsets


def run_readonly_fields(fieldsets: list) -> list[str]:
    return [name for _, options in fieldsets for name in options["fields"]]
