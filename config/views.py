from __future__ import annotations

from django.db import connection
from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from django_q.brokers import get_broker
from django_q.conf import Conf

from jobs.models import WorkerHeartbeat


@never_cache
@require_GET
def healthz(request):
    """200 when the database and the task broker answer, 503 otherwise (for load balancers)."""
    checks: dict[str, str] = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = "ok"
    except Exception as exc:  # any driver error means "not healthy"
        checks["database"] = f"error: {type(exc).__name__}"
    try:
        broker = get_broker()
        # The ORM broker's ping() is a no-op, so ask it something real: the queue length.
        queued = broker.queue_size() if Conf.ORM else None
        checks["broker"] = "ok" if Conf.ORM or broker.ping() else "error: no answer"
    except Exception as exc:
        checks["broker"] = f"error: {type(exc).__name__}"
    healthy = all(value == "ok" for value in checks.values())
    body = {"status": "ok" if healthy else "error", "checks": checks, "broker": _broker_name()}
    if checks["broker"] == "ok" and Conf.ORM:
        body["queued_tasks"] = queued
    if checks["database"] == "ok":
        beat = WorkerHeartbeat.objects.filter(name="qcluster").first()
        # Informational only: a stopped worker delays work but loses none (the queue keeps it).
        body["worker_last_seen"] = beat.beat_at.isoformat() if beat else None
    body["time"] = timezone.now().isoformat()
    return JsonResponse(body, status=200 if healthy else 503)


def _broker_name() -> str:
    return "orm" if Conf.ORM else "redis"
