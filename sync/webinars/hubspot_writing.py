"""Writing the ledger to HubSpot: contacts with rollup properties, the marketing event and its
attendance states. Everything is batched (100 per call) and skipped when unchanged since the last
successful write, so an unchanged re-run makes no write calls at all.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Q

from connectors.hubspot.client import HubSpotClient
from connectors.hubspot.client_marketing import Attendance as HubSpotAttendance
from sync.models import (
    Attendance,
    ContactExclusion,
    ContactSyncState,
    SyncRun,
    Webinar,
)
from sync.webinars.chunking import chunks, values_for
from sync.webinars.exclusions import ExclusionRules
from sync.webinars.findings import Findings
from sync.webinars.models.audit import FindingCategory
from sync.webinars.rollups import (
    LedgerFact,
    contact_properties,
    contact_rollups,
    stable_hash,
)

NAME_PROPERTIES = ("email", "firstname", "lastname")
#: Emails handled together: whole HubSpot batches (100), bounded memory.
CONTACT_CHUNK = 1000
HUBSPOT_BATCH = 100


class ContactStates:
    """Collects per-email decisions during a run and writes them in one statement per batch."""

    DECISION_FIELDS = ("outcome", "reason", "detail", "last_run", "updated_at")
    SYNCED_FIELDS = (*DECISION_FIELDS, "hubspot_contact_id", "properties_hash")

    def __init__(self, organization, run: SyncRun) -> None:
        self.organization = organization
        self.run = run
        self.decisions: dict[str, ContactSyncState] = {}
        self.synced: dict[str, ContactSyncState] = {}

    def decide(self, email: str, outcome: str, reason: str, detail: str = "") -> None:
        self.decisions[email] = self._row(email, outcome, reason, detail)

    def mark_synced(self, email: str, contact_id: str, properties_hash: str) -> None:
        row = self._row(email, ContactSyncState.Outcome.SYNCED, "", "")
        row.hubspot_contact_id, row.properties_hash = contact_id, properties_hash
        self.synced[email] = row

    def _row(self, email, outcome, reason, detail) -> ContactSyncState:
        return ContactSyncState(
            organization=self.organization,
            email=email,
            outcome=outcome,
            reason=reason,
            detail=detail[:2000],
            last_run=self.run,
        )

    def flush(self) -> None:
        for rows, fields in (
            (self.decisions, self.DECISION_FIELDS),
            (self.synced, self.SYNCED_FIELDS),
        ):
            ContactSyncState.objects.bulk_create(
                list(rows.values()),
                batch_size=500,
                update_conflicts=True,
                unique_fields=["organization", "email"],
                update_fields=list(fields),
            )
            rows.clear()


@dataclass
class ContactsOutcome:
    contact_ids: dict[str, str] = field(default_factory=dict)  # email -> HubSpot id (synced)
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    failed: int = 0


def exclusion_rules(*, organization, client: HubSpotClient) -> ExclusionRules:
    """Exclusions configured for the organisation, plus its own HubSpot users."""
    configured = ContactExclusion.objects.filter(organization=organization)
    hubspot_users = {(user.get("email") or "").lower() for user in client.users()}
    return ExclusionRules(
        emails=frozenset(configured.filter(kind="email").values_list("value", flat=True)),
        domains=frozenset(configured.filter(kind="domain").values_list("value", flat=True)),
        hubspot_user_emails=frozenset(email for email in hubspot_users if email),
    )


def contacts_sync(
    *,
    organization,
    emails: Iterable[str],
    client: HubSpotClient,
    rules: ExclusionRules,
    run: SyncRun,
    findings: Findings,
) -> ContactsOutcome:
    """Create or update the HubSpot contacts of `emails` by primary email, with rollups.

    Not created: excluded emails, a contact's secondary email, a contact deleted in HubSpot.
    Every decision is stored in ContactSyncState (the answer to "why is X not in HubSpot?").
    """
    outcome = ContactsOutcome()
    log = ContactStates(organization, run)
    wanted = sorted({email.lower() for email in emails})
    candidates = []
    for email in wanted:
        reason = rules.reason(email)
        if reason:
            findings.add(reason, email)
            log.decide(email, ContactSyncState.Outcome.EXCLUDED, reason)
            outcome.skipped += 1
        else:
            candidates.append(email)
    secondary = _SecondaryEmails(client)
    # Chunks of whole batches keep memory flat in the webinar's size and every call full.
    for chunk in chunks(candidates, CONTACT_CHUNK):
        _candidates_sync(organization, chunk, client, secondary, findings, outcome, log)
        log.flush()
    log.flush()
    return outcome


def _candidates_sync(organization, candidates, client, secondary, findings, outcome, log):
    stored = ContactSyncState.objects.filter(organization=organization)
    hashes_stored, known_ids = {}, set()
    for email, digest, contact_id in values_for(
        stored, "email", candidates, "email", "properties_hash", "hubspot_contact_id"
    ):
        hashes_stored[email] = digest
        if contact_id:
            known_ids.add(email)
    existing = _contacts_by_email(client, candidates)
    missing = [email for email in candidates if email not in existing]
    deleted = _deleted_emails(client, missing, known_ids)
    properties = _desired_properties(organization, candidates)
    names = _ledger_names(organization, candidates)

    upserts: dict[str, dict[str, str]] = {}
    hashes: dict[str, str] = {}  # of the rollup properties only: names are set once
    for email in candidates:
        if email in deleted:
            findings.add(FindingCategory.CONTACT_DELETED, email)
            log.decide(email, "skipped", FindingCategory.CONTACT_DELETED)
            outcome.skipped += 1
            continue
        owner = secondary.owner_of(email) if email not in existing else None
        if owner:
            findings.add(FindingCategory.SECONDARY_EMAIL, email)
            detail = f"secondary email of HubSpot contact {owner}"
            log.decide(email, "skipped", FindingCategory.SECONDARY_EMAIL, detail)
            outcome.skipped += 1
            continue
        rollup = properties.get(email, {})
        contact = existing.get(email)
        if contact is not None and hashes_stored.get(email) == stable_hash(rollup):
            outcome.contact_ids[email] = contact["id"]
            outcome.unchanged += 1
            continue
        # First and last name come from Zoom, but never overwrite what HubSpot has.
        current = contact.get("properties", {}) if contact else {}
        fill = {
            name: value
            for name, value in names.get(email, {}).items()
            if value and not current.get(name)
        }
        upserts[email] = {**fill, **rollup}
        hashes[email] = stable_hash(rollup)
    if upserts:
        _upsert(client, upserts, hashes, findings, outcome, log)


def _upsert(client, upserts, hashes, findings, outcome, log: ContactStates) -> None:
    result = client.batch_upsert_contacts(upserts)
    for record in result.results:
        email = (record.get("properties", {}).get("email") or "").lower()
        if email not in upserts:
            continue
        outcome.contact_ids[email] = record["id"]
        if record.get("new"):
            outcome.created += 1
        else:
            outcome.updated += 1
        log.mark_synced(email, record["id"], hashes[email])
    for error in result.errors:
        for email in _error_emails(error, upserts):
            message = error.get("message", "")
            findings.add(FindingCategory.ERROR_PROPERTIES, email, detail=message)
            log.decide(
                email, ContactSyncState.Outcome.FAILED, FindingCategory.ERROR_PROPERTIES, message
            )
            outcome.failed += 1


def _error_emails(error: dict, upserts: dict) -> list[str]:
    context = error.get("context") or {}
    named = [str(v).lower() for v in context.get("ids", []) + context.get("emails", [])]
    found = [email for email in named if email in upserts]
    if found:
        return found
    return [email for email in upserts if email in str(error.get("message", "")).lower()]


def _contacts_by_email(client: HubSpotClient, emails: list[str]) -> dict[str, dict]:
    result = client.batch_read_contacts(emails=emails, properties=NAME_PROPERTIES)
    found = {}
    for record in result.results:
        email = (record.get("properties", {}).get("email") or "").lower()
        if email:
            found[email] = record
    return found


def _deleted_emails(client, missing: list[str], synced_before: set[str]) -> set[str]:
    """Emails whose contact was deleted in HubSpot: never recreate them."""
    if not missing:
        return set()
    known = {email for email in missing if email in synced_before}
    archived = client.batch_read_contacts(emails=missing, properties=["email"], archived=True)
    for record in archived.results:
        email = (record.get("properties", {}).get("email") or "").lower()
        if email:
            known.add(email)
    return known


class _SecondaryEmails:
    """Which addresses are another contact's secondary email (address → contact id).

    HubSpot keeps secondary addresses in `hs_additional_emails` (';'-separated). Contacts with
    one are few, so one search for all of them, on first need, beats one search per email.
    """

    def __init__(self, client: HubSpotClient) -> None:
        self.client = client
        self.owners: dict[str, str] | None = None

    def owner_of(self, email: str) -> str | None:
        if self.owners is None:
            self.owners = {}
            rows = self.client.search(
                "contacts",
                filter_groups=[
                    {
                        "filters": [
                            {"propertyName": "hs_additional_emails", "operator": "HAS_PROPERTY"}
                        ]
                    }
                ],
                properties=["hs_additional_emails"],
            )
            for row in rows:
                addresses = row.get("properties", {}).get("hs_additional_emails") or ""
                for address in addresses.split(";"):
                    if address.strip():
                        self.owners[address.strip().lower()] = row["id"]
        return self.owners.get(email)


def _desired_properties(organization, emails: list[str]) -> dict[str, dict[str, str]]:
    """Rollup properties per email, computed from the whole ledger of the organisation."""
    ledger = Attendance.objects.filter(organization=organization).exclude(
        webinar__is_zoom_events=True
    )
    rows = values_for(
        ledger,
        "email",
        emails,
        "email",
        "webinar_id",
        "webinar__join_url",
        "registration_status",
        "registered_at",
        "minutes_attended",
        "webinar_minutes",
    )
    facts = [
        LedgerFact(
            email=email,
            webinar_id=webinar_id,
            webinar_url=url,
            registered=status in ("approved", "pending"),
            registered_at=registered_at,
            minutes_attended=minutes,
            session_minutes=session_minutes,
        )
        for email, webinar_id, url, status, registered_at, minutes, session_minutes in rows
    ]
    rollups = contact_rollups(facts)
    return {email: contact_properties(rollups[email]) for email in emails if email in rollups}


def _ledger_names(organization, emails: list[str]) -> dict[str, dict[str, str]]:
    """First and last name per email from Zoom, preferring what the registration form said."""
    names: dict[str, dict[str, str]] = {}
    named = (
        Attendance.objects.filter(organization=organization)
        .exclude(Q(first_name="") & Q(last_name=""))
        .order_by("email", "-registration_status", "-updated_at")
    )
    rows = values_for(named, "email", emails, "email", "first_name", "last_name")
    for email, first, last in rows:
        if email not in names:
            names[email] = {k: v for k, v in {"firstname": first, "lastname": last}.items() if v}
    return names


# --- the marketing event --------------------------------------------------------------------
def marketing_event_sync(
    *,
    webinar: Webinar,
    zoom_account_id: str,
    contact_ids: dict[str, str],
    client: HubSpotClient,
    findings: Findings,
) -> int:
    """Upsert the webinar's marketing event and the states of its synced contacts.

    Returns the number of write calls made (0 when nothing changed).
    """
    writes = 0
    event_id = webinar.zoom_webinar_id
    end = None
    if webinar.start_time:
        end = webinar.start_time + dt.timedelta(minutes=webinar.duration_minutes)
    event = {
        "name": webinar.topic or f"Zoom webinar {event_id}",
        "start": webinar.start_time.isoformat() if webinar.start_time else None,
        "end": end.isoformat() if end else None,
        "url": webinar.join_url,
        "status": webinar.status,
    }
    digest = stable_hash(event)
    if digest != webinar.marketing_event_hash:
        client.marketing_event_upsert(
            external_account_id=zoom_account_id,
            external_event_id=event_id,
            event_name=event["name"][:250],
            event_organizer=webinar.host.email if webinar.host and webinar.host.email else "Zoom",
            start=webinar.start_time,
            end=end,
            url=webinar.join_url or None,
        )
        writes += 1
        if webinar.status == Webinar.Status.CANCELLED:
            client.marketing_event_cancel(
                external_account_id=zoom_account_id, external_event_id=event_id
            )
            writes += 1
        elif webinar.status == Webinar.Status.ENDED and webinar.start_time and end:
            client.marketing_event_complete(
                external_account_id=zoom_account_id,
                external_event_id=event_id,
                start=webinar.start_time,
                end=end,
            )
            writes += 1
        Webinar.objects.filter(pk=webinar.pk).update(marketing_event_hash=digest)
    writes += _attendance_states_sync(webinar, zoom_account_id, contact_ids, client, findings)
    return writes


class _AttendanceSender:
    """Sends register/attend/cancel states in full batches of 100, across chunks of emails,
    and marks a person's ledger rows as sent once every state of theirs went through."""

    def __init__(self, webinar, account_id, client, findings) -> None:
        self.webinar, self.account_id, self.client, self.findings = (
            webinar,
            account_id,
            client,
            findings,
        )
        self.pending: dict[str, list[HubSpotAttendance]] = {
            "register": [],
            "attend": [],
            "cancel": [],
        }
        self.waiting: dict[str, int] = {}  # email -> states still unsent
        self.rows: dict[str, tuple[str, list[Attendance]]] = {}  # email -> (hash, ledger rows)
        self.failed: set[str] = set()
        self.writes = 0

    def add(self, email: str, digest: str, rows: list[Attendance], items: dict) -> None:
        self.rows[email] = (digest, rows)
        self.waiting[email] = len(items)
        for state, item in items.items():
            self.pending[state].append(item)
            if len(self.pending[state]) == HUBSPOT_BATCH:
                self._send(state)

    def flush(self) -> None:
        for state in self.pending:
            if self.pending[state]:
                self._send(state)

    def _send(self, state: str) -> None:
        items, self.pending[state] = self.pending[state], []
        result = self.client.marketing_event_attendance(
            external_account_id=self.account_id,
            external_event_id=self.webinar.zoom_webinar_id,
            state=state,
            attendances=items,
        )
        self.writes += 1
        for error in result.errors:
            for item in items:
                if item.email in str(error):
                    self.failed.add(item.email)
                    self.findings.add(
                        FindingCategory.ERROR_HUBSPOT, item.email, detail=error.get("message")
                    )
        done = []
        for item in items:
            self.waiting[item.email] -= 1
            if self.waiting[item.email] == 0 and item.email not in self.failed:
                digest, rows = self.rows.pop(item.email)
                for row in rows:
                    row.hubspot_hash = digest
                done.extend(rows)
        Attendance.objects.bulk_update(done, ["hubspot_hash"], batch_size=500)


def _attendance_states_sync(webinar, account_id, contact_ids, client, findings) -> int:
    """Each synced person's state at the marketing event, sent only when it changed."""
    sender = _AttendanceSender(webinar, account_id, client, findings)
    rows_of_webinar = Attendance.objects.filter(webinar=webinar).only(
        "pk",
        "email",
        "registration_status",
        "registered_at",
        "first_join_at",
        "last_leave_at",
        "hubspot_hash",
    )
    for emails in chunks(sorted(contact_ids), CONTACT_CHUNK):
        by_email: dict[str, list[Attendance]] = {}
        for row in rows_of_webinar.filter(email__in=emails).order_by("pk"):
            by_email.setdefault(row.email, []).append(row)
        for email, rows in by_email.items():
            state = _attendance_state(rows)
            digest = stable_hash(state)
            if digest == rows[0].hubspot_hash:
                continue
            when = state["registered_at"] or state["join"] or webinar.start_time
            items = {}
            if state["status"] in ("approved", "pending"):
                items["register"] = HubSpotAttendance(email=email, occurred_at=when)
            elif state["status"] in ("denied", "cancelled"):
                items["cancel"] = HubSpotAttendance(email=email, occurred_at=when)
            if state["join"]:
                items["attend"] = HubSpotAttendance(
                    email=email,
                    occurred_at=state["join"],
                    joined_at=state["join"],
                    left_at=state["leave"],
                )
            if items:
                sender.add(email, digest, rows, items)
    sender.flush()
    return sender.writes


def _attendance_state(rows: list[Attendance]) -> dict:
    """One person's registration status and first join / last leave across the sessions."""
    state = {"registered_at": None, "status": "", "join": None, "leave": None}
    for row in rows:
        if row.registration_status:
            state["status"] = row.registration_status
            state["registered_at"] = row.registered_at
        if row.first_join_at and (state["join"] is None or row.first_join_at < state["join"]):
            state["join"] = row.first_join_at
        if row.last_leave_at and (state["leave"] is None or row.last_leave_at > state["leave"]):
            state["leave"] = row.last_leave_at
    return state
