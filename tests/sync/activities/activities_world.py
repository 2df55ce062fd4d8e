"""An organisation connected to the Salesforce and HubSpot sandboxes, for activity sync tests."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from connectors.demo import sandbox_connect
from connectors.hubspot.sandbox_schema import iso_ms
from connectors.salesforce.sandbox_schema import SOBJECTS
from sync.activities.configuration import activity_settings_ensure, activity_settings_update
from sync.activities.execution import activity_sync_execute
from sync.activities.runs import activity_sync_request
from sync.models import ActivitySyncRun, ActivityUserMapping


def ms(moment: dt.datetime) -> int:
    return int(moment.timestamp() * 1000)


@dataclass
class ActivityWorld:
    organization: Any
    user: Any
    salesforce: Any  # SalesforceSandbox
    hubspot: Any  # HubSpotSandbox
    enabled_at: dt.datetime

    # --- settings --------------------------------------------------------------------------------
    def enable(self, *, salesforce_tasks: bool = False, **types: str | bool) -> None:
        """Switch things on `enabled_at`; types as activity_type=True or ="<task type>"."""
        activity_settings_update(
            self.organization,
            salesforce_task_sync=salesforce_tasks or None,
            types={
                name: (True, value if isinstance(value, str) else "")
                for name, value in types.items()
            },
            now=self.enabled_at,
        )

    def map_owner(self, hubspot_owner_id: str, salesforce_user_id: str) -> None:
        ActivityUserMapping.objects.update_or_create(
            organization=self.organization,
            hubspot_owner_id=hubspot_owner_id,
            defaults={"salesforce_user_id": salesforce_user_id},
        )

    def sync_request(self) -> ActivitySyncRun:
        return activity_sync_request(
            organization=self.organization, trigger=ActivitySyncRun.Trigger.MANUAL
        )

    def sync(self) -> ActivitySyncRun:
        run = self.sync_request()
        activity_sync_execute(run.pk)
        run.refresh_from_db()
        return run

    # --- Salesforce records ----------------------------------------------------------------------
    @property
    def integration_user_id(self) -> str:
        return self.salesforce.integration_user_id

    def sf_insert(self, sobject: str, values: dict, at: dt.datetime | None = None) -> str:
        when = (at or self.after()).replace(microsecond=0)
        return self.salesforce.record_insert(SOBJECTS[sobject], values, at=when)

    def sf_task(self, at: dt.datetime | None = None, **fields) -> str:
        values = {
            "Subject": "Call back",
            "Status": "Not Started",
            "Priority": "Normal",
            "OwnerId": self.integration_user_id,
            **fields,
        }
        return self.sf_insert("Task", values, at)

    def sf_contact(self, email: str, **fields) -> str:
        return self.sf_insert(
            "Contact", {"LastName": email.split("@")[0], "Email": email, **fields}, self.before()
        )

    def sf_tasks(self) -> list[dict]:
        return [t for t in self.salesforce.records["Task"].values() if not t["IsDeleted"]]

    # --- HubSpot records -------------------------------------------------------------------------
    def hs_contact(self, email: str, *, created: dt.datetime | None = None, owner: str = "") -> str:
        properties = {"email": email, "lastname": email.split("@")[0]}
        if owner:
            properties["hubspot_owner_id"] = owner
        record = self.hubspot.record_create(
            "contacts", properties, at_ms=ms(created or self.before())
        )
        return record.id

    def hs_engagement(
        self,
        object_type: str,
        properties: dict[str, str],
        *,
        contacts: tuple[str, ...] = (),
        created: dt.datetime | None = None,
    ) -> str:
        when = ms(created or self.after())
        values = {"hs_timestamp": iso_ms(when), **properties}
        record = self.hubspot.record_create(object_type, values, at_ms=when)
        for contact_id in contacts:
            self.hubspot.associate(object_type, record.id, "contacts", contact_id)
        return record.id

    def hs_email_event(self, campaign: int, event_type: str, email: str, at=None) -> str:
        when = ms(at or self.after())
        return self.hubspot.email_event_add(campaign, event_type, email, at_ms=when)["id"]

    def hs_form_submission(self, form: str, email: str, at=None) -> str:
        return self.hubspot.form_submission_add(
            form, {"email": email}, at_ms=ms(at or self.after())
        )

    def hs_deal(self, name: str, *, created: dt.datetime | None = None) -> str:
        when = ms(created or self.before())
        return self.hubspot.record_create("deals", {"dealname": name}, at_ms=when).id

    def sf_opportunity(self, name: str, **fields) -> str:
        values = {"Name": name, "StageName": "Prospecting", "CloseDate": dt.date(2026, 9, 30)}
        return self.sf_insert("Opportunity", {**values, **fields}, self.before())

    def hs_tasks(self) -> list:
        return [r for r in self.hubspot.objects["tasks"].values() if not r.archived]

    # --- time ------------------------------------------------------------------------------------
    def before(self, seconds: int = 3600) -> dt.datetime:
        return self.enabled_at - dt.timedelta(seconds=seconds)

    def after(self, seconds: int = 60) -> dt.datetime:
        return self.enabled_at + dt.timedelta(seconds=seconds)


def activity_world_make(sandbox, organization, user) -> ActivityWorld:
    for key in ("salesforce", "hubspot"):
        sandbox_connect(organization=organization, user=user, provider_key=key)
    activity_settings_ensure(organization)
    # Switched on ten minutes ago; records "after" it are stamped between then and now.
    enabled_at = (timezone.now() - dt.timedelta(minutes=10)).replace(microsecond=0)
    return ActivityWorld(
        organization, user, sandbox.fakes["salesforce"], sandbox.fakes["hubspot"], enabled_at
    )
