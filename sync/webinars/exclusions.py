"""Validating exclusions and deciding who is excluded (pure functions)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

_DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")


def email_normalise(value: str) -> str:
    """Lower-cased, trimmed email; ValueError with a clear message when malformed."""
    email = (value or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        raise ValueError(f"“{value}” is not a valid email address.") from None
    return email


def email_is_valid(value: str) -> bool:
    try:
        email_normalise(value)
    except ValueError:
        return False
    return True


def domain_normalise(value: str) -> str:
    """`Example.COM`, `@example.com` → `example.com`; ValueError when it is not a domain."""
    domain = (value or "").strip().lower().lstrip("@")
    if not _DOMAIN.match(domain):
        raise ValueError(f"“{value}” is not a domain name such as example.com.")
    return domain


def email_domain(email: str) -> str:
    return email.rsplit("@", 1)[-1].lower()


@dataclass(frozen=True)
class ExclusionRules:
    """Everything that keeps an email out of HubSpot, gathered once per run."""

    emails: frozenset[str]
    domains: frozenset[str]
    hubspot_user_emails: frozenset[str]

    def reason(self, email: str) -> str | None:
        """The finding category that excludes `email`, or None when it may be synced."""
        if not email_is_valid(email):
            return "invalid_email"
        email = email.lower()
        if email in self.hubspot_user_emails:
            return "excluded_hubspot_user"
        if email in self.emails:
            return "excluded_email"
        domain = email_domain(email)
        if any(domain == d or domain.endswith(f".{d}") for d in self.domains):
            return "excluded_domain"
        return None


def recording_excluded(email: str, domains: frozenset[str]) -> bool:
    domain = email_domain(email)
    return any(domain == d or domain.endswith(f".{d}") for d in domains)
