from django.core.management.base import BaseCommand

from jobs.scheduling import schedules_install


class Command(BaseCommand):
    help = "Install or update the periodic job schedules (idempotent)."

    def handle(self, *args, **options):
        for schedule in schedules_install():
            self.stdout.write(f"{schedule.name}: next run {schedule.next_run:%Y-%m-%d %H:%M} UTC")
