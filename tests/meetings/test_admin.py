"""Meetings in the admin: host warnings before they bite, tokens shown once, bookings read-only."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django_q.models import OrmQ

from jobs.tasks import run_execute
from meetings.models import Booking, MeetingType, OrganizationApiToken, WorkState
from meetings.tokens import api_token_resolve
from tests.factories import user_make
from tests.meetings.factories import booking_make, host_make, meeting_type_make

pytestmark = pytest.mark.django_db


def _calls(fake, path_part: str) -> int:
    return sum(1 for _, path in fake.request_log if path_part in path)


def test_hosts_without_a_zoom_user_or_hubspot_owner_are_warned_about(client, world, manager_a):
    stranger = host_make(world.organization, email="nobody@example.com")
    world.meeting_type.hosts.add(stranger)
    second = meeting_type_make(world.organization, hosts=[stranger], slug="two")
    second.video_conference = MeetingType.VideoConference.ZOOM
    second.save()
    client.force_login(manager_a)
    zoom_before, owners_before = _calls(world.zoom, "/v2/users"), _calls(world.hubspot, "/owners")
    change = client.get(reverse("admin:meetings_meetingtype_change", args=[world.meeting_type.pk]))
    shown = [str(m) for m in change.context["messages"]]
    assert shown == [
        "nobody@example.com is not a user of the connected Zoom account: no Zoom link.",
        "nobody@example.com is not a HubSpot owner: meetings get no owner.",
    ]
    listing = client.get(reverse("admin:meetings_meetingtype_changelist"))
    assert "is not a user of the connected Zoom account" in listing.content.decode()
    # One Zoom users list and one owners list for every host of every type, cached.
    assert _calls(world.zoom, "/v2/users") - zoom_before == 1
    assert _calls(world.hubspot, "/owners") - owners_before == 1


def test_no_warnings_when_every_host_matches(client, world, manager_a):
    client.force_login(manager_a)
    change = client.get(reverse("admin:meetings_meetingtype_change", args=[world.meeting_type.pk]))
    assert list(change.context["messages"]) == []


def test_a_disconnected_vendor_is_a_warning_too(client, org_a, manager_a):
    meeting_type = meeting_type_make(
        org_a, video_conference=MeetingType.VideoConference.ZOOM, sync_to_hubspot=True
    )
    client.force_login(manager_a)
    change = client.get(reverse("admin:meetings_meetingtype_change", args=[meeting_type.pk]))
    assert [str(m) for m in change.context["messages"]] == [
        "Zoom is not connected: connect it under Connections.",
        "HubSpot is not connected: connect it under Connections.",
    ]


def test_hosts_must_be_members_of_the_organisation(client, org_a, org_b, manager_a):
    outsider = host_make(org_b)
    user_make(org_b, role="member")
    meeting_type = meeting_type_make(org_a)
    form_class = _admin_form(client, manager_a, meeting_type)
    form = form_class(
        data={
            "organization": org_a.pk,
            "name": "x",
            "slug": "x",
            "duration_minutes": 30,
            "hosts": [outsider.pk],
            "timezone": "UTC",
            "video_conference": "none",
            "title_template": "{invitee_name}",
            "body_template": "{nope}",
        },
        instance=meeting_type,
    )
    assert not form.is_valid()
    assert "hosts" in form.errors  # the outsider is not even offered
    assert "Unknown placeholder(s) nope" in form.errors["body_template"][0]


def _admin_form(client, user, meeting_type):
    from django.contrib import admin
    from django.test import RequestFactory

    request = RequestFactory().get("/")
    request.user = user
    return admin.site._registry[MeetingType].get_form(request, meeting_type)


def test_a_new_token_is_shown_once_and_only_its_hash_is_kept(client, org_a, manager_a):
    client.force_login(manager_a)
    response = client.post(
        reverse("admin:meetings_organizationapitoken_add"),
        {"organization": org_a.pk, "name": "website"},
        follow=True,
    )
    [message] = [str(m) for m in response.context["messages"] if "copy it now" in str(m)]
    raw = message.split("<code>")[1].split("</code>")[0]
    token = OrganizationApiToken.objects.get()
    assert token.created_by == manager_a
    assert api_token_resolve(raw) == token
    page = client.get(reverse("admin:meetings_organizationapitoken_change", args=[token.pk]))
    assert raw not in page.content.decode()


def test_members_cannot_create_tokens(client, org_a):
    member = user_make(org_a, role="member")
    client.force_login(member)
    response = client.post(
        reverse("admin:meetings_organizationapitoken_add"),
        {"organization": org_a.pk, "name": "website"},
    )
    assert response.status_code == 403
    assert not OrganizationApiToken.objects.exists()


def test_bookings_are_read_only_with_their_crm_states(client, org_a, manager_a):
    booking = booking_make(org_a, zoom_reason="host x is not a user of the connected Zoom account")
    client.force_login(manager_a)
    page = client.get(reverse("admin:meetings_booking_change", args=[booking.pk]))
    assert page.status_code == 200
    assert "is not a user of the connected Zoom account" in page.content.decode()
    assert not page.context["has_change_permission"]
    client.post(
        reverse("admin:meetings_booking_change", args=[booking.pk]), {"status": "cancelled"}
    )
    assert Booking.objects.get().status == Booking.Status.CONFIRMED


def _retry(client, *bookings):
    return client.post(
        reverse("admin:meetings_booking_changelist"),
        {"action": "retry_crm_work", "_selected_action": [b.pk for b in bookings]},
        follow=True,
    )


def test_a_manager_retries_failed_crm_work_and_the_worker_does_it(client, world, manager_a):
    booking = world.book()
    Booking.objects.filter(pk=booking.pk).update(
        hubspot_state=WorkState.FAILED, hubspot_reason="gave up after 6 attempts"
    )
    OrmQ.objects.all().delete()
    client.force_login(manager_a)
    page = _retry(client, booking)
    assert "1 booking(s) queued again." in page.content.decode()
    booking.refresh_from_db()
    assert booking.hubspot_state == WorkState.PENDING
    assert booking.hubspot_reason == "queued again from the admin"
    [task] = OrmQ.objects.all()
    assert task.task["args"][0] == "booking-crm"
    run_execute(*task.task["args"])
    booking.refresh_from_db()
    assert booking.hubspot_state == WorkState.DONE
    assert len(world.hubspot_meetings()) == 1


def test_retry_leaves_bookings_with_nothing_failed_alone(client, org_a, manager_a):
    booking = booking_make(org_a)  # no video, no HubSpot: both parts skipped
    client.force_login(manager_a)
    page = _retry(client, booking)
    assert "0 booking(s) queued again. 1 had nothing failed or pending." in page.content.decode()
    assert not OrmQ.objects.exists()


def test_members_cannot_retry_crm_work(client, org_a):
    booking = booking_make(org_a, zoom_state=WorkState.FAILED)
    member = user_make(org_a, role="member")
    client.force_login(member)
    changelist = client.get(reverse("admin:meetings_booking_changelist"))
    assert "retry_crm_work" not in changelist.content.decode()
    _retry(client, booking)
    booking.refresh_from_db()
    assert booking.zoom_state == WorkState.FAILED
    assert not OrmQ.objects.exists()


def test_host_check_calls_carry_the_meeting_type(client, world, manager_a):
    from connectors.models import ApiCall

    client.force_login(manager_a)
    before = ApiCall.objects.count()
    client.get(reverse("admin:meetings_meetingtype_change", args=[world.meeting_type.pk]))
    calls = list(ApiCall.objects.order_by("pk"))[before:]
    assert {call.provider for call in calls} == {"zoom", "hubspot"}
    assert {call.context for call in calls} == {f"admin:host-check:{world.meeting_type.pk}"}
