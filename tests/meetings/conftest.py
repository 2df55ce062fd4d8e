from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from connectors.demo import sandbox_connect
from connectors.hubspot.sandbox import HubSpotSandbox
from connectors.zoom.sandbox import ZoomSandbox
from meetings.models import Booking, MeetingType
from tests.meetings.factories import host_make, meeting_type_make, token_make

ZOOM_HOST_EMAIL = "owner@meetbridge-sandbox.test"  # the sandbox Zoom account's owner


def api_client(token: str, scheme: str = "Bearer") -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"{scheme} {token}")
    return client


def crm_work_run(booking: Booking) -> Booking:
    """Deliver the booking's open CRM run now, as a worker would once its backoff (if any) has
    passed; returns the booking as the run left it."""
    from jobs.models import OPEN_STATUSES
    from meetings.crm import booking_crm_execute
    from meetings.models import BookingCrmRun

    run = (
        BookingCrmRun.objects.filter(booking_id=booking.pk, status__in=OPEN_STATUSES)
        .order_by("created_at", "pk")
        .first()
    )
    if run is not None:
        BookingCrmRun.objects.filter(pk=run.pk).update(not_before=None)
        booking_crm_execute(run.pk)
    booking.refresh_from_db()
    return booking


def in_days(days: float, hour: int = 10) -> dt.datetime:
    day = (timezone.now() + dt.timedelta(days=days)).replace(
        hour=hour, minute=0, second=0, microsecond=0
    )
    return day


def booking_body(meeting_type: MeetingType, start: dt.datetime, **extra) -> dict:
    return {
        "meeting_type": meeting_type.slug,
        "start": start.isoformat(),
        "invitee_email": "jane@example.com",
        "invitee_name": "Jane Doe",
        "company": "Acme",
        "answers": {"What do you need?": "A demo"},
        **extra,
    }


@pytest.fixture
def api(org_a):
    _, raw = token_make(org_a)
    return api_client(raw)


@pytest.fixture
def host_a(org_a):
    return host_make(org_a, email="alice@example.com", first_name="Alice")


@pytest.fixture
def meeting_type_a(org_a, host_a):
    return meeting_type_make(org_a, hosts=[host_a], slug="intro", duration_minutes=30)


@dataclass
class World:
    organization: object
    zoom: ZoomSandbox
    hubspot: HubSpotSandbox
    host: object
    meeting_type: MeetingType
    api: APIClient

    def book(self, start=None, **extra) -> Booking:
        response = self.api.post(
            "/api/v1/bookings/",
            booking_body(self.meeting_type, start or in_days(3), **extra),
            format="json",
        )
        assert response.status_code == 201, response.json()
        return Booking.objects.get(public_id=response.json()["id"])

    def hubspot_meetings(self) -> list:
        return [r for r in self.hubspot.objects["meetings"].values() if not r.archived]


@pytest.fixture
def world(sandbox, org_a, manager_a) -> World:
    return booking_world_make(sandbox, org_a, manager_a)


def booking_world_make(sandbox, org_a, manager_a) -> World:
    """Org A connected to the sandbox's Zoom and HubSpot; a host who is the Zoom account's owner
    and a HubSpot owner; a Zoom + HubSpot meeting type; an API client of org A."""
    zoom, hubspot = sandbox.fakes["zoom"], sandbox.fakes["hubspot"]
    for key in ("zoom", "hubspot"):
        sandbox_connect(organization=org_a, user=manager_a, provider_key=key)
    host = host_make(org_a, email=ZOOM_HOST_EMAIL, first_name="Olivia", last_name="Owner")
    hubspot.user_add(email=ZOOM_HOST_EMAIL, first="Olivia", last="Owner")
    meeting_type = meeting_type_make(
        org_a,
        hosts=[host],
        slug="demo",
        name="Product demo",
        duration_minutes=45,
        timezone="Europe/Berlin",
        video_conference=MeetingType.VideoConference.ZOOM,
        sync_to_hubspot=True,
        title_template="{meeting_type}: {invitee_name} ({company})",
        body_template="{invitee_email} at {start_time} with {host_name}\n{answers}",
    )
    _, raw = token_make(org_a)
    return World(org_a, zoom, hubspot, host, meeting_type, api_client(raw))
