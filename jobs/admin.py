"""Task-queue screens (django-q2 and our job ledger): they span tenants, so superusers only."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django_q import admin as q_admin
from django_q.conf import Conf
from django_q.models import Failure, OrmQ, Schedule, Success

from accounts.admin_base import SuperuserOnlyMixin
from jobs.models import JobRun, WorkerHeartbeat
from jobs.scheduling import PERIODIC_JOBS, RUNNER


class ScheduleForm(forms.ModelForm):
    """A schedule runs code: only our periodic-job runner may be scheduled, no other path."""

    class Meta:
        model = Schedule
        fields = "__all__"  # noqa: DJ007 - the stock django-q2 schedule form, plus validation

    def clean_func(self):
        func = self.cleaned_data["func"]
        if func != RUNNER:
            raise forms.ValidationError(
                f"Only {RUNNER} can be scheduled; add a job to jobs.scheduling.PERIODIC_JOBS."
            )
        return func

    def clean(self):
        cleaned = super().clean()
        names = {job.name for job in PERIODIC_JOBS}
        args = (cleaned.get("args") or "").strip()
        if cleaned.get("func") == RUNNER and not any(repr((name,)) == args for name in names):
            self.add_error("args", f"Must name one periodic job: {', '.join(sorted(names))}.")
        return cleaned


# django-q2's screens span every tenant: re-register them for superusers only.
for model in (Schedule, Success, Failure):
    admin.site.unregister(model)
if Conf.ORM:
    admin.site.unregister(OrmQ)


@admin.register(Schedule)
class ScheduleAdmin(SuperuserOnlyMixin, q_admin.ScheduleAdmin):
    form = ScheduleForm


@admin.register(Success)
class SuccessAdmin(SuperuserOnlyMixin, q_admin.TaskAdmin):
    def has_add_permission(self, request, *args):
        return False


@admin.register(Failure)
class FailureAdmin(SuperuserOnlyMixin, q_admin.FailAdmin):
    def has_add_permission(self, request, *args):
        return False


if Conf.ORM:

    @admin.register(OrmQ)
    class QueueAdmin(SuperuserOnlyMixin, q_admin.QueueAdmin):
        def has_add_permission(self, request, *args):
            return False


class ReadOnlySuperuserAdmin(SuperuserOnlyMixin, admin.ModelAdmin):
    def has_add_permission(self, request, *args):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(JobRun)
class JobRunAdmin(ReadOnlySuperuserAdmin):
    list_display = ["job", "scheduled_for", "claimed_at", "finished_at", "attempts", "outcome"]
    list_filter = ["job"]


@admin.register(WorkerHeartbeat)
class WorkerHeartbeatAdmin(ReadOnlySuperuserAdmin):
    list_display = ["name", "beat_at"]
