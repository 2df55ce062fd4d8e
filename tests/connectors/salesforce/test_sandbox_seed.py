"""The Salesforce sandbox's seed, summary and injected limits."""

from __future__ import annotations

import pytest

from connectors.errors import RateLimitedError


def test_default_seed_puts_the_integration_user_first_then_named_owners(fake):
    summary = fake.seed()

    assert summary["users"] == 6 and summary["contacts"] == 100 and summary["leads"] == 30
    assert summary["accounts"] == 20 and summary["tasks"] + summary["deleted_tasks"] == 300
    emails = [u["Email"] for u in fake.records["User"].values()]
    assert emails[:3] == ["integration@acme.example", "alice@acme.example", "bob@acme.example"]


def test_seed_keeps_issued_tokens_working(sf, fake):
    assert sf.find_user_by_email("alice@acme.example") is None
    fake.seed(users=2, tasks=10)
    assert sf.find_user_by_email("alice@acme.example")["Name"] == "Alice Anders"


def test_seeded_tasks_reference_existing_people_and_owners(sf, fake):
    fake.seed(tasks=60)
    rows = list(sf.query("SELECT Id, Owner.Email, Who.Type, WhatId FROM Task"))
    assert all(row["Owner"]["Email"].endswith("@acme.example") for row in rows)
    assert {row["Who"]["Type"] for row in rows if row["Who"]} <= {"Contact", "Lead"}
    leads = [row for row in rows if row["Who"] and row["Who"]["Type"] == "Lead"]
    assert all(row["WhatId"] is None for row in leads)


def test_injected_rate_rule_reads_as_salesforce_concurrency_limit(sf, fake):
    fake.rate_limit_set("burst", limit=1, window=60)
    sf.describe_task()
    with pytest.raises(RateLimitedError) as caught:
        sf.describe_task()
    assert caught.value.status == 403
    assert caught.value.message == "ConcurrentPerOrgLongTxn Limit exceeded."
