"""The sync app's models, defined by feature (`sync/<feature>/models`) and gathered here, where
Django looks for an app's models. Feature code imports from its own feature's module."""

from sync.activities.models import (
    ActivityFinding,
    ActivityLink,
    ActivitySyncRun,
    ActivitySyncSettings,
    ActivityTypeSetting,
    ActivityUserMapping,
)
from sync.crm_properties.models import CrmRecord, CrmSyncRun, CrmSyncSettings
from sync.webinars.models.audit import ContactSyncState, SyncFinding, SyncRun
from sync.webinars.models.ledger import Attendance, Webinar, WebinarSession
from sync.webinars.models.settings import (
    ContactExclusion,
    RecordingExclusion,
    RecordingsMode,
    WebinarSyncSettings,
    ZoomUser,
)
from sync.webinars.models.webhooks import ZoomWebhookEvent
from sync.workflow_action.models import WorkflowActionExecution

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
    "RecordingExclusion",
    "RecordingsMode",
    "SyncFinding",
    "SyncRun",
    "Webinar",
    "WebinarSession",
    "WebinarSyncSettings",
    "WorkflowActionExecution",
    "ZoomUser",
    "ZoomWebhookEvent",
]
