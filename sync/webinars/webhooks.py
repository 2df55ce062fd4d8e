"""POST /webhooks/zoom/: Zoom's event notifications for the webinar sync.

Order matters (apis.md §3.6): the signature over the raw body is verified before anything else,
the URL-validation challenge included; only then is the body parsed. Answers:
401 unsigned, badly signed or stale; 400 signed but unreadable; 200 otherwise (ignored,
duplicate or accepted) — Zoom retries anything else, so nothing we choose to skip is an error.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from connectors.zoom.webhooks import (
    URL_VALIDATION_EVENT,
    WebhookVerificationError,
    event_parse,
    signature_verify,
    url_validation_answer,
)
from sync.webinars.webhook_events import MalformedEvent, zoom_webhook_receive

logger = logging.getLogger(__name__)

TRACKING_HEADER = "x-zm-trackingid"


@csrf_exempt
@require_POST
def zoom_webhook(request: HttpRequest) -> JsonResponse:
    secret = settings.PROVIDERS["zoom"]["webhook_secret"]
    raw_body = request.body
    try:
        signature_verify(secret=secret, headers=request.headers, raw_body=raw_body)
    except WebhookVerificationError as exc:
        logger.warning("Zoom webhook refused: %s", exc)
        return JsonResponse({"error": str(exc)}, status=401)
    try:
        envelope = event_parse(raw_body)
    except (WebhookVerificationError, RecursionError):
        return _bad_request("body is not a JSON object")
    if envelope.get("event") == URL_VALIDATION_EVENT:
        payload = envelope.get("payload")
        plain_token = payload.get("plainToken") if isinstance(payload, dict) else None
        if not isinstance(plain_token, str) or not plain_token:
            return _bad_request("url_validation without payload.plainToken")
        return JsonResponse(url_validation_answer(secret, plain_token))
    try:
        body = zoom_webhook_receive(envelope=envelope, tracking_id=_tracking_id(request))
    except MalformedEvent as exc:
        return _bad_request(str(exc))
    return JsonResponse(body)


def _bad_request(message: str) -> JsonResponse:
    logger.warning("Zoom webhook unreadable: %s", message)
    return JsonResponse({"error": message}, status=400)


def _tracking_id(request: HttpRequest) -> str:
    # Kept to quote to Zoom support; not trusted for anything else.
    value = request.headers.get(TRACKING_HEADER, "")
    return value[:128] if value.isprintable() else ""
