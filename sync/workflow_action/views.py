"""POST /hubspot/actions/add-to-webinar/: HubSpot calls it when a workflow runs our action.

The signature over the raw body is checked before anything else (v3 with its 5-minute window
when HubSpot sends it, v2 otherwise; apis.md §2.12), against the URL as HubSpot called it:
PUBLIC_BASE_URL + path + query (behind a proxy the request's own host may differ). Answers:
401 unproven (nothing done); 400 signed but not an execution request; 200 with outputFields
(SUCCESS or FAIL_CONTINUE); 429 with Retry-After when Zoom is busy or down (HubSpot retries).
"""

from __future__ import annotations

import logging
import time

from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from connectors.hubspot.signatures import request_signature_check
from sync.workflow_action.registration import workflow_action_execute
from sync.workflow_action.requests import MalformedActionRequest, action_request_parse

logger = logging.getLogger(__name__)


@csrf_exempt
@require_POST
def add_to_webinar(request: HttpRequest) -> JsonResponse:
    raw_body = request.body
    secret = settings.PROVIDERS["hubspot"]["client_secret"]
    check = request_signature_check(
        method=request.method or "POST",
        url=settings.PUBLIC_BASE_URL + request.get_full_path(),
        body=raw_body,
        headers=request.headers,
        client_secret=secret,
        now=time.time(),
    )
    if not secret or not check.valid:
        reason = check.reason if secret else "no HubSpot client secret configured"
        logger.warning("HubSpot action request refused: %s", reason)
        return JsonResponse({"error": f"invalid signature: {reason}"}, status=401)
    try:
        action_request = action_request_parse(raw_body)
    except MalformedActionRequest as exc:
        logger.warning("HubSpot action request unreadable: %s", exc)
        return JsonResponse({"error": str(exc)}, status=400)
    answer = workflow_action_execute(request=action_request)
    response = JsonResponse(answer.body, status=answer.status)
    if answer.retry_after is not None:
        response["Retry-After"] = str(answer.retry_after)
    return response
