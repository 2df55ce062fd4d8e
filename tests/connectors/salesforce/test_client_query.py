"""Query paging: nextRecordsUrl, batch sizes, queryAll, and paging by timestamp through ties."""

# SOQL text built in tests for the fake, not SQL:
# ruff: noqa: S608

from __future__ import annotations

import pytest

from connectors.errors import PermanentError

TASK_FIELDS = "Id, Subject, CreatedDate, SystemModstamp, IsDeleted"


@pytest.fixture
def seeded(fake):
    fake.seed(tasks=450)
    return fake


def test_query_follows_next_records_url_in_batches_of_the_requested_size(sf, seeded):
    first = sf.query_page(f"SELECT {TASK_FIELDS} FROM Task ORDER BY Id", batch_size=200)
    live = sum(1 for t in seeded.records["Task"].values() if not t["IsDeleted"])

    assert first.total_size == live and len(first.records) == 200 and not first.done
    assert first.next_records_url.startswith("/services/data/v62.0/query/01g")
    assert first.next_records_url.endswith("-200")
    rows = list(sf.query(f"SELECT {TASK_FIELDS} FROM Task ORDER BY Id", batch_size=200))
    assert len(rows) == live
    assert len({row["Id"] for row in rows}) == live
    assert [row["Id"] for row in rows] == sorted(row["Id"] for row in rows)


def test_batch_size_defaults_to_2000_and_is_clamped_to_200(sf, seeded):
    assert sf.query_page("SELECT Id FROM Task").done
    page = sf.query_page("SELECT Id FROM Task", batch_size=50)
    assert len(page.records) == 200


def test_query_all_includes_deleted_tasks(sf, seeded):
    deleted = {t["Id"] for t in seeded.records["Task"].values() if t["IsDeleted"]}
    assert deleted, "the seed deletes a few tasks"

    live = {row["Id"] for row in sf.query("SELECT Id FROM Task")}
    everything = list(sf.query("SELECT Id, IsDeleted FROM Task", include_deleted=True))

    assert not live & deleted
    assert {row["Id"] for row in everything} == live | deleted
    assert {row["Id"] for row in everything if row["IsDeleted"]} == deleted


def test_query_all_pages_through_its_own_locator(sf, seeded):
    page = sf.query_page("SELECT Id FROM Task", include_deleted=True, batch_size=200)
    assert "/queryAll/" in page.next_records_url
    rows = list(sf.query("SELECT Id FROM Task", include_deleted=True, batch_size=200))
    assert len(rows) == len(seeded.records["Task"])


def test_a_page_can_be_fetched_again_but_an_unknown_locator_is_rejected(sf, seeded):
    first = sf.query_page("SELECT Id FROM Task ORDER BY Id", batch_size=200)
    second = sf.query_page(next_records_url=first.next_records_url)
    assert sf.query_page(next_records_url=first.next_records_url) == second

    with pytest.raises(PermanentError) as caught:
        sf.query_page(next_records_url="/services/data/v62.0/query/01gnope-200")
    assert caught.value.code == "INVALID_QUERY_LOCATOR"


def test_seeded_tasks_share_created_dates(seeded):
    stamps = [t["CreatedDate"] for t in seeded.records["Task"].values()]
    assert len(set(stamps)) < len(stamps)


def test_keyset_paging_by_systemmodstamp_and_id_neither_skips_nor_repeats_ties(sf, seeded):
    """The product's incremental pattern: (SystemModstamp, Id) > checkpoint, small pages."""
    seen: list[str] = []
    stamp, last_id = "2000-01-01T00:00:00Z", "000000000000000AAA"
    while True:
        rows = list(
            sf.query(
                f"SELECT Id, SystemModstamp FROM Task WHERE SystemModstamp > {stamp} OR "
                f"(SystemModstamp = {stamp} AND Id > '{last_id}') "
                "ORDER BY SystemModstamp ASC, Id ASC LIMIT 7"
            )
        )
        if not rows:
            break
        seen += [row["Id"] for row in rows]
        stamp = rows[-1]["SystemModstamp"].replace(".000+0000", "Z")
        last_id = rows[-1]["Id"]

    live = [t["Id"] for t in seeded.records["Task"].values() if not t["IsDeleted"]]
    assert len(seen) == len(set(seen)) == len(live)
    assert set(seen) == set(live)


def test_seed_is_deterministic_for_the_same_clock(sandbox):
    from connectors.salesforce.sandbox import SalesforceSandbox

    def snapshot() -> list:
        fake = SalesforceSandbox(clock=lambda: 1_780_000_000.0)
        fake.seed(seed=3, tasks=40)
        return [(r["Id"], r["Subject"], r["CreatedDate"]) for r in fake.records["Task"].values()]

    assert snapshot() == snapshot()
