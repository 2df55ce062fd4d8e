"""A seeded sandbox with an organisation connected to Zoom and HubSpot, for webinar sync tests."""

from __future__ import annotations

from dataclasses import dataclass

from connectors.demo import sandbox_connect
from connectors.hubspot.sandbox import HubSpotSandbox
from connectors.zoom.sandbox import ZoomSandbox
from sync.models import SyncRun, Webinar, WebinarSyncSettings
from sync.webinars.execution import webinar_sync_execute
from sync.webinars.runs import webinar_ensure, webinar_sync_request

HUBSPOT_WRITE_PATHS = (
    "/batch/upsert",
    "/batch/create",
    "/marketing/v3/marketing-events",
    "/integrators/timeline",
    "/crm/v3/properties/contacts",
)


@dataclass
class World:
    organization: object
    user: object
    zoom: ZoomSandbox
    hubspot: HubSpotSandbox
    demo: dict

    def webinar(self, key: str = "past_webinar_id") -> Webinar:
        return webinar_ensure(organization=self.organization, zoom_webinar_id=str(self.demo[key]))

    def sync(self, webinar: Webinar, trigger: str = SyncRun.Trigger.MANUAL) -> SyncRun:
        run = webinar_sync_request(webinar=webinar, trigger=trigger)
        webinar_sync_execute(run.pk)
        run.refresh_from_db()
        return run

    def hubspot_contact(self, email: str):
        return self.hubspot.record_find_by("contacts", "email", email)

    def hubspot_writes(self, since: int = 0) -> list[tuple[str, str]]:
        """HubSpot requests after index `since` of the request log that write something."""
        return [
            (method, path)
            for method, path in self.hubspot.request_log[since:]
            if method in ("POST", "PUT", "PATCH", "DELETE")
            and not path.endswith(("/batch/read", "/search"))
            and "/oauth/" not in path
        ]


def world_make(sandbox, organization, user, *, enabled: bool = True, **zoom_sizes) -> World:
    zoom, hubspot = sandbox.fakes["zoom"], sandbox.fakes["hubspot"]
    summary = zoom.seed(**zoom_sizes)
    hubspot.seed(contacts=20)
    for key in ("zoom", "hubspot"):
        sandbox_connect(organization=organization, user=user, provider_key=key)
    WebinarSyncSettings.objects.create(organization=organization, sync_enabled=enabled)
    return World(organization, user, zoom, hubspot, summary["demo"])
