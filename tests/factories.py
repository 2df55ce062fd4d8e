"""Small builders for test data. Each returns saved rows."""

from __future__ import annotations

import itertools

from django.contrib.auth import get_user_model

from accounts.models import Membership, Organization, Role

_counter = itertools.count(1)


def organization_make(name: str | None = None) -> Organization:
    n = next(_counter)
    return Organization.objects.create(name=name or f"Org {n}", slug=f"org-{n}")


def user_make(
    organization: Organization | None = None,
    *,
    role: Role = Role.MANAGER,
    staff: bool = True,
    superuser: bool = False,
    username: str | None = None,
):
    n = next(_counter)
    user = get_user_model().objects.create_user(
        username=username or f"user{n}",
        email=f"user{n}@example.com",
        password="pw",
        is_staff=staff or superuser,
        is_superuser=superuser,
    )
    if organization is not None:
        Membership.objects.create(user=user, organization=organization, role=role)
    return user
