"""Meeting types (what can be booked, with whom, and what a booking does) and routing rules."""

from __future__ import annotations

import re
import string
import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models

from accounts.models import Membership, TenantModel

#: What the title and body templates may use; rendering leaves unknown braces alone.
TEMPLATE_PLACEHOLDERS = (
    "invitee_name",
    "invitee_email",
    "company",
    "answers",
    "start_time",
    "meeting_type",
    "host_name",
)

ROUTING_FIELD = re.compile(r"^(contact\.hubspot_owner|(contact|company)\.[a-z0-9_]+)$")


def validate_template(value: str) -> None:
    try:
        names = {name for _, name, _, _ in string.Formatter().parse(value) if name}
    except ValueError as error:
        raise ValidationError(f"Malformed template: {error}") from None
    unknown = sorted(names - set(TEMPLATE_PLACEHOLDERS))
    if unknown:
        raise ValidationError(
            f"Unknown placeholder(s) {', '.join(unknown)}; use "
            + ", ".join(f"{{{name}}}" for name in TEMPLATE_PLACEHOLDERS)
        )


def validate_timezone(value: str) -> None:
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValidationError(f"{value!r} is not an IANA time zone.") from None


class MeetingType(TenantModel):
    class VideoConference(models.TextChoices):
        NONE = "none", "None"
        ZOOM = "zoom", "Zoom"

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=80, help_text="Unique within the organisation; API name.")
    duration_minutes = models.PositiveIntegerField(default=30, validators=[MinValueValidator(1)])
    active = models.BooleanField(default=True)
    hosts = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        related_name="hosted_meeting_types",
        blank=True,
        help_text="Users of the organisation who take these meetings.",
    )
    timezone = models.CharField(
        max_length=64, default="UTC", validators=[validate_timezone], help_text="IANA time zone."
    )
    video_conference = models.CharField(
        max_length=8, choices=VideoConference.choices, default=VideoConference.NONE
    )
    zoom_passcode = models.BooleanField(
        default=True, help_text="Zoom meetings get a random passcode (in the join link)."
    )
    zoom_waiting_room = models.BooleanField(default=True)
    # The toggle lives here, not on the connection: disconnecting HubSpot keeps it.
    sync_to_hubspot = models.BooleanField(
        "sync to HubSpot",
        default=False,
        help_text="Create a HubSpot meeting for each booking (when HubSpot is connected).",
    )
    title_template = models.CharField(
        max_length=255,
        default="{meeting_type} with {invitee_name}",
        validators=[validate_template],
        help_text="Placeholders: " + ", ".join(f"{{{n}}}" for n in TEMPLATE_PLACEHOLDERS),
    )
    body_template = models.TextField(
        default="Booked by {invitee_name} ({invitee_email}), {company}.\n\n{answers}",
        blank=True,
        validators=[validate_template],
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "slug"], name="meeting_type_slug_unique_per_org"
            )
        ]
        ordering = ["organization__name", "name"]

    def __str__(self) -> str:
        return self.name

    @property
    def uses_zoom(self) -> bool:
        return self.video_conference == self.VideoConference.ZOOM


class RoutingRule(models.Model):
    """One rule of a meeting type: if the invitee's synced CRM data matches, book `host`.

    Fields: `contact.<property>` and `company.<property>` read the properties synced into
    `sync.models.CrmRecord`; `contact.hubspot_owner` reads the contact's HubSpot owner id, and
    without a `host` routes to the host whose email is that owner's email (owners cached in
    `HubSpotOwner`).
    """

    class Operator(models.TextChoices):
        EQUALS = "equals", "equals"
        CONTAINS = "contains", "contains"
        IS_SET = "is_set", "is set"

    meeting_type = models.ForeignKey(
        MeetingType, on_delete=models.CASCADE, related_name="routing_rules"
    )
    order = models.PositiveIntegerField(default=0)
    field = models.CharField(
        max_length=120,
        help_text='"contact.<property>", "company.<property>" or "contact.hubspot_owner".',
    )
    operator = models.CharField(max_length=8, choices=Operator.choices, default=Operator.EQUALS)
    value = models.CharField(max_length=255, blank=True)
    host = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        help_text="Empty only for contact.hubspot_owner: then the owner's own host.",
    )

    tenant_lookup = "meeting_type__organization"

    class Meta:
        ordering = ["meeting_type", "order", "pk"]

    def __str__(self) -> str:
        target = self.host.get_username() if self.host_id else "the owner's host"
        return f"{self.field} {self.get_operator_display()} {self.value!r} → {target}"

    @property
    def routes_to_owner(self) -> bool:
        return self.field == "contact.hubspot_owner" and self.host_id is None

    def clean(self) -> None:
        errors = {}
        if not ROUTING_FIELD.match(self.field or ""):
            errors["field"] = (
                'Use "contact.<property>", "company.<property>" (HubSpot internal names) '
                'or "contact.hubspot_owner".'
            )
        if self.operator != self.Operator.IS_SET and not self.value:
            errors["value"] = "Give a value to compare with."
        if self.host_id is None and self.field != "contact.hubspot_owner":
            errors["host"] = "Choose the host this rule books."
        if (
            self.host_id is not None
            and self.meeting_type_id is not None
            and not Membership.objects.filter(
                user_id=self.host_id, organization_id=self.meeting_type.organization_id
            ).exists()
        ):
            errors["host"] = "The host must be a member of the meeting type's organisation."
        if errors:
            raise ValidationError(errors)
