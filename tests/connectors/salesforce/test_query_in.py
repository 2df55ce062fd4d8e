from __future__ import annotations

from connectors.salesforce.client_lookups import soql_in_lists


def test_query_in_splits_long_id_lists_and_returns_every_row(fake, sf):
    ids = [
        fake.user_add(first_name=f"U{n}", last_name="Bulk", email=f"u{n}@bulk.example")
        for n in range(60)
    ]
    queries_before = sum(1 for _, path in fake.request_log if path.endswith("/query"))
    rows = list(
        sf.query_in(
            "SELECT Id, Email FROM User WHERE Id IN ({in_list})", [*ids, "005000000000000AAA"]
        )
    )
    assert sorted(row["Id"] for row in rows) == sorted(ids)
    chunks = list(soql_in_lists([*ids, "005000000000000AAA"], max_chars=400))
    assert len(chunks) > 1  # a small cap splits; the default cap keeps URLs under 16 KB
    assert sum(1 for _, path in fake.request_log if path.endswith("/query")) > queries_before


def test_query_in_with_no_values_runs_nothing(fake, sf):
    before = len(fake.request_log)
    assert list(sf.query_in("SELECT Id FROM User WHERE Id IN ({in_list})", [])) == []
    assert len(fake.request_log) == before
