"""Sync models by sub-domain: periodic jobs, webinar settings, the attendance ledger, audit,
HubSpot workflow-action executions."""

from sync.models.actions import WorkflowActionExecution
from sync.models.audit import ContactSyncState, SyncFinding, SyncRun
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
    "Attendance",
    "ContactExclusion",
    "ContactSyncState",
    "JobRun",
    "RecordingExclusion",
    "RecordingsMode",
    "SyncFinding",
    "SyncRun",
    "Webinar",
    "WebinarSession",
    "WebinarSyncSettings",
    "WorkflowActionExecution",
    "WorkerHeartbeat",
    "ZoomUser",
    "ZoomWebhookEvent",
]
