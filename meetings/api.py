"""The booking REST API (DRF). Thin: parse, call one service, answer with the booking and the
state of its CRM work. No vendor call ever runs in a request."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from meetings.authentication import OrganizationTokenAuthentication
from meetings.bookings import (
    BookingConflict,
    BookingError,
    booking_cancel,
    booking_create,
    booking_reschedule,
)
from meetings.idempotency import HEADER, KEY_RETENTION, idempotent
from meetings.models import Booking, MeetingType
from meetings.serializers import (
    BookingCancelSerializer,
    BookingCreateSerializer,
    BookingRescheduleSerializer,
    BookingSerializer,
    ErrorSerializer,
    MeetingTypeSerializer,
)

IDEMPOTENCY_PARAMETER = OpenApiParameter(
    HEADER,
    str,
    OpenApiParameter.HEADER,
    required=False,
    description="Any unique string; a retry with the same key replays the first response, "
    f"the same key with another body answers 422. Keys are kept for {KEY_RETENTION.days} days.",
)
ERRORS = {400: ErrorSerializer, 404: ErrorSerializer, 409: ErrorSerializer, 422: ErrorSerializer}


class OrganizationApiView:
    authentication_classes = [OrganizationTokenAuthentication]
    permission_classes = [IsAuthenticated]

    @property
    def organization(self):
        return self.request.auth.organization


@extend_schema_view(list=extend_schema(summary="Active meeting types of the organisation"))
class MeetingTypeViewSet(OrganizationApiView, mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = MeetingTypeSerializer

    def get_queryset(self):
        return (
            MeetingType.objects.filter(organization=self.organization, active=True)
            .prefetch_related("hosts")
            .order_by("name", "pk")
        )


@extend_schema_view(
    list=extend_schema(summary="Bookings of the organisation, newest start first"),
    retrieve=extend_schema(summary="One booking with the state of its CRM work"),
)
class BookingViewSet(
    OrganizationApiView,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = BookingSerializer
    lookup_field = "public_id"
    lookup_url_kwarg = "id"
    lookup_value_regex = "[0-9a-fA-F-]{36}"

    def get_queryset(self):
        return Booking.objects.filter(organization=self.organization).select_related(
            "meeting_type", "host"
        )

    @extend_schema(
        summary="Book a meeting",
        request=BookingCreateSerializer,
        responses={201: BookingSerializer, **ERRORS},
        parameters=[IDEMPOTENCY_PARAMETER],
    )
    @idempotent
    def create(self, request):
        data = _valid(BookingCreateSerializer, request)
        try:
            booking = booking_create(
                organization=self.organization,
                meeting_type_slug=data["meeting_type"],
                start=data["start"],
                invitee_email=data["invitee_email"],
                invitee_name=data["invitee_name"],
                company=data["company"],
                answers=data["answers"],
                host_email=data.get("host_email"),
            )
        except BookingError as error:
            return _error_response(error)
        return Response(BookingSerializer(booking).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Move a booking to another start (same host)",
        request=BookingRescheduleSerializer,
        responses={200: BookingSerializer, **ERRORS},
        parameters=[IDEMPOTENCY_PARAMETER],
    )
    @action(detail=True, methods=["post"])
    @idempotent
    def reschedule(self, request, id=None):
        booking = self.get_object()
        data = _valid(BookingRescheduleSerializer, request)
        try:
            booking = booking_reschedule(booking=booking, start=data["start"])
        except BookingError as error:
            return _error_response(error)
        return Response(BookingSerializer(booking).data)

    @extend_schema(
        summary="Cancel a booking (repeating it changes nothing)",
        request=BookingCancelSerializer,
        responses={200: BookingSerializer, **ERRORS},
        parameters=[IDEMPOTENCY_PARAMETER],
    )
    @action(detail=True, methods=["post"])
    @idempotent
    def cancel(self, request, id=None):
        booking = self.get_object()
        data = _valid(BookingCancelSerializer, request)
        booking = booking_cancel(booking=booking, reason=data["reason"])
        return Response(BookingSerializer(booking).data)


def _valid(serializer_class, request) -> dict:
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def _error_response(error: BookingError) -> Response:
    if isinstance(error, BookingConflict):
        return Response(
            {"detail": error.message, "code": error.code}, status=status.HTTP_409_CONFLICT
        )
    if error.field:
        return Response({error.field: [error.message]}, status=status.HTTP_400_BAD_REQUEST)
    return Response({"detail": error.message, "code": error.code}, status=400)
