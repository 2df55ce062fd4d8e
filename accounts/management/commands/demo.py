"""`manage.py demo`: prepare the demo organisation and run web server, worker and sandbox.

`make demo` calls it after `migrate`. Ctrl-C stops every child process cleanly.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand

from accounts.models import Organization, Role
from accounts.services import organization_member_ensure
from jobs.queue import task_enqueue
from meetings.models import MeetingType
from meetings.tokens import api_token_create
from sync.models import WebinarSyncSettings

DEMO_PASSWORD = "meetbridge-demo"


class Command(BaseCommand):
    help = "Set up the demo organisation and run server, worker and sandbox until Ctrl-C."

    def add_arguments(self, parser):
        parser.add_argument("--setup-only", action="store_true", help="Seed, then exit.")
        parser.add_argument("--port", type=int, default=8000)

    def handle(self, *args, setup_only: bool, port: int, **options):
        self._setup()
        if setup_only:
            return
        self._run(port)

    def _setup(self) -> None:
        call_command("install_schedules", stdout=open(os.devnull, "w"))  # noqa: SIM115
        organization, _ = Organization.objects.get_or_create(
            slug="acme", defaults={"name": "Acme Webinars"}
        )
        user_model = get_user_model()
        if not user_model.objects.filter(username="admin").exists():
            user_model.objects.create_superuser("admin", "admin@example.com", DEMO_PASSWORD)
        organization_member_ensure(
            organization=organization,
            username="manager",
            email="manager@acme.example",
            role=Role.MANAGER,
            password=DEMO_PASSWORD,
        )
        organization_member_ensure(
            organization=organization,
            username="member",
            email="member@acme.example",
            role=Role.MEMBER,
            password=DEMO_PASSWORD,
        )
        # A bookable meeting type whose host is one of the sandbox portal's HubSpot owners.
        host = organization_member_ensure(
            organization=organization,
            username="alice",
            email="alice@acme.example",
            role=Role.MEMBER,
            password=DEMO_PASSWORD,
        ).user
        meeting_type, _ = MeetingType.objects.get_or_create(
            organization=organization,
            slug="intro-call",
            defaults={"name": "Intro call", "duration_minutes": 30, "sync_to_hubspot": True},
        )
        meeting_type.hosts.add(host)
        _, self.api_token = api_token_create(organization=organization, name="demo")

    def _run(self, port: int) -> None:
        python = sys.executable
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        commands = {
            "web": [python, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
            "worker": [python, "manage.py", "qcluster"],
        }
        sandbox_port = _sandbox_port()
        if sandbox_port:
            commands["sandbox"] = [python, "manage.py", "sandbox", "--port", str(sandbox_port)]
        children = {
            name: subprocess.Popen(argv, env=env, start_new_session=True)  # noqa: S603
            for name, argv in commands.items()
        }
        # Ctrl-C and `kill` (SIGTERM) both stop the demo cleanly, even when started in the
        # background (where a shell leaves SIGINT ignored).
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGTERM, signal.default_int_handler)
        connected = self._connect_sandbox(sandbox_port) if sandbox_port else []
        base = f"http://127.0.0.1:{port}"
        self.stdout.write(
            self.style.SUCCESS(
                "\nMeetbridge demo is starting.\n"
                f"  Admin:    {base}/admin/   login admin / {DEMO_PASSWORD} (superuser)\n"
                f"            also manager / {DEMO_PASSWORD} and member / {DEMO_PASSWORD}\n"
                f"  Health:   {base}/healthz\n"
                f"  API:      {base}/api/docs/   token {self.api_token}\n"
                + (f"  Sandbox:  {settings.SANDBOX_URL}/_sandbox/\n" if sandbox_port else "")
                + "".join(f"  {line}\n" for line in connected)
                + "Press Ctrl-C to stop.\n"
            )
        )
        try:
            while all(child.poll() is None for child in children.values()):
                time.sleep(0.5)
            failed = [name for name, child in children.items() if child.poll() is not None]
            self.stderr.write(f"{', '.join(failed)} stopped; shutting the demo down.")
        except KeyboardInterrupt:
            self.stdout.write("\nStopping…")
        finally:
            _stop(children.values())

    def _connect_sandbox(self, sandbox_port: int) -> list[str]:
        """Wait for the sandbox, then connect the demo organisation to every vendor in it."""
        from connectors.demo import demo_connect_all

        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", sandbox_port)) == 0:
                    break
            time.sleep(0.2)
        organization = Organization.objects.get(slug="acme")
        user = get_user_model().objects.get(username="manager")
        try:
            lines = demo_connect_all(organization=organization, user=user)
        except Exception as exc:  # the demo still runs; the admin shows how to connect by hand
            self.stderr.write(f"Could not connect the demo organisation to the sandbox: {exc}")
            return []
        # Show the webinar sync working: on, and a first discovery + sync queued for the worker.
        WebinarSyncSettings.objects.get_or_create(
            organization=organization, defaults={"sync_enabled": True}
        )
        task_enqueue(
            "sync.webinars.tasks.organization_webinars_sync",
            organization.pk,
            "manual",
            name=f"webinar-discovery-{organization.pk}",
        )
        return [*lines, "Webinar sync: on; first sync queued (Sync → Sync runs)"]


def _sandbox_port() -> int | None:
    """The sandbox runs only when the vendor URLs point at a local sandbox."""
    if not settings.SANDBOX_URL.startswith(("http://127.0.0.1:", "http://localhost:")):
        return None
    return int(settings.SANDBOX_URL.rsplit(":", 1)[1])


def _stop(children) -> None:
    # Each child stops its own workers (qcluster does, gracefully); signalling whole process
    # groups would make them race. Whatever is left after the grace period is killed.
    for child in children:
        if child.poll() is None:
            child.terminate()
    deadline = time.monotonic() + 15
    for child in children:
        try:
            child.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            os.killpg(child.pid, signal.SIGKILL)
