"""All models, imported here so Alembic and the app see the whole schema."""

from backend.models.api_keys import ApiKey, ItemCreation
from backend.models.audit import AuditEntry
from backend.models.complaints import Complaint
from backend.models.exceptions import ExceptionAck
from backend.models.handover import (
    CashHandover,
    Handover,
    HandoverAttachment,
    HandoverLine,
    ItemRequest,
)
from backend.models.items import Item, Round
from backend.models.jobs import BackgroundJob
from backend.models.notifications import Notification, NotificationAttempt, NotificationOptOut, ZnsToken
from backend.models.offices import PostOffice, office_agencies, user_offices
from backend.models.org import Agency, Procedure
from backend.models.proofs import Attachment, AttachmentUpload, DeliveryAttempt, FeeEntry, ProofAttachment
from backend.models.sync import CommitLog, ScopeRemoval, SyncClock, SyncMutation
from backend.models.users import Device, LoginSession, RefreshToken, User
from backend.models.webhooks import AgencyEvent, WebhookAttempt, WebhookDelivery, WebhookEndpoint

__all__ = [
    "Agency",
    "AgencyEvent",
    "ApiKey",
    "Attachment",
    "BackgroundJob",
    "CashHandover",
    "CommitLog",
    "Complaint",
    "AttachmentUpload",
    "AuditEntry",
    "DeliveryAttempt",
    "Device",
    "ExceptionAck",
    "FeeEntry",
    "Handover",
    "HandoverAttachment",
    "HandoverLine",
    "Item",
    "ItemCreation",
    "ItemRequest",
    "LoginSession",
    "Notification",
    "NotificationAttempt",
    "NotificationOptOut",
    "ZnsToken",
    "PostOffice",
    "Procedure",
    "ProofAttachment",
    "RefreshToken",
    "Round",
    "ScopeRemoval",
    "SyncClock",
    "SyncMutation",
    "User",
    "WebhookAttempt",
    "WebhookDelivery",
    "WebhookEndpoint",
    "office_agencies",
    "user_offices",
]
