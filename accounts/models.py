"""Tenancy: organisations, who belongs to them, and in which role.

Every domain row belongs to exactly one organisation (`TenantModel`). Roles are deliberately few:
owners and managers change settings and connections; members only look.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.text import slugify


class Role(models.TextChoices):
    OWNER = "owner", "Owner"
    MANAGER = "manager", "Manager"
    MEMBER = "member", "Member"


#: Roles that may change settings, connect and disconnect providers.
EDITOR_ROLES = frozenset({Role.OWNER, Role.MANAGER})


class Organization(models.Model):
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=80, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    # The admin scopes rows of any model by the path from the model to its organisation.
    tenant_lookup = "pk"

    class Meta:
        ordering = ["name"]
        verbose_name = "organisation"

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        if not self.slug:
            self.slug = slugify(self.name)[:80] or "organisation"
        super().save(*args, **kwargs)


class Membership(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.MEMBER)
    created_at = models.DateTimeField(auto_now_add=True)

    tenant_lookup = "organization"

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "organization"], name="one_membership_per_org")
        ]
        ordering = ["organization__name", "user__username"]

    def __str__(self) -> str:
        return f"{self.user} — {self.organization} ({self.get_role_display()})"


class TenantModel(models.Model):
    """Base for every row that belongs to one organisation."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")

    tenant_lookup = "organization"

    class Meta:
        abstract = True
