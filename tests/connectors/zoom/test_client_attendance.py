"""ZoomClient past instances, attendance report (UUID encoding) and recordings."""

from __future__ import annotations

import pytest

from connectors.errors import NotFoundError
from connectors.zoom.client import path_uuid


def test_path_uuid_double_encodes_only_slashy_uuids():
    assert path_uuid("/ajXp112QmuoKj4854875==") == "%2FajXp112QmuoKj4854875%3D%3D"
    assert path_uuid("ab//cd==") == "ab%2F%2Fcd%3D%3D"
    assert path_uuid("4444AAAiAAAAAiAiAiiAii==") == "4444AAAiAAAAAiAiAiiAii=="
    assert path_uuid(85746065123) == "85746065123"


def test_past_webinar_instances_list_uuids_and_start_times(zoom, fake):
    webinar_id = fake.demo["recurring_webinar_id"]

    instances = zoom.past_webinar_instances(webinar_id)

    assert [i["uuid"] for i in instances] == [i["uuid"] for i in fake.instances[webinar_id]]
    assert all(set(i) == {"uuid", "start_time"} for i in instances)


def test_participants_report_by_webinar_id_pages_through_the_latest_instance(zoom, fake):
    webinar_id = fake.demo["recurring_webinar_id"]
    latest = max(fake.instances[webinar_id], key=lambda i: i["start_time"])
    stored = fake.participants[latest["uuid"]]

    rows = list(zoom.webinar_participants_report(webinar_id))

    assert len(stored) > 7  # more than one page
    assert rows == stored


def test_participants_report_has_one_row_per_interval_and_guests_without_email(zoom, fake):
    rows = list(zoom.webinar_participants_report(fake.demo["past_webinar_id"]))

    guests = [r for r in rows if r["name"].startswith("Guest")]
    assert guests and all(r["user_email"] == "" and r["registrant_id"] == "" for r in guests)
    by_email: dict[str, list] = {}
    for row in rows:
        if row["user_email"]:
            by_email.setdefault(row["user_email"], []).append(row)
    assert any(len(intervals) > 1 for intervals in by_email.values())  # somebody rejoined
    assert all(r["duration"] > 0 and r["leave_time"] > r["join_time"] for r in rows)


def test_participants_report_by_uuid_starting_with_slash_is_double_encoded(zoom, fake):
    instance = fake.instances[fake.demo["past_webinar_id"]][0]
    assert instance["uuid"].startswith("/")

    rows = list(zoom.webinar_participants_report(instance["uuid"]))

    assert rows == fake.participants[instance["uuid"]]
    assert any("%252F" in path for _, path in fake.request_log)


def test_participants_report_by_uuid_containing_double_slash(zoom, fake):
    instance = fake.instances[fake.demo["recurring_webinar_id"]][0]
    assert "//" in instance["uuid"]

    assert (
        list(zoom.webinar_participants_report(instance["uuid"]))
        == (fake.participants[instance["uuid"]])
    )


def test_a_single_encoded_slashy_uuid_is_not_found_like_on_zoom(zoom, fake):
    uuid = fake.instances[fake.demo["past_webinar_id"]][0]["uuid"]

    with pytest.raises(NotFoundError):
        zoom.http.request(
            "GET", "/report/webinars/{webinar_id}/participants", path_params={"webinar_id": uuid}
        )


def test_participants_report_of_a_webinar_never_held_is_not_found(zoom, fake):
    with pytest.raises(NotFoundError) as caught:
        list(zoom.webinar_participants_report(fake.demo["upcoming_webinar_id"]))

    assert caught.value.code == "3001"


def test_recordings_get_returns_share_link_passcodes_and_a_vtt_transcript(zoom, fake):
    recording = zoom.recordings_get(fake.demo["past_webinar_id"])

    assert recording["share_url"].startswith("https://")
    assert recording["password"] and recording["recording_play_passcode"]
    transcript = next(f for f in recording["recording_files"] if f["file_type"] == "TRANSCRIPT")
    assert transcript["file_extension"] == "VTT"
    assert transcript["status"] == "completed"
    assert recording["recording_count"] == len(recording["recording_files"])


def test_recordings_get_shows_a_recording_still_processing(zoom, fake):
    recording = zoom.recordings_get(fake.demo["processing_recording_uuid"])

    assert {f["status"] for f in recording["recording_files"]} == {"processing"}
    assert "TRANSCRIPT" not in {f["file_type"] for f in recording["recording_files"]}


def test_recordings_get_returns_none_for_a_trashed_or_missing_recording(zoom, fake):
    assert zoom.recordings_get(fake.demo["trashed_recording_uuid"]) is None
    assert zoom.recordings_get(fake.demo["upcoming_webinar_id"]) is None
