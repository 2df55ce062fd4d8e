"""Per-organisation API tokens: created (shown once), resolved on each request, revoked."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from django.utils import timezone

from accounts.models import Organization
from meetings.models import OrganizationApiToken

TOKEN_PREFIX = "mb_"
#: `last_used_at` is written at most this often per token, so a busy client costs no extra write.
LAST_USED_RESOLUTION = dt.timedelta(minutes=1)


def token_hash(raw: str) -> str:
    # A random 256-bit token needs no slow hash: SHA-256 is enough and keeps auth cheap.
    return hashlib.sha256(raw.encode()).hexdigest()


def api_token_create(
    *, organization: Organization, name: str, created_by=None
) -> tuple[OrganizationApiToken, str]:
    """A new token row and the raw token, which is not stored and cannot be shown again."""
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = OrganizationApiToken.objects.create(
        organization=organization,
        name=name,
        prefix=raw[: len(TOKEN_PREFIX) + 6],
        token_hash=token_hash(raw),
        created_by=created_by,
    )
    return token, raw


def api_token_resolve(raw: str) -> OrganizationApiToken | None:
    """The live token for `raw` (with its organisation), or None; touches `last_used_at`."""
    token = (
        OrganizationApiToken.objects.select_related("organization")
        .filter(token_hash=token_hash(raw), revoked=False)
        .first()
    )
    if token is None:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
        OrganizationApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token
