"""Collecting a run's findings: grouped by category, with the affected emails and a fix hint."""

from __future__ import annotations

from collections import defaultdict

from sync.models import SyncFinding, SyncRun
from sync.webinars.models.audit import FindingCategory

#: What each finding means for the user and how to fix it (after HubSpot's audit-log help).
HINTS: dict[str, tuple[str, str]] = {
    FindingCategory.SYNC_DISABLED_GLOBAL: (
        "Nothing was synced: webinar sync is turned off for the organisation.",
        "Turn on “Sync webinar data” in Webinar sync settings, then press Sync now.",
    ),
    FindingCategory.SYNC_DISABLED_USER: (
        "Nothing was synced: the host's webinars are not synced.",
        "Tick “Sync?” for this webinar, or the host's default for new webinars.",
    ),
    FindingCategory.SYNC_DISABLED_WEBINAR: (
        "Nothing was synced: “Sync?” is off for this webinar.",
        "Tick “Sync?” on the webinar, then press Sync now.",
    ),
    FindingCategory.WEBINAR_UNSUPPORTED: (
        "Webinars created as part of Zoom Events are not supported and are never synced.",
        "Nothing to fix; use a regular Zoom webinar to sync registrants.",
    ),
    FindingCategory.CONNECTION_NEEDS_REAUTH: (
        "Syncing is paused: a connection needs reconnecting.",
        "Open Connections and press Reconnect; the next run resumes.",
    ),
    FindingCategory.RECORDING_NOT_SYNCED: (
        "The recording or transcript was not synced.",
        "Check the recordings setting and that the recording exists in Zoom; processing "
        "recordings are retried automatically.",
    ),
    FindingCategory.PARTICIPANTS_NOT_SYNCED: (
        "Some participants were not synced: Zoom has no tracked data for them.",
        "Guests without an email cannot be synced; require registration for the webinar.",
    ),
    FindingCategory.DATA_NOT_SYNCED: (
        "Some data was not synced: the data is missing in Zoom.",
        "Check the webinar in Zoom; the next run will pick up data that appears.",
    ),
    FindingCategory.EXCLUDED_HUBSPOT_USER: (
        "HubSpot users of the organisation are never created as contacts.",
        "Nothing to fix.",
    ),
    FindingCategory.EXCLUDED_EMAIL: (
        "These emails are in the contact exclusions.",
        "Remove them from Contact exclusions if they should be synced.",
    ),
    FindingCategory.EXCLUDED_DOMAIN: (
        "These emails belong to an excluded domain.",
        "Remove the domain from Contact exclusions if they should be synced.",
    ),
    FindingCategory.INVALID_EMAIL: (
        "These emails are not valid addresses.",
        "Correct the registration in Zoom.",
    ),
    FindingCategory.SECONDARY_EMAIL: (
        "Registered with a contact's secondary email: only primary emails create or update "
        "contacts.",
        "Make the address primary in HubSpot, or register with the primary address.",
    ),
    FindingCategory.CONTACT_DELETED: (
        "The contact was deleted in HubSpot and is not recreated.",
        "Restore the contact in HubSpot if it should receive webinar activity.",
    ),
    FindingCategory.ERROR_TRANSCRIPT: (
        "The transcript was not found.",
        "Enable audio transcripts for cloud recordings in Zoom.",
    ),
    FindingCategory.ERROR_TIMELINE: (
        "Timeline events could not be written.",
        "Check the HubSpot app's timeline templates; the next run retries.",
    ),
    FindingCategory.ERROR_PROPERTIES: (
        "Contact properties were not updated.",
        "See the detail; the next run retries only these contacts.",
    ),
    FindingCategory.ERROR_NOT_FOUND: (
        "The webinar was not found in the Zoom account.",
        "Check that the webinar exists and belongs to the connected Zoom account.",
    ),
    FindingCategory.ERROR_HUBSPOT: (
        "HubSpot refused some of the data.",
        "See the detail; the next run retries only the refused items.",
    ),
}


class Findings:
    """Accumulates findings during a run; `save` writes one SyncFinding per category."""

    def __init__(self) -> None:
        self._emails: dict[str, set[str]] = defaultdict(set)
        self._counts: dict[str, int] = defaultdict(int)
        self._details: dict[str, list[str]] = defaultdict(list)

    def add(self, category: str, email: str | None = None, *, detail: str | None = None, count=1):
        self._counts[category] += count
        if email:
            self._emails[category].add(email)
        if detail and len(self._details[category]) < 5 and detail not in self._details[category]:
            self._details[category].append(detail)

    def __contains__(self, category: str) -> bool:
        return category in self._counts

    def __bool__(self) -> bool:
        return bool(self._counts)

    def save(self, run: SyncRun) -> list[SyncFinding]:
        created = []
        for category, count in self._counts.items():
            message, hint = HINTS[category]
            details = self._details.get(category)
            if details:
                message = f"{message} Detail: {'; '.join(details)}"
            created.append(
                SyncFinding(
                    organization_id=run.organization_id,
                    run=run,
                    category=category,
                    message=message,
                    fix_hint=hint,
                    emails=sorted(self._emails.get(category, ())),
                    count=count,
                )
            )
        SyncFinding.objects.bulk_create(created)
        return created
