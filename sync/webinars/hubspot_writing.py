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
from sync.models.audit import FindingCategory
from sync.webinars.exclusions import ExclusionRules
from sync.webinars.findings import Findings
from sync.webinars.rollups import (
    PROPERTY_DEFINITIONS,
    PROPERTY_GROUP,
    LedgerFact,
    contact_properties,
    contact_rollups,
    stable_hash,
)

NAME_PROPERTIES = ("email", "firstname", "lastname")


@dataclass
class ContactsOutcome:
    contact_ids: dict[str, str] = field(default_factory=dict)  # email -> HubSpot id (synced)
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    failed: int = 0


def hubspot_properties_ensure(client: HubSpotClient) -> None:
    """Create our property group and contact properties where HubSpot lacks them."""
    client.property_group_ensure("contacts", **PROPERTY_GROUP)
    for definition in PROPERTY_DEFINITIONS:
        client.property_ensure("contacts", {**definition, "groupName": PROPERTY_GROUP["name"]})


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
    wanted = sorted({email.lower() for email in emails})
    candidates = []
    for email in wanted:
        reason = rules.reason(email)
        if reason:
            findings.add(reason, email)
            _state(organization, email, ContactSyncState.Outcome.EXCLUDED, reason, run)
            outcome.skipped += 1
        else:
            candidates.append(email)
    if not candidates:
        return outcome

    states = {
        s.email: s
        for s in ContactSyncState.objects.filter(organization=organization, email__in=candidates)
    }
    existing = _contacts_by_email(client, candidates)
    missing = [email for email in candidates if email not in existing]
    deleted = _deleted_emails(client, missing, states)
    secondary = _secondary_emails(client, missing) if missing else {}
    properties = _desired_properties(organization, candidates)

    upserts: dict[str, dict[str, str]] = {}
    hashes: dict[str, str] = {}  # of the rollup properties only: names are set once
    for email in candidates:
        if email in deleted:
            findings.add(FindingCategory.CONTACT_DELETED, email)
            _state(organization, email, "skipped", FindingCategory.CONTACT_DELETED, run)
            outcome.skipped += 1
            continue
        if email in secondary:
            findings.add(FindingCategory.SECONDARY_EMAIL, email)
            detail = f"secondary email of HubSpot contact {secondary[email]}"
            _state(organization, email, "skipped", FindingCategory.SECONDARY_EMAIL, run, detail)
            outcome.skipped += 1
            continue
        rollup = properties.get(email, {})
        contact = existing.get(email)
        state = states.get(email)
        if contact is not None and state and state.properties_hash == stable_hash(rollup):
            outcome.contact_ids[email] = contact["id"]
            outcome.unchanged += 1
            continue
        # First and last name come from Zoom, but never overwrite what HubSpot has.
        current = contact.get("properties", {}) if contact else {}
        names = {
            name: value
            for name, value in _names_for_new(organization, email).items()
            if value and not current.get(name)
        }
        upserts[email] = {**names, **rollup}
        hashes[email] = stable_hash(rollup)

    if upserts:
        _upsert(organization, client, upserts, hashes, run, findings, outcome)
    return outcome


def _upsert(organization, client, upserts, hashes, run, findings, outcome) -> None:
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
        ContactSyncState.objects.update_or_create(
            organization=organization,
            email=email,
            defaults={
                "outcome": ContactSyncState.Outcome.SYNCED,
                "reason": "",
                "detail": "",
                "hubspot_contact_id": record["id"],
                "properties_hash": hashes[email],
                "last_run": run,
            },
        )
    for error in result.errors:
        failed = _error_emails(error, upserts)
        for email in failed:
            findings.add(FindingCategory.ERROR_PROPERTIES, email, detail=error.get("message"))
            _state(
                organization,
                email,
                ContactSyncState.Outcome.FAILED,
                FindingCategory.ERROR_PROPERTIES,
                run,
                error.get("message", ""),
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


def _deleted_emails(client, missing: list[str], states: dict) -> set[str]:
    """Emails whose contact was deleted in HubSpot: never recreate them."""
    if not missing:
        return set()
    known = {email for email in missing if states.get(email) and states[email].hubspot_contact_id}
    archived = client.batch_read_contacts(emails=missing, properties=["email"], archived=True)
    for record in archived.results:
        email = (record.get("properties", {}).get("email") or "").lower()
        if email:
            known.add(email)
    return known


def _secondary_emails(client: HubSpotClient, missing: list[str]) -> dict[str, str]:
    """Which of `missing` are another contact's secondary email (email → contact id).

    HubSpot keeps secondary addresses in `hs_additional_emails` (';'-separated). Contacts with one
    are few, so one search for all of them beats one search per email.
    """
    wanted = set(missing)
    owners = {}
    rows = client.search(
        "contacts",
        filter_groups=[
            {"filters": [{"propertyName": "hs_additional_emails", "operator": "HAS_PROPERTY"}]}
        ],
        properties=["hs_additional_emails"],
    )
    for row in rows:
        for address in (row.get("properties", {}).get("hs_additional_emails") or "").split(";"):
            address = address.strip().lower()
            if address in wanted:
                owners[address] = row["id"]
    return owners


def _desired_properties(organization, emails: list[str]) -> dict[str, dict[str, str]]:
    """Rollup properties per email, computed from the whole ledger of the organisation."""
    rows = (
        Attendance.objects.filter(organization=organization, email__in=emails)
        .exclude(webinar__is_zoom_events=True)
        .values_list(
            "email",
            "webinar_id",
            "webinar__join_url",
            "registration_status",
            "registered_at",
            "minutes_attended",
            "webinar_minutes",
        )
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


def _names_for_new(organization, email: str) -> dict[str, str]:
    row = (
        Attendance.objects.filter(organization=organization, email=email)
        .exclude(Q(first_name="") & Q(last_name=""))
        .order_by("-registration_status", "-updated_at")
        .values_list("first_name", "last_name")
        .first()
    )
    if row is None:
        return {}
    return {k: v for k, v in {"firstname": row[0], "lastname": row[1]}.items() if v}


def _state(organization, email, outcome, reason, run, detail: str = "") -> None:
    ContactSyncState.objects.update_or_create(
        organization=organization,
        email=email,
        defaults={"outcome": outcome, "reason": reason, "detail": detail, "last_run": run},
    )


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


def _attendance_states_sync(webinar, account_id, contact_ids, client, findings) -> int:
    per_email: dict[str, dict] = {}
    hashes: dict[str, str] = {}
    rows = Attendance.objects.filter(webinar=webinar, email__in=list(contact_ids)).order_by("pk")
    for row in rows:
        state = per_email.setdefault(
            row.email, {"registered_at": None, "status": "", "join": None, "leave": None}
        )
        hashes.setdefault(row.email, row.hubspot_hash)
        if row.registration_status:
            state["status"] = row.registration_status
            state["registered_at"] = row.registered_at
        if row.first_join_at and (state["join"] is None or row.first_join_at < state["join"]):
            state["join"] = row.first_join_at
        if row.last_leave_at and (state["leave"] is None or row.last_leave_at > state["leave"]):
            state["leave"] = row.last_leave_at
    batches: dict[str, list[HubSpotAttendance]] = {"register": [], "attend": [], "cancel": []}
    changed: dict[str, str] = {}
    for email, state in per_email.items():
        digest = stable_hash(state)
        if digest == hashes.get(email):
            continue
        changed[email] = digest
        when = state["registered_at"] or state["join"] or webinar.start_time
        if state["status"] in ("approved", "pending"):
            batches["register"].append(HubSpotAttendance(email=email, occurred_at=when))
        elif state["status"] in ("denied", "cancelled"):
            batches["cancel"].append(HubSpotAttendance(email=email, occurred_at=when))
        if state["join"]:
            batches["attend"].append(
                HubSpotAttendance(
                    email=email,
                    occurred_at=state["join"],
                    joined_at=state["join"],
                    left_at=state["leave"],
                )
            )
    writes = 0
    failed: set[str] = set()
    for subscriber_state, items in batches.items():
        if not items:
            continue
        result = client.marketing_event_attendance(
            external_account_id=account_id,
            external_event_id=webinar.zoom_webinar_id,
            state=subscriber_state,
            attendances=items,
        )
        writes += -(-len(items) // 100)
        for error in result.errors:
            emails = [item.email for item in items if item.email in str(error)]
            for email in emails:
                failed.add(email)
                findings.add(FindingCategory.ERROR_HUBSPOT, email, detail=error.get("message"))
    for email, digest in changed.items():
        if email not in failed:
            Attendance.objects.filter(webinar=webinar, email=email).update(hubspot_hash=digest)
    return writes
