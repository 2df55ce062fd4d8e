"""`manage.py sandbox`: serve the Zoom, HubSpot and Salesforce fakes over HTTP."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from connectors.sandbox.core import Sandbox
from connectors.sandbox.server import serve


class Command(BaseCommand):
    help = "Run the vendor sandbox (stateful fakes of the Zoom, HubSpot and Salesforce APIs)."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8100)
        parser.add_argument(
            "--no-seed", action="store_true", help="Start empty instead of with demo data."
        )
        parser.add_argument("--verbose-requests", action="store_true")

    def handle(self, *args, host: str, port: int, no_seed: bool, verbose_requests: bool, **opts):
        sandbox = Sandbox.from_registry()
        if not no_seed:
            for key, fake in sandbox.fakes.items():
                summary = fake.seed()
                self.stdout.write(f"seeded {key}: {summary}")
        server = serve(sandbox, host=host, port=port, quiet=not verbose_requests)
        self.stdout.write(
            self.style.SUCCESS(f"Sandbox on http://{host}:{port}/_sandbox/ (Ctrl-C to stop)")
        )
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            server.server_close()
