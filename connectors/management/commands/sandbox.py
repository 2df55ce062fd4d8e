"""`manage.py sandbox`: serve the Zoom, HubSpot and Salesforce fakes over HTTP."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

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
        parser.add_argument(
            "--size",
            action="append",
            default=[],
            metavar="VENDOR:NAME=N",
            help="Seed size, e.g. --size zoom:users=20 --size hubspot:contacts=5000 (repeatable).",
        )
        parser.add_argument("--verbose-requests", action="store_true")

    def handle(self, *args, host, port, no_seed, size, verbose_requests, **options):
        sandbox = Sandbox.from_registry()
        sizes = _parse_sizes(size, vendors=set(sandbox.fakes))
        if not no_seed:
            for key, fake in sandbox.fakes.items():
                summary = fake.seed(**sizes.get(key, {}))
                self.stdout.write(f"seeded {key}: {_short(summary)}")
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


def _parse_sizes(items: list[str], *, vendors: set[str]) -> dict[str, dict[str, int]]:
    sizes: dict[str, dict[str, int]] = {}
    for item in items:
        vendor, _, assignment = item.partition(":")
        name, _, value = assignment.partition("=")
        if vendor not in vendors or not name or not value.isdigit():
            raise CommandError(
                f"--size {item!r}: use VENDOR:NAME=N with VENDOR in {sorted(vendors)}"
            )
        sizes.setdefault(vendor, {})[name] = int(value)
    return sizes


def _short(summary: dict) -> str:
    return ", ".join(f"{k}={v}" for k, v in summary.items() if isinstance(v, int | str))
