"""Sync models by sub-domain: periodic jobs, webinar settings, the attendance ledger, audit,
HubSpot workflow-action executions."""

from sync.models.actions import WorkflowActionExecution
from sync.models.activities import (
    ActivityFinding,
    ActivityLink,
    ActivitySyncRun,
    ActivitySyncSettings,
    ActivityTypeSetting,
    ActivityUserMapping,
)
from sync.models.audit import ContactSyncState, SyncFinding, SyncRun
from sync.models.crm import CrmRecord, CrmSyncRun, CrmSyncSettings
from sync.models.jobs import JobRun, WorkerHeartbeat
from sync.models.ledger import Attendance, Webinar, WebinarSession
from sync.models.settings import (
    ContactExclusion,
    RecordingExclusion,
    RecordingsMode,
    WebinarSyncSettings,
    ZoomUser,
)
from sync.models.webhooks import ZoomWebhookEvent

__all__ = [
    "ActivityFinding",
    "ActivityLink",
    "ActivitySyncRun",
    "ActivitySyncSettings",
    "ActivityTypeSetting",
    "ActivityUserMapping",
    "Attendance",
    "ContactExclusion",
    "ContactSyncState",
    "CrmRecord",
    "CrmSyncRun",
    "CrmSyncSettings",
    "JobRun",
    "RecordingExclusion",
    "RecordingsMode",
    "SyncFinding",
    "SyncRun",
    "Webinar",
    "WebinarSession",
    "WebinarSyncSettings",
    "WorkerHeartbeat",
    "WorkflowActionExecution",
    "ZoomUser",
    "ZoomWebhookEvent",
]
