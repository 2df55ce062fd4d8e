"""Fidelity: the simple-salesforce SDK, unmodified, works against the sandbox.

simple-salesforce always builds `https://{instance}/services/data/v{version}/...` and keeps only
the host of `instance_url`, so it is given `instance=` (host plus the sandbox's path prefix) and
the sandbox is also mounted under https:// for it. Against real Salesforce the instance URL has
no path and `instance_url=` works the same way.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from connectors.sandbox.testing import sandbox_mount

simple_salesforce = pytest.importorskip("simple_salesforce")


@pytest.fixture
def sdk(sandbox, fake, token, http_mock, settings):
    host = urlsplit(settings.SANDBOX_URL).netloc
    sandbox_mount(http_mock, sandbox, f"https://{host}")
    return simple_salesforce.Salesforce(
        instance=f"{host}/salesforce/instance", session_id=token, version="62.0"
    )


def test_sdk_query_and_query_all_follow_next_records_url(sdk, fake):
    fake.seed(tasks=2500)
    live = sum(1 for t in fake.records["Task"].values() if not t["IsDeleted"])

    first = sdk.query("SELECT Id, Subject FROM Task ORDER BY CreatedDate")
    everything = sdk.query_all("SELECT Id, Subject FROM Task ORDER BY CreatedDate")
    with_deleted = sdk.query_all("SELECT Id FROM Task", include_deleted=True)

    assert first["totalSize"] == live and len(first["records"]) == 2000 and not first["done"]
    assert len(everything["records"]) == live and everything["done"]
    assert len(with_deleted["records"]) == len(fake.records["Task"])
    assert sdk.api_usage["api-usage"].used >= 4


def test_sdk_creates_describes_and_updates_tasks(sdk, fake):
    created = sdk.Task.create({"Subject": "From the SDK", "Type": "Call"})
    assert created["success"] and created["id"].startswith("00T")

    describe = sdk.Task.describe()
    status = next(f for f in describe["fields"] if f["name"] == "Status")
    assert "Completed" in [v["value"] for v in status["picklistValues"]]

    assert sdk.Task.update(created["id"], {"Status": "Completed"}) == 204
    task = sdk.Task.get(created["id"])
    assert task["Status"] == "Completed" and task["IsClosed"] is True


def test_sdk_raises_its_own_errors_from_the_error_array(sdk):
    with pytest.raises(simple_salesforce.exceptions.SalesforceMalformedRequest) as caught:
        sdk.Task.create({"Status": "Bogus"})
    assert caught.value.content[0]["errorCode"] == "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST"
