"""The booking-notification templates: HubSpot meeting (and Zoom topic) title and body."""

from __future__ import annotations

import string
import zoneinfo
from typing import Any

from meetings.models import TEMPLATE_PLACEHOLDERS, Booking


class _Lenient(dict):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def template_context(booking: Booking) -> dict[str, str]:
    meeting_type = booking.meeting_type
    local = booking.start_at.astimezone(zoneinfo.ZoneInfo(meeting_type.timezone))
    host = booking.host
    return {
        "invitee_name": booking.invitee_name,
        "invitee_email": booking.invitee_email,
        "company": booking.invitee_company,
        "answers": answers_text(booking.answers),
        "start_time": f"{local:%Y-%m-%d %H:%M} ({meeting_type.timezone})",
        "meeting_type": meeting_type.name,
        "host_name": host.get_full_name() or host.get_username(),
    }


def answers_text(answers: Any) -> str:
    if isinstance(answers, dict):
        return "\n".join(f"{question}: {answer}" for question, answer in answers.items())
    if isinstance(answers, list):
        return "\n".join(str(item) for item in answers)
    return "" if answers is None else str(answers)


def render(template: str, context: dict[str, str]) -> str:
    """Fill the known placeholders; anything else (or a malformed template) stays as written."""
    assert set(context) <= set(TEMPLATE_PLACEHOLDERS)
    try:
        return string.Formatter().vformat(template, (), _Lenient(context))
    except (ValueError, IndexError, AttributeError, KeyError):
        return template


def booking_title(booking: Booking) -> str:
    return render(booking.meeting_type.title_template, template_context(booking)).strip()


def booking_body(booking: Booking) -> str:
    return render(booking.meeting_type.body_template, template_context(booking)).strip()
