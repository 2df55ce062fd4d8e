"""The attendance ledger, read-only, with the segments HubSpot users build lists from."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Q

from accounts.admin_base import ReadOnlyTenantAdmin
from sync.models import Attendance


class QueryListFilter(admin.SimpleListFilter):
    """A list filter whose choices are named `Q` objects: `options = [(key, label, q), ...]`."""

    options: list[tuple[str, str, Q]] = []

    def lookups(self, request, model_admin):
        return [(key, label) for key, label, _ in self.options]

    def queryset(self, request, queryset):
        for key, _, condition in self.options:
            if self.value() == key:
                return queryset.filter(condition)
        return queryset


class AttendedFilter(QueryListFilter):
    title = "attended"
    parameter_name = "attended"
    # Attended = the participants report has at least one join/leave interval
    # (Attendance.attended), even if it rounds to 0 minutes.
    options = [
        ("yes", "Yes", ~Q(intervals=[])),
        ("no", "No", Q(intervals=[])),
    ]


class RegistrationStatusFilter(QueryListFilter):
    title = "registration status"
    parameter_name = "registration"
    options = [
        (value or "none", label, Q(registration_status=value))
        for value, label in Attendance.RegistrationStatus.choices
    ]


class MinutesAttendedFilter(QueryListFilter):
    title = "minutes attended"
    parameter_name = "minutes"
    options = [
        ("0", "0 minutes", Q(minutes_attended=0)),
        ("1-15", "1 to 14 minutes", Q(minutes_attended__gte=1, minutes_attended__lt=15)),
        ("15-30", "15 to 29 minutes", Q(minutes_attended__gte=15, minutes_attended__lt=30)),
        ("30-60", "30 to 59 minutes", Q(minutes_attended__gte=30, minutes_attended__lt=60)),
        ("60+", "60 minutes or more", Q(minutes_attended__gte=60)),
    ]


class AttendancePercentFilter(QueryListFilter):
    title = "attendance percentage"
    parameter_name = "percent"
    options = [
        ("0", "0%", Q(attendance_percent=0)),
        ("1-25", "Above 0%, under 25%", Q(attendance_percent__gt=0, attendance_percent__lt=25)),
        ("25-50", "25% to under 50%", Q(attendance_percent__gte=25, attendance_percent__lt=50)),
        ("50-75", "50% to under 75%", Q(attendance_percent__gte=50, attendance_percent__lt=75)),
        ("75-100", "75% to 100%", Q(attendance_percent__gte=75)),
    ]


@admin.register(Attendance)
class AttendanceAdmin(ReadOnlyTenantAdmin):
    list_display = [
        "email",
        "webinar",
        "session_start",
        "registration_status",
        "attended",
        "minutes_attended",
        "attendance_percent",
        "source",
    ]
    list_filter = [
        "webinar",
        RegistrationStatusFilter,
        AttendedFilter,
        MinutesAttendedFilter,
        AttendancePercentFilter,
        "source",
    ]
    list_select_related = ["webinar", "session"]
    search_fields = ["email", "webinar__topic", "webinar__zoom_webinar_id"]
    fieldsets = [
        (None, {"fields": ["email", "first_name", "last_name", "webinar", "session"]}),
        (
            "Registration",
            {"fields": ["registration_status", "registered_at", "zoom_registrant_id"]},
        ),
        (
            "Attendance",
            {
                "fields": [
                    "attended",
                    "first_join_at",
                    "last_leave_at",
                    "minutes_attended",
                    "webinar_minutes",
                    "attendance_percent",
                    "intervals",
                ]
            },
        ),
        ("Record", {"fields": ["source", "updated_at"]}),
    ]
    readonly_fields = ["attended", "updated_at"]

    @admin.display(description="Session start", ordering="session__start_time")
    def session_start(self, obj: Attendance):
        return obj.session.start_time

    @admin.display(description="Attended", boolean=True)
    def attended(self, obj: Attendance) -> bool:
        return obj.attended
