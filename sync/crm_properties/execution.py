"""Executing one CRM property sync run: HubSpot's changed records into `CrmRecord`, in bulk.

Per object type (companies, then contacts) the run reads every record modified at or after the
stored cursor, oldest first, through `HubSpotClient.modified_since` (which restarts its search
before HubSpot's 10,000-result cap). Every `CHUNK` records are upserted and the cursor advanced in
one transaction, so a run that fails, or a worker that dies, resumes from the last stored chunk. The
cursor (`sync.cursors.ReadCursor`) reads again from a few minutes before the last read began, so a
record that HubSpot's search index shows late is not skipped, and skips what it has stored at the
same modification time, so nothing is stored twice. After both types, records HubSpot lists as
archived (deleted) are removed. A run longer than `TIME_BUDGET` continues in a fresh task (the
worker timeout is 300 s). Claiming, retrying and finishing are `jobs.lifecycle`'s.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Iterable, Iterator
from typing import Any

from django.db import transaction
from django.db.models import F

from connectors.hubspot.client import modified_property, parse_hubspot_time
from connectors.installations import installation_get
from jobs.lifecycle import Outcome, RetryPolicy, RunBody, RunContinues, run_execute, run_progress
from sync.crm_properties.properties import CURSOR_FIELDS, HUBSPOT_TYPES, PROPERTIES_FIELD
from sync.cursors import ReadCursor, ms_from_datetime, now_ms
from sync.models import CrmRecord, CrmSyncRun, CrmSyncSettings

logger = logging.getLogger(__name__)

CHUNK = 500
TIME_BUDGET = 240.0
DELETE_CHUNK = 500
# Always read: what records are found by (email, domain) and routed by (owner).
BASE_PROPERTIES = {
    CrmRecord.ObjectType.CONTACT: ["email", "hubspot_owner_id"],
    CrmRecord.ObjectType.COMPANY: ["domain", "hubspot_owner_id"],
}
COUNT_FIELD = {CrmRecord.ObjectType.CONTACT: "contacts", CrmRecord.ObjectType.COMPANY: "companies"}
ORDER = (CrmRecord.ObjectType.COMPANY, CrmRecord.ObjectType.CONTACT)
UPDATE_FIELDS = [
    "email",
    "domain",
    "hubspot_owner_id",
    "company_hubspot_id",
    "properties",
    "modified_at",
    "synced_at",
]


class _SettingsChangedError(Exception):
    """The property lists changed during the run (their cursor was reset)."""


class CrmPropertySync(RunBody):
    """One CRM property sync of one organisation (a `CrmSyncRun`); one at a time per
    organisation, and a request while one is open joins it."""

    key = "crm-property-sync"
    model = CrmSyncRun
    policy = RetryPolicy(max_attempts=5)
    coalesce_on = ()
    rerun_when_joined = False
    exclusive_on = ()  # one run per organisation at a time
    time_budget = TIME_BUDGET  # seconds per task, under the worker timeout

    def __init__(self, run: CrmSyncRun) -> None:
        super().__init__(run)
        self.removed = 0

    def context_label(self) -> str:
        return f"crm-property-sync-run:{self.run.pk}"

    def execute(self) -> str:
        run = self.run
        deadline = time.monotonic() + self.time_budget
        installation = installation_get(organization_id=run.organization_id, provider="hubspot")
        client = installation.client(context=self.context_label())
        for kind in ORDER:
            run_progress(run, phase=f"Reading HubSpot {HUBSPOT_TYPES[kind]}")
            _object_type_sync(run, client, kind, deadline)
        run_progress(run, phase="Removing deleted records")
        self.removed = _archived_remove(run, client)
        return CrmSyncRun.Status.SUCCEEDED

    def outcome_for(self, error: Exception) -> Outcome | None:
        if isinstance(error, _SettingsChangedError):
            return Outcome(
                CrmSyncRun.Status.FAILED,
                message="The property settings changed during this run; the next run reads "
                "everything again.",
            )
        return None

    def save(self, status: str) -> None:
        # Counters are added up in the database chunk by chunk; keep them, not this copy.
        fresh = CrmSyncRun.objects.values("contacts", "companies").get(pk=self.run.pk)
        self.run.contacts, self.run.companies = fresh["contacts"], fresh["companies"]

    def summary(self, status: str) -> str:
        run = self.run
        return (
            f"{CrmSyncRun.Status(status).label}: {run.contacts} contacts, {run.companies} "
            f"companies, {self.removed} deleted removed."
        )


def crm_sync_run_execute(run_id: int) -> str:
    """One delivery of CRM property sync run `run_id` (the lifecycle's `run_execute`)."""
    return run_execute(CrmPropertySync, run_id)


def _object_type_sync(run: CrmSyncRun, client, kind: str, deadline: float) -> None:
    settings = CrmSyncSettings.objects.get(organization_id=run.organization_id)
    ms_field, ids_field = CURSOR_FIELDS[kind]
    cursor = ReadCursor.load(getattr(settings, ms_field), getattr(settings, ids_field))
    chosen = list(getattr(settings, PROPERTIES_FIELD[kind]))
    names = list(dict.fromkeys([*BASE_PROPERTIES[kind], *chosen]))
    started = now_ms()
    changed = client.modified_since(HUBSPOT_TYPES[kind], cursor.read_from(), properties=names)
    fresh = (r for r in changed if cursor.is_new(str(r["id"]), _modified_ms(r, kind)))
    for chunk in _chunks(fresh, CHUNK):
        cursor = _chunk_store(run, client, kind, chunk, chosen, cursor, started)
        if time.monotonic() > deadline:
            raise RunContinues


def _chunks(records: Iterable[dict], size: int) -> Iterator[list[dict]]:
    chunk: list[dict] = []
    for record in records:
        chunk.append(record)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _chunk_store(
    run: CrmSyncRun,
    client,
    kind: str,
    chunk: list[dict],
    chosen: list[str],
    cursor: ReadCursor,
    started: int,
) -> ReadCursor:
    """Upsert one chunk and advance the cursor with it, atomically; returns the new cursor."""
    by_id = {str(record["id"]): record for record in chunk}  # a record read twice: keep last
    companies = (
        client.primary_company_ids(list(by_id)) if kind == CrmRecord.ObjectType.CONTACT else {}
    )
    rows = [
        _record_row(run.organization_id, kind, record, chosen, companies.get(hubspot_id, ""))
        for hubspot_id, record in by_id.items()
    ]
    read = [(str(r["id"]), _modified_ms(r, kind)) for r in chunk]
    new_cursor = cursor.advanced(read, started_ms=started)
    ms_field, ids_field = CURSOR_FIELDS[kind]
    with transaction.atomic():
        CrmRecord.objects.bulk_create(
            rows,
            update_conflicts=True,
            unique_fields=["organization", "object_type", "hubspot_id"],
            update_fields=UPDATE_FIELDS,
        )
        # Compare-and-set: a cursor reset by a settings change in the meantime is not overwritten.
        advanced = CrmSyncSettings.objects.filter(
            organization_id=run.organization_id,
            **{ms_field: cursor.newest_ms, PROPERTIES_FIELD[kind]: chosen},
        ).update(**{ms_field: new_cursor.newest_ms, ids_field: new_cursor.stored()})
        if not advanced:
            raise _SettingsChangedError
        CrmSyncRun.objects.filter(pk=run.pk).update(
            **{COUNT_FIELD[kind]: F(COUNT_FIELD[kind]) + len(rows)}
        )
    return new_cursor


def _record_row(organization_id: int, kind: str, record: dict, chosen: list[str], company: str):
    values: dict[str, Any] = record.get("properties") or {}
    modified = _modified_ms(record, kind)
    return CrmRecord(
        organization_id=organization_id,
        object_type=kind,
        hubspot_id=str(record["id"]),
        email=(values.get("email") or "").strip().lower()
        if kind == CrmRecord.ObjectType.CONTACT
        else "",
        domain=(values.get("domain") or "").strip().lower()
        if kind == CrmRecord.ObjectType.COMPANY
        else "",
        hubspot_owner_id=values.get("hubspot_owner_id") or "",
        company_hubspot_id=company,
        # Every chosen property is present; "" where HubSpot has no value.
        properties={name: "" if values.get(name) is None else str(values[name]) for name in chosen},
        modified_at=dt.datetime.fromtimestamp(modified / 1000, tz=dt.UTC) if modified else None,
    )


def _modified_ms(record: dict, kind: str) -> int:
    value = (record.get("properties") or {}).get(modified_property(HUBSPOT_TYPES[kind]))
    moment = parse_hubspot_time(value)
    return ms_from_datetime(moment) if moment else 0


def _archived_remove(run: CrmSyncRun, client) -> int:
    """Delete the stored records HubSpot lists as archived; returns how many were removed."""
    removed = 0
    for kind in ORDER:
        batch: list[str] = []
        for hubspot_id in client.archived_ids(HUBSPOT_TYPES[kind]):
            batch.append(hubspot_id)
            if len(batch) >= DELETE_CHUNK:
                removed += _delete(run, kind, batch)
                batch = []
        if batch:
            removed += _delete(run, kind, batch)
    return removed


def _delete(run: CrmSyncRun, kind: str, hubspot_ids: list[str]) -> int:
    deleted, _ = CrmRecord.objects.filter(
        organization_id=run.organization_id, object_type=kind, hubspot_id__in=hubspot_ids
    ).delete()
    return deleted
