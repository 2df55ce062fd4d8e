"""Deterministic demo data for the Salesforce sandbox org.

Users are named like the HubSpot sandbox's owners (alice@acme.example, bob@acme.example, ...)
so owner matching has something to match; the integration user stays first. Tasks spread over
several days before the org's clock and come in bursts that share one CreatedDate second, so
that paging by timestamp must cope with ties. Some contacts share an email with a lead, a few
leads are converted and a few tasks are deleted (visible through queryAll only).
"""

from __future__ import annotations

import datetime as dt
import random
from typing import TYPE_CHECKING, Any

from connectors.salesforce.sandbox_schema import SOBJECTS

if TYPE_CHECKING:
    from connectors.salesforce.sandbox import SalesforceSandbox

USER_NAMES = [
    ("Alice", "Anders"),
    ("Bob", "Brown"),
    ("Carol", "Chen"),
    ("Dave", "Diaz"),
    ("Erin", "Evans"),
    ("Frank", "Fischer"),
    ("Grace", "Garcia"),
    ("Heidi", "Hansen"),
]
FIRST_NAMES = [
    "Aiko",
    "Ben",
    "Chloe",
    "Daniel",
    "Elena",
    "Farid",
    "Greta",
    "Hiro",
    "Ines",
    "Jonas",
    "Kaito",
    "Lena",
    "Mateo",
    "Nora",
    "Omar",
    "Priya",
    "Quinn",
    "Rosa",
]
LAST_NAMES = [
    "Sato",
    "Muller",
    "Rossi",
    "Novak",
    "Okafor",
    "Lindqvist",
    "Tanaka",
    "Silva",
    "Kowalski",
    "Nguyen",
    "Virtanen",
    "Haddad",
    "Moreau",
    "Petrov",
]
COMPANY_WORDS = [
    "Northwind",
    "Globex",
    "Initech",
    "Umbrella",
    "Stark",
    "Wayne",
    "Tyrell",
    "Cyberdyne",
    "Soylent",
    "Hooli",
    "Vandelay",
    "Wonka",
]
SUBJECTS = [
    "Call",
    "Follow-up email",
    "Send proposal",
    "Demo",
    "Check in",
    "Webinar follow-up",
    "Contract review",
    "Intro meeting",
]


def org_seed(
    fake: SalesforceSandbox,
    *,
    users: int = 5,
    contacts: int = 100,
    leads: int = 30,
    accounts: int = 20,
    opportunities: int = 10,
    tasks: int = 300,
    days: int = 7,
    seed: int = 1,
) -> dict[str, Any]:
    """Replace every record but the integration user (tokens survive); returns a summary.

    `users` excludes the integration user. Same arguments and clock → same data and Ids.
    """
    rng = random.Random(seed)
    integration = fake.records["User"][fake.integration_user_id]
    fake.records = {name: {} for name in SOBJECTS}
    fake.cursors.clear()
    fake.id_counter = 0
    fake.integration_user_id = fake.id_new("User")
    integration["Id"] = fake.integration_user_id
    fake.records["User"][integration["Id"]] = integration
    end = fake.now() - dt.timedelta(minutes=1)
    start = end - dt.timedelta(days=days)

    def at(fraction: float) -> dt.datetime:
        return start + dt.timedelta(seconds=int((end - start).total_seconds() * fraction))

    user_ids = [fake.integration_user_id]
    for index in range(users):
        first, last = USER_NAMES[index % len(USER_NAMES)]
        suffix = "" if index < len(USER_NAMES) else str(index // len(USER_NAMES) + 1)
        email = f"{first.lower()}{suffix}@acme.example"
        user_ids.append(fake.user_add(first_name=first, last_name=last, email=email))
    owners = user_ids[1:] or user_ids

    def insert(sobject: str, values: dict[str, Any], when: dt.datetime) -> str:
        values.setdefault("OwnerId", rng.choice(owners))
        return fake.record_insert(SOBJECTS[sobject], values, at=when)

    account_ids = [
        insert("Account", {"Name": f"{rng.choice(COMPANY_WORDS)} {suffix}"}, at(0.0))
        for suffix in _suffixes(accounts)
    ]
    contact_ids, contact_emails = [], []
    for index in range(contacts):
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        email = f"{first}.{last}{index}@example.com".lower() if index % 10 != 9 else None
        contact_emails.append(email)
        contact_ids.append(
            insert(
                "Contact",
                {
                    "FirstName": first,
                    "LastName": last,
                    "Email": email,
                    "AccountId": rng.choice(account_ids) if account_ids else None,
                },
                at(rng.random() * 0.1),
            )
        )
    lead_ids = []
    for index in range(leads):
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        # Every fifth lead shares its email with a contact: lookups must prefer the contact.
        shared = contact_emails[index] if index % 5 == 0 and index < len(contact_emails) else None
        values = {
            "FirstName": first,
            "LastName": last,
            "Email": shared or f"{first}.{last}.lead{index}@example.org".lower(),
            "Company": f"{rng.choice(COMPANY_WORDS)} Labs",
            "IsConverted": index % 7 == 6,
        }
        lead_ids.append(insert("Lead", values, at(rng.random() * 0.1)))
    opportunity_ids = [
        insert(
            "Opportunity",
            {
                "Name": f"Deal {index + 1}",
                "StageName": rng.choice(_values(fake, "Opportunity", "StageName")),
                "CloseDate": (end + dt.timedelta(days=30)).date(),
                "AccountId": rng.choice(account_ids) if account_ids else None,
            },
            at(0.1),
        )
        for index in range(opportunities)
    ]
    _tasks_seed(
        fake,
        rng,
        tasks,
        owners,
        contact_ids,
        lead_ids,
        account_ids + opportunity_ids,
        start=at(0.1),
        end=end,
    )
    return fake.summary()


def _tasks_seed(fake, rng, count, owners, contact_ids, lead_ids, what_ids, *, start, end) -> None:
    """Tasks in bursts of 1-4 sharing one CreatedDate second, in time order (Ids ascend)."""
    statuses = _values(fake, "Task", "Status")
    types = _values(fake, "Task", "Type")
    span = max(1, int((end - start).total_seconds()))
    bursts: list[int] = []
    while sum(bursts) < count:
        bursts.append(min(rng.choice((1, 1, 2, 3, 4)), count - sum(bursts)))
    moments = sorted(rng.randrange(span) for _ in bursts)
    created = 0
    for moment, size in zip(moments, bursts, strict=True):
        for _ in range(size):
            when = start + dt.timedelta(seconds=moment)
            who = rng.choice(contact_ids) if contact_ids and rng.random() < 0.8 else None
            if who is None and lead_ids:
                who = rng.choice(lead_ids)
            kind = rng.choice(types)
            values = {
                "Subject": f"{rng.choice(SUBJECTS)} #{created + 1}",
                "Description": rng.choice(["", "Discussed pricing.", "Left a voicemail."]),
                "ActivityDate": (when + dt.timedelta(days=rng.randrange(0, 5))).date(),
                "Status": rng.choice(statuses),
                "Priority": rng.choice(["High", "Normal", "Normal", "Low"]),
                "Type": kind,
                "TaskSubtype": {"Call": "Call", "Email": "Email"}.get(kind, "Task"),
                "OwnerId": rng.choice(owners),
                "WhoId": who,
                # Salesforce only relates a task to an account/opportunity through a contact.
                "WhatId": rng.choice(what_ids) if who in contact_ids and what_ids else None,
            }
            task_id = fake.record_insert(fake.schema.sobject("Task"), values, at=when)
            record = fake.records["Task"][task_id]
            if rng.random() < 0.2:  # edited later, still before the clock
                later = min(end, when + dt.timedelta(seconds=rng.randrange(60, 86_400)))
                record["LastModifiedDate"] = record["SystemModstamp"] = later
            if rng.random() < 0.02:
                record["IsDeleted"] = True
            created += 1


def _values(fake: SalesforceSandbox, sobject: str, field: str) -> list[str]:
    return fake.schema.picklist_values(sobject, field)


def _suffixes(count: int) -> list[str]:
    kinds = ["Inc", "GmbH", "KK", "Ltd", "Oy", "SA", "BV", "AB"]
    return [f"{kinds[i % len(kinds)]} {i + 1}" for i in range(count)]
