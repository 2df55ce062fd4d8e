"""`/api/v1/`: the booking API (mounted in config/urls.py)."""

from __future__ import annotations

from django.conf import settings
from django.urls import path
from rest_framework.routers import SimpleRouter

from meetings.api import BookingViewSet, MeetingTypeViewSet

router = SimpleRouter()
router.register("meeting-types", MeetingTypeViewSet, basename="meeting-type")
router.register("bookings", BookingViewSet, basename="booking")

urlpatterns = router.urls

if settings.MEETINGS_BENCH_ENDPOINTS:
    # The benchmark's baseline (`manage.py bench_bookings`): never on in a deployment.
    from meetings.bench import BareBookingCreate

    urlpatterns += [path("_bench/bookings/", BareBookingCreate.as_view(), name="bench-bare")]
