"""Queue an explicit, audited activity backfill for one organisation (issue 7).

The same service as the admin action "Backfill from the date below": the run row (trigger
Backfill, requester, date) is the audit, and links make a repeated backfill harmless.
"""

from __future__ import annotations

import datetime as dt

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from accounts.models import Organization
from sync.activities.runs import activity_backfill_request


class Command(BaseCommand):
    help = (
        "Queue a backfill of Salesforce tasks and HubSpot activities created since a day (UTC) "
        "for one organisation; it runs on the task queue like any activity sync run."
    )

    def add_arguments(self, parser):
        parser.add_argument("--organization", required=True, help="The organisation's slug.")
        parser.add_argument("--since", required=True, help="First day to bring over, YYYY-MM-DD.")
        parser.add_argument(
            "--requested-by", default="", help="Username recorded as the requester (optional)."
        )

    def handle(self, *args, **options):
        organization = Organization.objects.filter(slug=options["organization"]).first()
        if organization is None:
            raise CommandError(f"No organisation with slug {options['organization']!r}.")
        try:
            day = dt.date.fromisoformat(options["since"])
        except ValueError:
            raise CommandError("--since must be a date as YYYY-MM-DD.") from None
        user = None
        if options["requested_by"]:
            user = get_user_model().objects.filter(username=options["requested_by"]).first()
            if user is None:
                raise CommandError(f"No user {options['requested_by']!r}.")
        since = dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC)
        try:
            run = activity_backfill_request(organization=organization, since=since, user=user)
        except ValueError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(f"Backfill run {run.pk} queued for {organization} since {day}.")
