"""SalesforceClient, lookups by email: users (owner mapping) and the Contact or Lead of a person
(a task's WhoId), one at a time or many per query (apis.md §4.6). Mixed into `SalesforceClient`;
also home of the SOQL literal helpers, which `client` re-exports.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Literal

# How long one `IN (...)` list may be, in characters. A query travels in the URL, and URI plus
# headers must stay within 16,384 bytes (apis.md §4.2); percent-encoding can triple a literal,
# and 4,000 is also the WHERE-clause length older SOQL limits documented [PARTIAL].
IN_LIST_MAX_CHARS = 4000


@dataclass(frozen=True)
class PersonMatch:
    """The Contact or Lead a meeting participant's email resolves to (a task's WhoId)."""

    id: str
    sobject_type: Literal["Contact", "Lead"]
    account_id: str | None = None


def soql_quote(value: str) -> str:
    """`value` as a SOQL string literal: quoted, with backslashes and quotes escaped."""
    escaped = (
        value.replace("\\", "\\\\")
        .replace("'", "\\'")
        .replace("\n", "\\n")
        .replace("\r", "\\r")
        .replace("\t", "\\t")
    )
    return f"'{escaped}'"


def soql_in_list(values: Iterable[str]) -> str:
    """The inside of `IN (...)`: the distinct values, sorted and quoted."""
    return ", ".join(soql_quote(v) for v in sorted(set(values)))


def soql_in_lists(values: Iterable[str], *, max_chars: int = IN_LIST_MAX_CHARS) -> Iterator[str]:
    """`soql_in_list` split into lists of at most `max_chars` characters (a longer single
    literal goes alone), so many values take a few queries rather than one too long."""
    parts: list[str] = []
    size = 0
    for literal in (soql_quote(v) for v in sorted(set(values))):
        if parts and size + 2 + len(literal) > max_chars:
            yield ", ".join(parts)
            parts, size = [], 0
        size += len(literal) + (2 if parts else 0)
        parts.append(literal)
    if parts:
        yield ", ".join(parts)


class LookupsClientMixin:
    def query_in(self, soql_template: str, values: Iterable[str]) -> Iterator[dict[str, Any]]:
        """Run `soql_template` (with `{in_list}` where the quoted values go) for all `values`,
        split so that no query's URL outgrows Salesforce's limit. Nothing runs for no values."""
        for in_list in soql_in_lists(values):
            yield from self.query(soql_template.format(in_list=in_list))

    """Relies on `SalesforceClient.query`."""

    def find_user_by_email(self, email: str) -> dict[str, Any] | None:
        """The active User with this email (apis.md §4.6), or None."""
        soql = (
            "SELECT Id, Name, Email, IsActive FROM User "  # noqa: S608 - SOQL, literal escaped
            f"WHERE Email = {soql_quote(email)} AND IsActive = true "
            "ORDER BY CreatedDate ASC LIMIT 1"
        )
        return next(self.query(soql), None)

    def find_users_by_email(self, emails: Iterable[str]) -> dict[str, dict[str, Any]]:
        """Lower-cased email → the active User with it (the oldest when several), for many
        emails in one query per `IN_LIST_MAX_CHARS`; emails without a user are left out."""
        found: dict[str, dict[str, Any]] = {}
        for in_list in soql_in_lists(_lowered(emails)):
            soql = (
                "SELECT Id, Name, Email, IsActive FROM User "  # noqa: S608 - literals escaped
                f"WHERE Email IN ({in_list}) AND IsActive = true ORDER BY CreatedDate ASC, Id ASC"
            )
            for user in self.query(soql):
                found.setdefault((user.get("Email") or "").strip().lower(), user)
        return found

    def find_contact_or_lead_by_email(self, email: str) -> PersonMatch | None:
        """The Contact with this email, else the unconverted Lead; the oldest when several.

        Contacts win because a converted lead's activity belongs to its contact (apis.md §4.6).
        """
        literal = soql_quote(email)
        contact = next(
            self.query(
                f"SELECT Id, AccountId FROM Contact WHERE Email = {literal} "  # noqa: S608
                "ORDER BY CreatedDate ASC, Id ASC LIMIT 1"
            ),
            None,
        )
        if contact is not None:
            return PersonMatch(contact["Id"], "Contact", contact.get("AccountId"))
        lead = next(
            self.query(
                f"SELECT Id FROM Lead WHERE Email = {literal} AND IsConverted = false "  # noqa: S608
                "ORDER BY CreatedDate ASC, Id ASC LIMIT 1"
            ),
            None,
        )
        return PersonMatch(lead["Id"], "Lead") if lead is not None else None

    def find_contacts_or_leads_by_email(self, emails: Iterable[str]) -> dict[str, PersonMatch]:
        """`find_contact_or_lead_by_email` for many emails: lower-cased email → match, emails
        matching nothing left out. One Contact query, then one Lead query for the emails no
        Contact has, per `IN_LIST_MAX_CHARS` of quoted emails."""
        wanted = _lowered(emails)
        found: dict[str, PersonMatch] = {}
        for in_list in soql_in_lists(wanted):
            soql = (
                f"SELECT Id, AccountId, Email FROM Contact WHERE Email IN ({in_list}) "  # noqa: S608
                "ORDER BY CreatedDate ASC, Id ASC"
            )
            for row in self.query(soql):
                key = (row.get("Email") or "").strip().lower()
                found.setdefault(key, PersonMatch(row["Id"], "Contact", row.get("AccountId")))
        for in_list in soql_in_lists(wanted - set(found)):
            soql = (
                f"SELECT Id, Email FROM Lead WHERE Email IN ({in_list}) "  # noqa: S608
                "AND IsConverted = false ORDER BY CreatedDate ASC, Id ASC"
            )
            for row in self.query(soql):
                found.setdefault(
                    (row.get("Email") or "").strip().lower(), PersonMatch(row["Id"], "Lead")
                )
        return {email: match for email, match in found.items() if email in wanted}


def _lowered(emails: Iterable[str]) -> set[str]:
    return {key for key in (e.strip().lower() for e in emails) if key}
