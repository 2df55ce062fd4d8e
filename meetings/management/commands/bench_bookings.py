"""`manage.py bench_bookings`: booking-create throughput and latency at 32 concurrent clients,
next to a bare DRF create endpoint of the same model, on the same server and database.

Starts Django's threaded WSGI server (meetings.bench.serve, a deep listen backlog) on a free port
with MEETINGS_BENCH_ENDPOINTS=1, against the configured database (set DATABASE_URL to benchmark
PostgreSQL), seeds a throw-away organisation (hosts, a Zoom + HubSpot meeting type, connection
rows so that every booking queues its background task, an API token), and drives the booking
endpoint (without and with an Idempotency-Key on every request) and the bare endpoint in
alternating rounds with a pool of `--clients` threads over `http.client`. Then a contention round
(every client races for the same few slots of one host, and for one Idempotency-Key) checks that
the database holds no double booking. Prints one JSON object; removes what it created unless --keep.
"""

from __future__ import annotations

import datetime as dt
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError
from django.db import connection as db_connection
from django.utils import timezone
from django_q.models import OrmQ

from accounts.models import Membership, Organization, Role
from connectors.models import Connection, ConnectionStatus
from jobs.lifecycle import EXECUTE_TASK
from meetings.models import Booking, BookingCrmRun, MeetingType
from meetings.tokens import api_token_create

BOOKINGS, BARE = "/api/v1/bookings/", "/api/v1/_bench/bookings/"
SERVE = (
    "import os, django; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'config.settings'); "
    "django.setup(); from meetings.bench import serve; serve({port})"
)


class Command(BaseCommand):
    help = "Benchmark POST /api/v1/bookings/ against a bare DRF create endpoint."

    def add_arguments(self, parser):
        parser.add_argument("--clients", type=int, default=32)
        parser.add_argument("--requests", type=int, default=1000, help="Per endpoint and round.")
        parser.add_argument("--rounds", type=int, default=2, help="Alternating rounds.")
        parser.add_argument("--hosts", type=int, default=8)
        parser.add_argument("--keep", action="store_true", help="Keep the seeded rows.")

    def handle(self, *args, clients, requests, rounds, hosts, keep, **options):
        world = _seed(hosts)
        try:
            with _server() as port:
                figures = _bench(world, port, clients=clients, requests=requests, rounds=rounds)
            self.stdout.write(json.dumps(figures))
        finally:
            if not keep:
                try:
                    _cleanup(world["organization"])
                except DatabaseError as error:
                    self.stderr.write(f"cleanup of {world['organization'].slug} failed: {error}")


# --- setup ----------------------------------------------------------------------------------------
def _seed(host_count: int) -> dict:
    from django.contrib.auth import get_user_model

    suffix = uuid.uuid4().hex[:8]
    organization = Organization.objects.create(name="Booking benchmark", slug=f"bench-{suffix}")
    users = []
    for index in range(host_count):
        user = get_user_model().objects.create_user(
            username=f"bench-{suffix}-{index}", email=f"host{index}-{suffix}@bench.test"
        )
        Membership.objects.create(organization=organization, user=user, role=Role.MEMBER)
        users.append(user)
    meeting_type = MeetingType.objects.create(
        organization=organization,
        name="Benchmark call",
        slug="bench",
        duration_minutes=30,
        video_conference=MeetingType.VideoConference.ZOOM,
        sync_to_hubspot=True,
    )
    meeting_type.hosts.set(users)
    for provider in ("zoom", "hubspot"):  # active rows: every booking queues its CRM task
        Connection.objects.create(
            organization=organization, provider=provider, status=ConnectionStatus.ACTIVE
        )
    _, raw = api_token_create(organization=organization, name="benchmark")
    base = (timezone.now() + dt.timedelta(days=30)).replace(minute=0, second=0, microsecond=0)
    return {
        "organization": organization,
        "meeting_type": meeting_type,
        "hosts": users,
        "token": raw,
        "base": base,
    }


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class _server:
    def __enter__(self) -> int:
        self.port = _free_port()
        # Production mode (DEBUG off: no per-query debug logging), plain HTTP on localhost.
        env = {
            **os.environ,
            "MEETINGS_BENCH_ENDPOINTS": "1",
            "LOG_LEVEL": "WARNING",
            "DEBUG": "0",
            "SECRET_KEY": settings.SECRET_KEY,
            "TOKEN_ENCRYPTION_KEYS": ",".join(settings.TOKEN_ENCRYPTION_KEYS),
            "SECURE_SSL_REDIRECT": "0",
        }
        self.process = subprocess.Popen(  # noqa: S603 - our own manage.py
            [sys.executable, "-c", SERVE.format(port=self.port)],
            cwd=settings.BASE_DIR,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                status, _ = _request(self.port, "GET", "/healthz", None, "")
                if status in (200, 503):
                    return self.port
            except OSError:
                time.sleep(0.2)
        self.__exit__()
        raise CommandError("the benchmark server did not start")

    def __exit__(self, *exc) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()


def _request(port: int, method: str, path: str, body, token: str, headers=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        payload = json.dumps(body).encode() if body is not None else None
        conn.request(
            method,
            path,
            body=payload,
            headers={
                "Content-Type": "application/json",
                "Authorization": f"Bearer {token}",
                **(headers or {}),
            },
        )
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


# --- measuring ------------------------------------------------------------------------------------
def _drive(port, token, bodies, path, clients, ok=(201,), headers=None, keyed=False) -> dict:
    """POST each body from `clients` threads; `keyed`: each with its own Idempotency-Key."""

    def one(body):
        started = time.perf_counter()
        try:
            key = {"Idempotency-Key": uuid.uuid4().hex} if keyed else {}
            status, _ = _request(port, "POST", path, body, token, {**(headers or {}), **key})
        except OSError:
            status = 0
        return status, time.perf_counter() - started

    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        results = list(pool.map(one, bodies))
    elapsed = time.perf_counter() - started
    latencies = sorted(latency for _, latency in results)
    statuses = [status for status, _ in results]
    return {
        "requests": len(results),
        "throughput_rps": round(len(results) / elapsed, 1),
        "p50_ms": round(statistics.median(latencies) * 1000, 1),
        "p99_ms": round(latencies[max(0, int(len(latencies) * 0.99) - 1)] * 1000, 1),
        "errors": sum(status not in ok for status in statuses),
        "statuses": {str(s): statuses.count(s) for s in sorted(set(statuses))},
    }


def _merge(parts: list[dict]) -> dict:
    # Rounds are reported by their median figures; errors add up.
    return {
        "requests": sum(p["requests"] for p in parts),
        "throughput_rps": statistics.median(p["throughput_rps"] for p in parts),
        "p50_ms": statistics.median(p["p50_ms"] for p in parts),
        "p99_ms": statistics.median(p["p99_ms"] for p in parts),
        "errors": sum(p["errors"] for p in parts),
        "statuses": {
            status: sum(p["statuses"].get(status, 0) for p in parts)
            for status in sorted({s for p in parts for s in p["statuses"]})
        },
    }


def _bench(world: dict, port: int, *, clients: int, requests: int, rounds: int) -> dict:
    meeting_type, hosts, token, base = (
        world["meeting_type"],
        world["hosts"],
        world["token"],
        world["base"],
    )
    slot = [0]

    def next_start() -> dt.datetime:
        slot[0] += 1  # every request its own half hour: all of them can succeed
        return base + dt.timedelta(minutes=30 * slot[0])

    def booking_bodies(count):
        return [
            {
                "meeting_type": "bench",
                "start": next_start().isoformat(),
                "invitee_email": f"invitee{i}@example.com",
                "invitee_name": "Bench Invitee",
                "company": "Acme",
                "answers": {"q": "a"},
            }
            for i in range(count)
        ]

    def bare_bodies(count):
        bodies = []
        for i in range(count):
            start = next_start()
            bodies.append(
                {
                    "meeting_type": meeting_type.pk,
                    "host": hosts[i % len(hosts)].pk,
                    "start_at": start.isoformat(),
                    "end_at": (start + dt.timedelta(minutes=30)).isoformat(),
                    "invitee_email": f"invitee{i}@example.com",
                    "invitee_name": "Bench Invitee",
                    "invitee_company": "Acme",
                    "answers": {"q": "a"},
                }
            )
        return bodies

    warm = max(clients * 2, 64)
    _drive(port, token, bare_bodies(warm), BARE, clients)
    _drive(port, token, booking_bodies(warm), BOOKINGS, clients)
    bare_rounds, booking_rounds, keyed_rounds = [], [], []
    for _ in range(rounds):
        _analyze()
        bare_rounds.append(_drive(port, token, bare_bodies(requests), BARE, clients))
        booking_rounds.append(_drive(port, token, booking_bodies(requests), BOOKINGS, clients))
        keyed_rounds.append(
            _drive(port, token, booking_bodies(requests), BOOKINGS, clients, keyed=True)
        )
    bare, booking, keyed = _merge(bare_rounds), _merge(booking_rounds), _merge(keyed_rounds)

    # Contention: every client races for one of four slots of one host; then one key.
    Booking.objects.filter(organization=world["organization"]).update(
        status=Booking.Status.CANCELLED
    )
    contested = [base - dt.timedelta(hours=4 - i) for i in range(4)]
    race = [
        {
            "meeting_type": "bench",
            "start": contested[i % 4].isoformat(),
            "invitee_email": f"race{i}@example.com",
            "invitee_name": "Racer",
            "host_email": hosts[0].email,
        }
        for i in range(clients * 4)
    ]
    contention = _drive(port, token, race, BOOKINGS, clients, ok=(201, 409))
    key_body = {
        "meeting_type": "bench",
        "start": (base - dt.timedelta(hours=8)).isoformat(),
        "invitee_email": "same@example.com",
        "invitee_name": "Same",
    }
    duplicates = _drive(
        port,
        token,
        [key_body] * clients,
        BOOKINGS,
        clients,
        headers={"Idempotency-Key": f"bench-{uuid.uuid4()}"},
    )
    organization = world["organization"]
    return {
        "database": db_connection.vendor,
        "server": "Django's threaded WSGI server, one process, DEBUG off",
        "clients": clients,
        "booking_create": booking,
        "booking_create_with_idempotency_key": keyed,
        "bare_create": bare,
        "p99_ratio": _ratio(booking, bare),
        "p99_ratio_with_idempotency_key": _ratio(keyed, bare),
        "errors": booking["errors"] + keyed["errors"] + bare["errors"] + contention["errors"],
        "contention": {
            "attempts": contention["requests"],
            "created": contention["statuses"].get("201", 0),
            "conflicts": contention["statuses"].get("409", 0),
            "expected_created": len(contested),
        },
        "idempotent_duplicates": {
            "sent": duplicates["requests"],
            "created": Booking.objects.filter(
                organization=organization, invitee_email="same@example.com"
            ).count(),
            "statuses": duplicates["statuses"],
        },
        "double_bookings": _double_bookings(organization),
    }


def _analyze() -> None:
    """Fresh planner statistics for the booking table, as autovacuum keeps them in a running
    database: the benchmark grows the table by thousands of rows in seconds, faster than
    autovacuum's one-minute rounds, and PostgreSQL would otherwise plan for the near-empty table
    it last analysed."""
    if db_connection.vendor == "postgresql":
        with db_connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {Booking._meta.db_table}")


def _ratio(measured: dict, baseline: dict) -> float | None:
    return round(measured["p99_ms"] / baseline["p99_ms"], 2) if baseline["p99_ms"] else None


def _double_bookings(organization: Organization) -> int:
    """Pairs of confirmed bookings of one host that overlap (the bare endpoint's rows are
    cancelled before the contention round, so only rows the booking API kept are counted)."""
    rows = list(
        Booking.objects.filter(organization=organization, status=Booking.Status.CONFIRMED)
        .order_by("host_id", "start_at")
        .values_list("host_id", "start_at", "end_at")
    )
    overlaps, latest_end = 0, {}
    for host, start, end in rows:
        overlaps += host in latest_end and start < latest_end[host]
        latest_end[host] = max(end, latest_end.get(host, end))
    return overlaps


def _cleanup(organization: Organization) -> None:
    runs = BookingCrmRun.objects.filter(organization=organization).values_list("pk", flat=True)
    ids = {("booking-crm", pk) for pk in runs}
    for queued in OrmQ.objects.all():
        try:
            task = queued.task
        except Exception:  # noqa: S112 - another app's unreadable task: leave it
            continue
        if task.get("func") == EXECUTE_TASK and tuple(task["args"]) in ids:
            queued.delete()
    Booking.objects.filter(organization=organization).delete()
    MeetingType.objects.filter(organization=organization).delete()
    hosts = [m.user for m in organization.memberships.select_related("user")]
    organization.delete()
    for user in hosts:
        user.delete()
