"""Who may see and change what: the one place that answers tenancy questions."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models import Model, QuerySet

from accounts.models import EDITOR_ROLES, Membership, Organization


def organizations_for_user(user, *, editable: bool = False) -> QuerySet[Organization]:
    """Organisations the user belongs to (superusers: all); `editable` keeps owner/manager ones."""
    if not user.is_authenticated or not user.is_active:
        return Organization.objects.none()
    if user.is_superuser:
        return Organization.objects.all()
    memberships = Membership.objects.filter(user=user)
    if editable:
        memberships = memberships.filter(role__in=EDITOR_ROLES)
    return Organization.objects.filter(pk__in=memberships.values("organization_id"))


def user_can_edit_organization(user, organization_id: int | None) -> bool:
    if organization_id is None:
        return False
    return organizations_for_user(user, editable=True).filter(pk=organization_id).exists()


def tenant_lookup_for(model: type[Model]) -> str | None:
    """The ORM path from `model` to its organisation's pk holder, or None for shared models."""
    return getattr(model, "tenant_lookup", None)


def scope_queryset(queryset: QuerySet, user, *, editable: bool = False) -> QuerySet:
    """Restrict any queryset to what `user` may see.

    Tenant models are filtered through their `tenant_lookup`; users are limited to members of the
    same organisations; any other model is returned unfiltered only to superusers. This makes an
    unscoped model invisible rather than leaky.
    """
    if user.is_superuser:
        return queryset
    model = queryset.model
    organizations = organizations_for_user(user, editable=editable)
    lookup = tenant_lookup_for(model)
    if lookup == "pk":
        return queryset.filter(pk__in=organizations.values("pk"))
    if lookup:
        return queryset.filter(**{f"{lookup}__in": organizations.values("pk")})
    if model is get_user_model():
        visible_orgs = organizations_for_user(user)
        return queryset.filter(memberships__organization__in=visible_orgs).distinct()
    return queryset.none()


def organization_id_of(obj: Model) -> int | None:
    """Follow `tenant_lookup` on one object to its organisation id."""
    lookup = tenant_lookup_for(type(obj))
    if lookup is None:
        return None
    if lookup == "pk":
        return obj.pk
    target = obj
    for part in lookup.split("__"):
        target = getattr(target, part, None)
        if target is None:
            return None
    return target.pk
