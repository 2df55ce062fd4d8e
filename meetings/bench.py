"""The benchmark's baseline: a bare DRF create of the same model, with the same token auth but
none of the booking rules (no routing, no overlap check, no idempotency, no queued work).
Mounted only when settings.MEETINGS_BENCH_ENDPOINTS is on (`manage.py bench_bookings`)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers

from meetings.api import OrganizationApiView
from meetings.models import Booking, MeetingType


class BareBookingSerializer(serializers.ModelSerializer):
    class Meta:
        model = Booking
        fields = [
            "id",
            "meeting_type",
            "host",
            "start_at",
            "end_at",
            "invitee_email",
            "invitee_name",
            "invitee_company",
            "answers",
            "status",
        ]

    def get_fields(self):
        # Only this organisation's meeting types and hosts, as in the real endpoint.
        fields = super().get_fields()
        organization = self.context["request"].auth.organization
        fields["meeting_type"].queryset = MeetingType.objects.filter(organization=organization)
        fields["host"].queryset = fields["host"].queryset.filter(
            memberships__organization=organization
        )
        return fields


@extend_schema(exclude=True)
class BareBookingCreate(OrganizationApiView, generics.CreateAPIView):
    serializer_class = BareBookingSerializer

    def perform_create(self, serializer):
        serializer.save(organization=self.request.auth.organization)


def serve(port: int) -> None:
    """A threaded WSGI server for the benchmark (Django's development server, with a listen
    backlog deep enough for 32 clients opening connections at once)."""
    from django.core.servers.basehttp import (
        ThreadedWSGIServer,
        WSGIRequestHandler,
        get_internal_wsgi_application,
    )

    class QuietHandler(WSGIRequestHandler):
        def log_message(self, format, *args):
            pass

    class Server(ThreadedWSGIServer):
        request_queue_size = 256

    httpd = Server(("127.0.0.1", port), QuietHandler)
    httpd.set_app(get_internal_wsgi_application())
    httpd.serve_forever()
