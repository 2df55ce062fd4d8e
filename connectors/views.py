"""OAuth views, generic over providers: connect (redirect to the vendor) and callback."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.http import Http404, HttpResponseBadRequest, HttpResponseForbidden
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.views.decorators.http import require_GET

from accounts.models import Organization
from connectors.registry import UnknownProviderError, provider_get
from connectors.services import (
    ConnectCancelledError,
    ConnectFlowError,
    connection_connect_complete,
    connection_connect_start,
)


def _provider_or_404(provider_key: str):
    try:
        return provider_get(provider_key)
    except UnknownProviderError:
        raise Http404("Unknown provider") from None


@require_GET
@staff_member_required
def connect(request, provider_key: str):
    """Start connecting `provider_key` for `?organization=<id>`; owners and managers only."""
    _provider_or_404(provider_key)
    organization = get_object_or_404(Organization, pk=request.GET.get("organization") or 0)
    try:
        url = connection_connect_start(
            user=request.user,
            organization=organization,
            provider_key=provider_key,
            session=request.session,
        )
    except ConnectFlowError as exc:
        return HttpResponseForbidden(str(exc))
    return redirect(url)


@require_GET
@staff_member_required
def callback(request, provider_key: str):
    """The vendor sends the user back here with `code` and `state` (or `error`)."""
    provider = _provider_or_404(provider_key)
    try:
        connection = connection_connect_complete(
            user=request.user,
            provider_key=provider.key,
            params=request.GET.dict(),
            session=request.session,
        )
    except ConnectCancelledError as exc:
        messages.info(request, str(exc))
        return redirect(reverse("admin:connectors_connection_changelist"))
    except ConnectFlowError as exc:
        if exc.status == 403:
            return HttpResponseForbidden(str(exc))
        return HttpResponseBadRequest(str(exc))
    if connection.is_active:
        messages.success(request, f"{provider.name} connected: {connection.display_name}.")
    else:
        messages.warning(request, connection.last_error)
    return redirect(reverse("admin:connectors_connection_change", args=[connection.pk]))
