"""Writes for organisations and memberships."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db import transaction

from accounts.models import Membership, Organization, Role


@transaction.atomic
def organization_member_ensure(
    *, organization: Organization, username: str, email: str, role: Role, password: str | None
) -> Membership:
    """Create (or update) a staff user and their role in `organization`; idempotent."""
    user, created = get_user_model().objects.get_or_create(
        username=username, defaults={"email": email, "is_staff": True}
    )
    if created and password:
        user.set_password(password)
        user.save(update_fields=["password"])
    membership, _ = Membership.objects.update_or_create(
        user=user, organization=organization, defaults={"role": role}
    )
    return membership
