"""One builder per tenant model registered in the admin: `builder(org) -> saved row of org`.

The admin tenancy walk (tests/accounts/test_admin_tenancy.py) creates a row of every registered
tenant model for two organisations and proves one cannot reach the other's. Registering a tenant
admin without adding its builder here fails that test on purpose.
"""

from __future__ import annotations

from collections.abc import Callable

from django.db.models import Model

from accounts.models import Membership, Organization, Role
from tests.factories import user_make

TENANT_ROW_BUILDERS: dict[type[Model], Callable[[Organization], Model]] = {
    Organization: lambda org: org,
    Membership: lambda org: Membership.objects.get(
        user=user_make(org, role=Role.MEMBER), organization=org
    ),
}
