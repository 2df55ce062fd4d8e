"""What one part of a booking's CRM work produced, and saving external ids at once."""

from __future__ import annotations

from dataclasses import dataclass

from meetings.models import Booking


@dataclass(frozen=True)
class StepResult:
    state: str
    reason: str = ""
    join_url_changed: bool = False


def ids_save(booking: Booking, **fields) -> None:
    """Store external ids right away (outside any claim check): they are facts about the vendor,
    and a retry must find them whatever happens to the rest of the run."""
    for name, value in fields.items():
        setattr(booking, name, value)
    Booking.objects.filter(pk=booking.pk).update(**fields)
