"""Builders for meetings rows. Each returns saved rows."""

from __future__ import annotations

import datetime as dt
import itertools

from django.utils import timezone

from accounts.models import Organization, Role
from meetings.models import Booking, MeetingType, OrganizationApiToken
from meetings.tokens import api_token_create
from tests.factories import user_make

_counter = itertools.count(1)


def host_make(organization: Organization, email: str | None = None, **names):
    user = user_make(organization, role=Role.MEMBER, staff=False)
    user.email = email or user.email
    user.first_name = names.get("first_name", "")
    user.last_name = names.get("last_name", "")
    user.save(update_fields=["email", "first_name", "last_name"])
    return user


def meeting_type_make(
    organization: Organization, *, hosts=None, slug: str | None = None, **fields
) -> MeetingType:
    n = next(_counter)
    meeting_type = MeetingType.objects.create(
        organization=organization,
        name=fields.pop("name", f"Intro call {n}"),
        slug=slug or f"intro-{n}",
        **fields,
    )
    meeting_type.hosts.set(hosts if hosts is not None else [host_make(organization)])
    return meeting_type


def booking_make(organization: Organization, *, meeting_type=None, **fields) -> Booking:
    meeting_type = meeting_type or meeting_type_make(organization)
    start = fields.pop("start_at", timezone.now() + dt.timedelta(days=next(_counter)))
    return Booking.objects.create(
        organization=organization,
        meeting_type=meeting_type,
        host=fields.pop("host", None) or meeting_type.hosts.first(),
        start_at=start,
        end_at=start + dt.timedelta(minutes=meeting_type.duration_minutes),
        invitee_email=fields.pop("invitee_email", "jane@example.com"),
        invitee_name=fields.pop("invitee_name", "Jane Doe"),
        **fields,
    )


def token_make(organization: Organization, name: str = "website") -> tuple:
    """(token row, raw token)."""
    return api_token_create(organization=organization, name=name)


def token_row_make(organization: Organization) -> OrganizationApiToken:
    return token_make(organization)[0]
