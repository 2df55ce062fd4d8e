"""django-q2 task entry points: thin wrappers that take ids and call one service."""

from __future__ import annotations


def booking_crm_sync(booking_id: int) -> str:
    from meetings.crm import booking_crm_execute

    return booking_crm_execute(booking_id)
