"""API input and output shapes. Input serializers only validate; services do the work."""

from __future__ import annotations

from rest_framework import serializers

from meetings.models import Booking, MeetingType


class MeetingTypeSerializer(serializers.ModelSerializer):
    hosts = serializers.SerializerMethodField()

    class Meta:
        model = MeetingType
        fields = ["slug", "name", "duration_minutes", "timezone", "video_conference", "hosts"]

    def get_hosts(self, obj: MeetingType) -> list[str]:
        return [h.get_full_name() or h.get_username() for h in obj.hosts.all()]


class WorkStateSerializer(serializers.Serializer):
    state = serializers.CharField()
    reason = serializers.CharField()


class BookingSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    meeting_type = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    host = serializers.SerializerMethodField()
    start = serializers.DateTimeField(source="start_at")
    end = serializers.DateTimeField(source="end_at")
    company = serializers.CharField(source="invitee_company")
    crm = serializers.SerializerMethodField()

    class Meta:
        model = Booking
        fields = [
            "id",
            "meeting_type",
            "status",
            "start",
            "end",
            "host",
            "invitee_email",
            "invitee_name",
            "company",
            "answers",
            "routing_reason",
            "crm",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_host(self, obj: Booking) -> dict[str, str]:
        return {
            "name": obj.host.get_full_name() or obj.host.get_username(),
            "email": obj.host.email,
        }

    def get_crm(self, obj: Booking) -> dict:
        """The CRM work: each part's state (pending, done, failed, skipped), reason and ids."""
        return {
            "zoom": {
                "state": obj.zoom_state,
                "reason": obj.zoom_reason,
                "meeting_id": obj.zoom_meeting_id or None,
                "join_url": obj.zoom_join_url or None,
            },
            "hubspot": {
                "state": obj.hubspot_state,
                "reason": obj.hubspot_reason,
                "contact_id": obj.hubspot_contact_id or None,
                "meeting_id": obj.hubspot_meeting_id or None,
            },
        }


class BookingCreateSerializer(serializers.Serializer):
    meeting_type = serializers.SlugField(help_text="The meeting type's slug.")
    start = serializers.DateTimeField(help_text="ISO 8601; without an offset it is UTC.")
    invitee_email = serializers.EmailField()
    invitee_name = serializers.CharField(max_length=200)
    company = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    answers = serializers.DictField(required=False, default=dict)
    host_email = serializers.EmailField(
        required=False, help_text="Book this host; otherwise routing chooses."
    )


class BookingRescheduleSerializer(serializers.Serializer):
    start = serializers.DateTimeField()


class BookingCancelSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()
    code = serializers.CharField()
