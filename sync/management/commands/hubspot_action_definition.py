"""Print the HubSpot workflow action definition ("Add contact to Zoom webinar") as JSON."""

from __future__ import annotations

import json

from django.conf import settings
from django.core.management.base import BaseCommand

from sync.workflow_action.definition import action_definition


class Command(BaseCommand):
    help = (
        "Print the JSON definition of the HubSpot workflow action for this deployment "
        "(actionUrl from PUBLIC_BASE_URL). Register it with POST "
        "https://api.hubapi.com/automation/v4/actions/<HUBSPOT_APP_ID>?hapikey=<developer key>."
    )

    def add_arguments(self, parser):
        parser.add_argument("--compact", action="store_true", help="One line, no indentation.")

    def handle(self, *args, **options):
        definition = action_definition()
        indent = None if options["compact"] else 2
        self.stdout.write(json.dumps(definition, indent=indent, ensure_ascii=False))
        if not settings.PUBLIC_BASE_URL.startswith("https://"):
            self.stderr.write(
                f"Note: PUBLIC_BASE_URL is {settings.PUBLIC_BASE_URL}; HubSpot calls action "
                "URLs over HTTPS from the internet."
            )
