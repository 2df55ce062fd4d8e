"""Fidelity: HubSpot's official Python SDK (hubspot-api-client 12, urllib3) works unmodified
against the fake for contacts basic, batch and search. The SDK bypasses `responses`, so the
sandbox is served over HTTP on a free port for this test."""

from __future__ import annotations

import threading

import pytest

from connectors.sandbox.server import serve

hubspot_sdk = pytest.importorskip("hubspot")


@pytest.fixture
def sdk(sandbox, fake, http_mock):
    http_mock.add_passthru("http://127.0.0.1")
    server = serve(sandbox, port=0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    token = fake.oauth.grant_issue(fake.default_grant()).access_token
    host = f"http://127.0.0.1:{server.server_address[1]}/hubspot"
    yield hubspot_sdk.HubSpot(access_token=token, host=host)
    server.shutdown()
    server.server_close()


def test_official_sdk_contacts_basic_batch_and_search(sdk):
    from hubspot.crm.contacts import (
        BatchInputSimplePublicObjectBatchInputUpsert,
        BatchReadInputSimplePublicObjectId,
        PublicObjectSearchRequest,
        SimplePublicObjectInputForCreate,
    )
    from hubspot.crm.contacts.exceptions import ApiException

    created = sdk.crm.contacts.basic_api.create(
        SimplePublicObjectInputForCreate(properties={"email": "sdk@acme.example", "firstname": "S"})
    )
    assert created.properties["email"] == "sdk@acme.example"
    fetched = sdk.crm.contacts.basic_api.get_by_id(
        "sdk@acme.example", properties=["firstname"], id_property="email"
    )
    assert fetched.id == created.id and fetched.properties["firstname"] == "S"

    upserted = sdk.crm.contacts.batch_api.upsert(
        BatchInputSimplePublicObjectBatchInputUpsert(
            inputs=[
                {"idProperty": "email", "id": "sdk@acme.example", "properties": {"lastname": "Dk"}},
                {"idProperty": "email", "id": "two@acme.example", "properties": {"firstname": "T"}},
            ]
        )
    )
    assert sorted(r.new for r in upserted.results) == [False, True]
    read = sdk.crm.contacts.batch_api.read(
        BatchReadInputSimplePublicObjectId(
            id_property="email",
            properties=["lastname"],
            inputs=[{"id": "sdk@acme.example"}, {"id": "two@acme.example"}],
            properties_with_history=[],
        )
    )
    assert {r.properties.get("lastname") for r in read.results} == {"Dk", None}

    page = sdk.crm.contacts.search_api.do_search(
        PublicObjectSearchRequest(
            filter_groups=[
                {
                    "filters": [
                        {"propertyName": "email", "operator": "EQ", "value": "two@acme.example"}
                    ]
                }
            ],
            properties=["firstname"],
            limit=10,
        )
    )
    assert page.total == 1 and page.results[0].properties["firstname"] == "T"

    with pytest.raises(ApiException) as caught:
        sdk.crm.contacts.basic_api.get_by_id("999999")
    assert caught.value.status == 404
