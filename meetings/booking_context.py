"""What booking a meeting type needs before it writes: the type, its hosts, its routing rules and
which of the organisation's connections are active (selector, cached per process).

This is configuration, read on every booking and changed rarely (in the admin), so each process
keeps it for `MEETINGS_BOOKING_CONTEXT_TTL` seconds (default 5): four queries a few times a
minute instead of on every request. A change saved in this process clears the cache at once
(signals, connected in `MeetingsConfig.ready`); another process sees it within the TTL. What must
be exact is never cached: whether a host is free, and who was booked last, are read inside the
booking's transaction (`meetings.bookings`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save

from accounts.models import Membership
from connectors.installations import connected_providers
from connectors.models import Connection
from meetings.models import MeetingType, RoutingRule


@dataclass(frozen=True)
class BookingContext:
    """Shared by every request of the process for its TTL: read its model instances, never
    change them (a booking may point at them, as it does at any related row)."""

    meeting_type: MeetingType
    hosts: tuple  # active users who are members of the organisation, in primary-key order
    rules: tuple[RoutingRule, ...]
    zoom_connected: bool
    hubspot_connected: bool

    def host_by_email(self, email: str):
        wanted = email.casefold()
        return next((host for host in self.hosts if host.email.casefold() == wanted), None)


# (organization id, slug) -> (monotonic expiry, context). Shared by the process's threads: a
# plain dict's get and set are atomic, and two threads filling one entry both store the same.
_cache: dict[tuple[int, str], tuple[float, BookingContext]] = {}


def booking_context(*, organization_id: int, slug: str) -> BookingContext | None:
    """The context of the organisation's active meeting type `slug`, or None (unknown/inactive;
    not cached, so a type created a moment ago is bookable at once)."""
    key = (organization_id, slug)
    cached = _cache.get(key)
    if cached is not None and cached[0] > time.monotonic():
        return cached[1]
    context = _booking_context_read(organization_id, slug)
    if context is not None:
        _cache[key] = (time.monotonic() + settings.MEETINGS_BOOKING_CONTEXT_TTL, context)
    return context


def booking_context_clear() -> None:
    _cache.clear()


def _changed(**_signal) -> None:
    _cache.clear()
    # Again once the change commits: a booking in between may have cached the old state.
    transaction.on_commit(_cache.clear)


def _booking_context_read(organization_id: int, slug: str) -> BookingContext | None:
    meeting_type = (
        MeetingType.objects.filter(organization_id=organization_id, slug=slug, active=True)
        .order_by("pk")
        .first()
    )
    if meeting_type is None:
        return None
    hosts = (
        get_user_model()
        .objects.filter(
            hosted_meeting_types=meeting_type,
            is_active=True,
            memberships__organization_id=organization_id,
        )
        .order_by("pk")
    )
    connected = connected_providers(organization_id=organization_id)
    return BookingContext(
        meeting_type=meeting_type,
        hosts=tuple(hosts),
        rules=tuple(meeting_type.routing_rules.order_by("order", "pk")),
        zoom_connected="zoom" in connected,
        hubspot_connected="hubspot" in connected,
    )


def booking_context_signals_connect() -> None:
    """Clear the cache when anything it holds is saved or deleted in this process."""
    uid = "meetings.booking_context"
    for model in (MeetingType, RoutingRule, Connection, Membership, get_user_model()):
        post_save.connect(_changed, sender=model, dispatch_uid=uid)
        post_delete.connect(_changed, sender=model, dispatch_uid=uid)
    m2m_changed.connect(_changed, sender=MeetingType.hosts.through, dispatch_uid=uid)
