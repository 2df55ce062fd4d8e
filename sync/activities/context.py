"""What one run carries around: the run, the clients, the settings, caches and its findings."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from connectors.installations import installation_get
from sync.models import ActivityFinding, ActivitySyncRun, ActivitySyncSettings

FINDING_MESSAGE_MAX = 2000


@dataclass
class RunContext:
    run: ActivitySyncRun
    settings: ActivitySyncSettings
    salesforce: Any
    hubspot: Any
    integration_user_id: str
    findings: list[ActivityFinding] = field(default_factory=list)
    people: dict[str, Any] = field(default_factory=dict)  # email → PersonMatch | None
    noted: set[str] = field(default_factory=set)  # run-level findings already recorded
    companies: dict[str, str | None] = field(default_factory=dict)  # Account name → company id
    deals: dict[str, str | None] = field(default_factory=dict)  # Opportunity name → deal id

    @property
    def organization(self):
        return self.run.organization

    def finding(
        self,
        *,
        direction: str,
        outcome: str,
        reason: str,
        source_type: str = "",
        source_id: str = "",
        field_name: str = "",
        message: str = "",
    ) -> None:
        """Record one item that was skipped, failed or synced with a fallback (saved by
        `findings_flush`, at every checkpoint)."""
        self.findings.append(
            ActivityFinding(
                organization_id=self.run.organization_id,
                run=self.run,
                direction=direction,
                outcome=outcome,
                reason=reason,
                source_type=source_type,
                source_id=str(source_id),
                field_name=field_name[:80],
                message=message[:FINDING_MESSAGE_MAX],
            )
        )
        if outcome == ActivityFinding.Outcome.SKIPPED:
            self.run.skipped += 1
        elif outcome == ActivityFinding.Outcome.FAILED:
            self.run.failed += 1

    def finding_once(self, key: str, *, reason: str, message: str) -> None:
        """A whole-run finding recorded at most once per run (e.g. a missing scope)."""
        if key not in self.noted:
            self.noted.add(key)
            self.finding(
                direction=ActivityFinding.Direction.RUN,
                outcome=ActivityFinding.Outcome.FAILED,
                reason=reason,
                source_type=key[:32],
                message=message,
            )

    def findings_flush(self) -> None:
        ActivityFinding.objects.bulk_create(self.findings)
        self.findings = []
        self.run.save()

    def people_prefetch(self, emails: Iterable[str]) -> None:
        """Look up every email not cached yet at once (a few Salesforce queries, not two per
        email), so that `person` answers from the cache; call it before a chunk's loop."""
        wanted = {key for key in (e.strip().lower() for e in emails) if key}
        missing = wanted - set(self.people)
        if missing:
            found = self.salesforce.find_contacts_or_leads_by_email(missing)
            self.people.update({key: found.get(key) for key in missing})

    def person(self, email: str):
        """The Salesforce Contact (else unconverted Lead) with this email, cached per run
        (filled in bulk by `people_prefetch`; an email not prefetched costs its own lookup)."""
        key = email.strip().lower()
        if key not in self.people:
            self.people[key] = self.salesforce.find_contact_or_lead_by_email(key) if key else None
        return self.people[key]


def run_context(run: ActivitySyncRun) -> str:
    """The label on every API call of a run, so its audit counts its own calls."""
    return f"activity-sync-run:{run.pk}"


def context_build(run: ActivitySyncRun) -> RunContext:
    """Clients for both vendors; raises ConnectionUnavailableError when one is not usable."""
    settings_row = ActivitySyncSettings.objects.get(organization_id=run.organization_id)
    salesforce = installation_get(organization_id=run.organization_id, provider="salesforce")
    hubspot = installation_get(organization_id=run.organization_id, provider="hubspot")
    label = run_context(run)
    return RunContext(
        run=run,
        settings=settings_row,
        salesforce=salesforce.client(context=label),
        hubspot=hubspot.client(context=label),
        # The connecting Salesforce user is the integration user: last resort for Assigned To.
        integration_user_id=salesforce.connection.external_user_id,
    )
