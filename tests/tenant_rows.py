"""One builder per tenant model registered in the admin: `builder(org) -> saved row of org`.

The admin tenancy walk (tests/accounts/test_admin_tenancy.py) creates a row of every registered
tenant model for two organisations and proves one cannot reach the other's. Registering a tenant
admin without adding its builder here fails that test on purpose.
"""

from __future__ import annotations

from collections.abc import Callable

from django.db.models import Model

from accounts.models import Membership, Organization, Role
from connectors.models import ApiCall, Connection, ConnectionEvent, PendingRevocation
from meetings.models import Booking, MeetingType, OrganizationApiToken
from sync.activities.configuration import activity_settings_ensure
from sync.models import (
    ActivityFinding,
    ActivityLink,
    ActivitySyncRun,
    ActivitySyncSettings,
    ActivityUserMapping,
    Attendance,
    ContactExclusion,
    ContactSyncState,
    CrmRecord,
    CrmSyncRun,
    CrmSyncSettings,
    RecordingExclusion,
    SyncFinding,
    SyncRun,
    Webinar,
    WebinarSyncSettings,
    WorkflowActionExecution,
    ZoomUser,
)
from tests.factories import user_make
from tests.meetings.factories import booking_make, meeting_type_make, token_row_make
from tests.sync.factories import (
    attendance_make,
    contact_exclusion_make,
    contact_state_make,
    finding_make,
    recording_exclusion_make,
    run_make,
    session_make,
    sync_settings_make,
    webinar_make,
    zoom_user_make,
)


def _webinar(org: Organization) -> Webinar:
    """One hosted webinar per organisation, shared by the rows that hang off a webinar."""
    webinar = Webinar.objects.filter(organization=org).first()
    return webinar or webinar_make(org, host=zoom_user_make(org))


def _connection(org: Organization) -> Connection:
    connection, _ = Connection.objects.get_or_create(
        organization=org,
        provider="zoom",
        defaults={"external_account_id": f"acct-{org.pk}", "display_name": f"Zoom of {org}"},
    )
    return connection


TENANT_ROW_BUILDERS: dict[type[Model], Callable[[Organization], Model]] = {
    Organization: lambda org: org,
    Membership: lambda org: Membership.objects.get(
        user=user_make(org, role=Role.MEMBER), organization=org
    ),
    Connection: _connection,
    ConnectionEvent: lambda org: ConnectionEvent.objects.create(
        organization=org, connection=_connection(org), kind=ConnectionEvent.Kind.TESTED
    ),
    ApiCall: lambda org: ApiCall.objects.create(
        organization=org, provider="zoom", method="GET", path_template="/users/me", status=200
    ),
    PendingRevocation: lambda org: PendingRevocation.objects.create(
        organization=org, provider="zoom", token_ciphertext="x"
    ),
    WebinarSyncSettings: sync_settings_make,
    ZoomUser: lambda org: _webinar(org).host,
    Webinar: _webinar,
    ContactExclusion: contact_exclusion_make,
    RecordingExclusion: recording_exclusion_make,
    SyncRun: lambda org: run_make(_webinar(org)),
    SyncFinding: lambda org: finding_make(run_make(_webinar(org)), ["jane@example.com"]),
    ContactSyncState: lambda org: contact_state_make(org, "jane@example.com"),
    Attendance: lambda org: attendance_make(session_make(_webinar(org)), minutes_attended=30),
    WorkflowActionExecution: lambda org: WorkflowActionExecution.objects.create(
        organization=org,
        callback_id=f"ap-tenant-{org.pk}",
        portal_id="48151623",
        email="jane@example.com",
        zoom_webinar_id=_webinar(org).zoom_webinar_id,
        webinar=_webinar(org),
        state=WorkflowActionExecution.State.FAILED,
        reason=WorkflowActionExecution.Reason.WEBINAR_OVER,
    ),
    CrmSyncSettings: lambda org: CrmSyncSettings.objects.create(
        organization=org, company_properties=["industry"]
    ),
    CrmSyncRun: lambda org: CrmSyncRun.objects.create(
        organization=org, trigger=CrmSyncRun.Trigger.NIGHTLY, status=CrmSyncRun.Status.SUCCEEDED
    ),
    CrmRecord: lambda org: CrmRecord.objects.create(
        organization=org,
        object_type=CrmRecord.ObjectType.CONTACT,
        hubspot_id=f"9{org.pk}",
        email="jane@example.com",
    ),
    MeetingType: meeting_type_make,
    Booking: booking_make,
    OrganizationApiToken: token_row_make,
    ActivitySyncSettings: lambda org: activity_settings_ensure(org),
    ActivityUserMapping: lambda org: ActivityUserMapping.objects.create(
        organization=org, hubspot_owner_id=f"10{org.pk}", hubspot_email="ann@example.com"
    ),
    ActivityLink: lambda org: ActivityLink.objects.create(
        organization=org,
        origin=ActivityLink.Origin.HUBSPOT,
        state=ActivityLink.State.LINKED,
        hubspot_object_type="notes",
        hubspot_id=f"7{org.pk}",
        salesforce_id=f"00T00000000000{org.pk}",
    ),
    ActivitySyncRun: lambda org: _activity_run(org),
    ActivityFinding: lambda org: ActivityFinding.objects.create(
        organization=org,
        run=_activity_run(org),
        direction=ActivityFinding.Direction.TO_SALESFORCE,
        outcome=ActivityFinding.Outcome.SKIPPED,
        reason="no_matching_contact",
        source_type="notes",
        source_id="1",
    ),
}


def _activity_run(org: Organization) -> ActivitySyncRun:
    run = ActivitySyncRun.objects.filter(organization=org).first()
    return run or ActivitySyncRun.objects.create(
        organization=org, trigger=ActivitySyncRun.Trigger.SCHEDULE, status="succeeded"
    )
