"""`Idempotency-Key` for POST endpoints: a retry replays the first response.

The record is inserted first, in the same transaction as the work it guards, under a unique
(organisation, key) constraint. A concurrent duplicate blocks on that insert until the first
commits (PostgreSQL's unique index; SQLite's single writer), fails, and replays the stored
response, so concurrent duplicates create one booking. The same key with a different request
(method, path or body) answers 422. Responses 5xx are not stored (the transaction rolls back) and
may be retried with the same key. Keys are per organisation and kept for KEY_RETENTION (a
daily job prunes older ones); a key reused after that is a new request.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json

from django.core.exceptions import PermissionDenied
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils import timezone
from rest_framework import status
from rest_framework.exceptions import APIException
from rest_framework.response import Response

from meetings.models import IdempotencyRecord

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255
KEY_RETENTION = dt.timedelta(days=7)


def request_fingerprint(request) -> str:
    body = json.dumps(request.data, sort_keys=True, cls=DjangoJSONEncoder, default=str)
    return hashlib.sha256(f"{request.method} {request.path}\n{body}".encode()).hexdigest()


def idempotent(view_method):
    """Decorate a DRF view method whose request carries an API token (`request.auth`)."""

    @functools.wraps(view_method)
    def wrapper(self, request, *args, **kwargs):
        key = request.headers.get(HEADER, "").strip()
        if not key:
            return view_method(self, request, *args, **kwargs)
        if len(key) > MAX_KEY_LENGTH:
            return Response(
                {"detail": f"{HEADER} is longer than {MAX_KEY_LENGTH}.", "code": "invalid_key"},
                status=status.HTTP_400_BAD_REQUEST,
            )
        organization = request.auth.organization
        fingerprint = request_fingerprint(request)
        claimed = False
        try:
            with transaction.atomic():
                record = IdempotencyRecord.objects.create(
                    organization=organization, key=key, request_hash=fingerprint, response_status=0
                )
                claimed = True
                try:
                    response = view_method(self, request, *args, **kwargs)
                except (APIException, Http404, PermissionDenied) as exc:
                    response = self.handle_exception(exc)
                if response.status_code >= 500:
                    transaction.set_rollback(True)
                    return response
                record.response_status = response.status_code
                record.response_body = json.loads(json.dumps(response.data, cls=DjangoJSONEncoder))
                record.save(update_fields=["response_status", "response_body"])
            return response
        except IntegrityError:
            if claimed:
                raise
        # The key was taken: its first request has committed (the insert waited for it).
        first = IdempotencyRecord.objects.get(organization=organization, key=key)
        return _replay(first, fingerprint)

    return wrapper


def idempotency_records_prune() -> str:
    """Periodic job: forget keys older than KEY_RETENTION."""
    old = IdempotencyRecord.objects.filter(created_at__lt=timezone.now() - KEY_RETENTION)
    deleted, _ = old.delete()
    return f"pruned {deleted} idempotency keys"


def _replay(record: IdempotencyRecord, fingerprint: str) -> Response:
    if record.request_hash != fingerprint:
        return Response(
            {
                "detail": f"This {HEADER} was used with a different request.",
                "code": "idempotency_key_reused",
            },
            status=status.HTTP_422_UNPROCESSABLE_ENTITY,
        )
    response = Response(record.response_body, status=record.response_status)
    response["Idempotent-Replayed"] = "true"
    return response
