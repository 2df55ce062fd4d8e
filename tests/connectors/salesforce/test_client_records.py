"""Tasks and sObject Collections through the client: describe, create, update, per-record errors."""

from __future__ import annotations

import pytest

from connectors.errors import NotFoundError, PermanentError


@pytest.fixture
def contact_id(fake):
    spec = fake.schema.sobject("Contact")
    return fake.record_create(spec, {"LastName": "Okafor"}, grant=fake.default_grant())


def picklist(describe: dict, name: str) -> list[dict]:
    return next(f["picklistValues"] for f in describe["fields"] if f["name"] == name)


def test_describe_task_lists_picklists_with_defaults(sf):
    describe = sf.describe_task()

    assert describe["name"] == "Task" and describe["keyPrefix"] == "00T"
    status = picklist(describe, "Status")
    assert [v["value"] for v in status][:3] == ["Not Started", "In Progress", "Completed"]
    assert [v["value"] for v in status if v["defaultValue"]] == ["Not Started"]
    assert set(status[0]) == {"value", "label", "active", "defaultValue", "validFor"}
    assert sf.task_picklist_values("Priority", describe=describe) == ["High", "Normal", "Low"]
    assert "LinkedIn" in sf.task_picklist_values("TaskSubtype", describe=describe)


def test_describe_reflects_the_orgs_customised_task_types(sf, fake):
    fake.task_type_values_set(["Call", "Email", "Meeting", "Webinar"])
    assert sf.task_picklist_values("Type") == ["Call", "Email", "Meeting", "Webinar"]
    assert sf.create_task({"Type": "Webinar"})
    with pytest.raises(PermanentError) as caught:
        sf.create_task({"Type": "Other"})
    assert caught.value.code == "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST"


def test_create_task_applies_defaults_and_derives_is_closed(sf, fake, contact_id):
    task_id = sf.create_task(
        {
            "Subject": "Webinar attended",
            "ActivityDate": "2026-05-01",
            "Status": "Completed",
            "WhoId": contact_id,
            "Type": "Meeting",
        }
    )

    assert task_id.startswith("00T") and len(task_id) == 18
    task = sf.get_task(task_id)
    assert task["Priority"] == "Normal"
    assert task["OwnerId"] == fake.integration_user_id
    assert task["IsClosed"] is True and task["ActivityDate"] == "2026-05-01"
    assert task["CreatedDate"].endswith(".000+0000")
    assert sf.get_task(task_id, fields=["Subject"]).keys() == {"attributes", "Subject"}


def test_update_task_changes_fields_and_systemmodstamp(sf, fake):
    clock = [1_780_000_000.0]
    fake.clock = lambda: clock[0]
    task_id = sf.create_task({"Subject": "Call"})
    clock[0] += 90

    sf.update_task(task_id, {"Status": "Completed", "Description": "Done"})

    task = sf.get_task(task_id)
    assert task["Status"] == "Completed" and task["IsClosed"] is True
    assert task["SystemModstamp"] > task["CreatedDate"]


def test_update_of_an_unknown_task_is_not_found(sf):
    with pytest.raises(NotFoundError):
        sf.update_task("00TSb0000009999AAA", {"Subject": "x"})


@pytest.mark.parametrize(
    ("fields", "code", "field"),
    [
        ({"Colour": "red"}, "INVALID_FIELD", None),
        ({"Status": "Finished"}, "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST", "Status"),
        ({"WhoId": "003Sb0000009999AAA"}, "INVALID_CROSS_REFERENCE_KEY", "WhoId"),
        ({"OwnerId": "005Sb0000009999AAA"}, "INVALID_CROSS_REFERENCE_KEY", "OwnerId"),
        ({"WhatId": "not-an-id"}, "MALFORMED_ID", "WhatId"),
        ({"Status": None}, "REQUIRED_FIELD_MISSING", "Status"),
        ({"IsClosed": True}, "INVALID_FIELD_FOR_INSERT_UPDATE", "IsClosed"),
        ({"Subject": "x" * 256}, "STRING_TOO_LONG", "Subject"),
    ],
)
def test_create_task_rejects_invalid_fields_with_salesforce_codes(sf, fields, code, field):
    with pytest.raises(PermanentError) as caught:
        sf.create_task(fields)
    assert caught.value.status == 400 and caught.value.code == code
    if field:
        assert f"(fields: {field})" in caught.value.message


def test_who_id_must_point_at_a_contact_or_lead(sf, fake):
    account = fake.record_create(
        fake.schema.sobject("Account"), {"Name": "Globex"}, grant=fake.default_grant()
    )
    with pytest.raises(PermanentError) as caught:
        sf.create_task({"WhoId": account})
    assert caught.value.code == "FIELD_INTEGRITY_EXCEPTION"


def test_task_subtype_can_be_set_on_create_only(sf):
    task_id = sf.create_task({"TaskSubtype": "Email"})
    with pytest.raises(PermanentError) as caught:
        sf.update_task(task_id, {"TaskSubtype": "Call"})
    assert caught.value.code == "INVALID_FIELD_FOR_INSERT_UPDATE"


def test_create_records_returns_per_record_results_in_order(sf, fake, contact_id):
    results = sf.create_records(
        "Task",
        [
            {"Subject": "ok 1", "WhoId": contact_id},
            {"Subject": "bad", "Status": "Nope"},
            {"Subject": "ok 2"},
        ],
    )

    assert [r.success for r in results] == [True, False, True]
    assert results[1].id is None
    assert results[1].errors == [
        {
            "statusCode": "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
            "message": "Status: bad value for restricted picklist field: Nope",
            "fields": ["Status"],
        }
    ]
    subjects = {t["Subject"] for t in fake.records["Task"].values()}
    assert subjects == {"ok 1", "ok 2"}
    assert fake.records["Task"][results[0].id]["WhoId"] == contact_id


def test_all_or_none_rolls_back_every_record_when_one_fails(sf, fake):
    results = sf.create_records("Task", [{"Subject": "fine"}, {"Colour": "red"}], all_or_none=True)

    assert [r.success for r in results] == [False, False]
    assert results[0].errors[0]["statusCode"] == "ALL_OR_NONE_OPERATION_ROLLED_BACK"
    assert results[1].errors[0]["statusCode"] == "INVALID_FIELD"
    assert fake.records["Task"] == {}


def test_create_records_sends_chunks_of_200_and_keeps_the_order(sf, fake):
    records = [{"Subject": f"task {i}"} for i in range(450)]
    records[333]["Priority"] = "Urgent"

    results = sf.create_records("Task", records)

    calls = [path for method, path in fake.request_log if path.endswith("/composite/sobjects")]
    assert len(calls) == 3
    assert len(results) == 450
    assert [i for i, r in enumerate(results) if not r.success] == [333]
    assert fake.records["Task"][results[449].id]["Subject"] == "task 449"


def test_collections_refuse_more_than_200_records(sf):
    body = {"allOrNone": False, "records": [{"attributes": {"type": "Task"}}] * 201}
    with pytest.raises(PermanentError) as caught:
        sf.http.request("POST", "/composite/sobjects", json=body)
    assert caught.value.status == 400 and caught.value.code == "EXCEEDED_ID_LIMIT"


def test_update_records_reports_unknown_ids_per_record(sf, fake):
    (created,) = sf.create_records("Task", [{"Subject": "before"}])

    results = sf.update_records(
        "Task",
        [{"id": created.id, "Subject": "after"}, {"id": "00TSb0000009999AAA", "Subject": "x"}],
    )

    assert [r.success for r in results] == [True, False]
    assert results[1].id == "00TSb0000009999AAA"
    assert results[1].errors[0]["statusCode"] == "INVALID_CROSS_REFERENCE_KEY"
    assert fake.records["Task"][created.id]["Subject"] == "after"
