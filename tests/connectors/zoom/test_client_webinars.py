"""ZoomClient users, webinars and registration against the Zoom fake."""

from __future__ import annotations

import pytest

from connectors.errors import NotFoundError, PermanentError, ReauthRequiredError
from connectors.zoom.client import ZoomClient, webinar_is_zoom_events
from tests.connectors.zoom.conftest import client_for


def _requests_to(fake, fragment: str) -> int:
    return sum(1 for method, path in fake.request_log if method == "GET" and fragment in path)


# --- users and tokens --------------------------------------------------------------------------
def test_user_me_is_the_consenting_owner_with_the_account_id(zoom, fake):
    me = zoom.user_me()

    assert me["id"] == fake.owner_id
    assert me["account_id"] == fake.account_id
    assert me["type"] == 2


def test_user_get_accepts_an_email(zoom, fake):
    someone = next(u for u in fake.users.values() if u["id"] != fake.owner_id)

    assert zoom.user_get(someone["email"])["id"] == someone["id"]


def test_user_get_raises_not_found_with_zoom_code_1001(zoom):
    with pytest.raises(NotFoundError) as caught:
        zoom.user_get("nobody@example.com")

    assert caught.value.code == "1001"
    assert caught.value.message == "User does not exist: nobody@example.com."


def test_users_list_follows_every_page(zoom, fake):
    small_pages = ZoomClient(zoom.http, page_size=2)

    ids = [user["id"] for user in small_pages.users_list()]

    assert sorted(ids) == sorted(fake.users)
    assert _requests_to(fake, "/v2/users") == 3  # 5 users in pages of 2


def test_expired_token_raises_reauth_required_with_code_124(zoom, fake):
    fake.oauth.expire_access_tokens()

    with pytest.raises(ReauthRequiredError) as caught:
        zoom.user_me()

    assert (caught.value.code, caught.value.message) == ("124", "Access token is expired.")


def test_missing_scope_raises_reauth_required(fake, settings):
    narrow = client_for(fake, settings, scopes=["user:read:user:admin"])

    with pytest.raises(ReauthRequiredError) as caught:
        list(narrow.webinars_list())

    assert caught.value.code == "4711"
    assert "webinar:read:list_webinars:admin" in caught.value.message


# --- webinars ----------------------------------------------------------------------------------
def test_webinars_list_follows_next_page_token_across_pages(zoom, fake):
    host = next(w["host_id"] for w in fake.webinars.values())
    expected = {w["id"] for w in fake.webinars.values() if w["host_id"] == host}

    listed = list(ZoomClient(zoom.http, page_size=1).webinars_list(host))

    assert {w["id"] for w in listed} == expected
    assert _requests_to(fake, "/webinars") == len(expected)
    assert {"uuid", "topic", "type", "start_time", "join_url"} <= set(listed[0])


def test_webinars_list_upcoming_leaves_out_ended_webinars(zoom, fake):
    past_id = fake.demo["past_webinar_id"]
    host = fake.webinars[past_id]["host_id"]

    scheduled = {w["id"] for w in zoom.webinars_list(host)}
    upcoming = {w["id"] for w in zoom.webinars_list(host, type="upcoming")}

    assert past_id in scheduled
    assert past_id not in upcoming


def test_webinar_get_returns_settings_and_registration_url(zoom, fake):
    webinar = zoom.webinar_get(fake.demo["manual_webinar_id"])

    assert webinar["type"] == 5
    assert webinar["settings"]["approval_type"] == 1
    assert webinar["registration_url"].startswith("https://")
    assert not webinar_is_zoom_events(webinar)


def test_webinar_get_shows_past_occurrences_only_on_request(zoom, fake):
    webinar_id = fake.demo["recurring_webinar_id"]

    upcoming = zoom.webinar_get(webinar_id)
    everything = zoom.webinar_get(webinar_id, show_previous_occurrences=True)

    assert upcoming["type"] == 9
    assert len(everything["occurrences"]) == 5
    assert len(upcoming["occurrences"]) == 3
    one = everything["occurrences"][0]
    assert {"occurrence_id", "start_time", "duration", "status"} <= set(one)
    single = zoom.webinar_get(webinar_id, occurrence_id=one["occurrence_id"])
    assert single["start_time"] == one["start_time"]


def test_webinar_created_by_zoom_events_is_recognised(zoom, fake):
    assert webinar_is_zoom_events(zoom.webinar_get(fake.demo["zoom_events_webinar_id"]))


def test_webinar_without_registration_says_approval_type_2(zoom, fake):
    webinar = zoom.webinar_get(fake.demo["no_registration_webinar_id"])

    assert webinar["settings"]["approval_type"] == 2
    assert "registration_url" not in webinar


def test_webinar_get_unknown_raises_not_found_3001(zoom):
    with pytest.raises(NotFoundError) as caught:
        zoom.webinar_get(12345678901)

    assert caught.value.code == "3001"
    assert caught.value.message == "Webinar does not exist: 12345678901."


def test_registration_questions_list_required_fields_and_custom_questions(zoom, fake):
    questions = zoom.webinar_registration_questions(fake.demo["manual_webinar_id"])

    assert {"field_name": "last_name", "required": True} in questions["questions"]
    custom = questions["custom_questions"][0]
    assert custom["required"] is True
    assert custom["title"] == "How did you hear about us?"
    assert custom["answers"]


# --- registrants -------------------------------------------------------------------------------
def test_registrants_list_follows_every_page(zoom, fake):
    webinar_id = fake.demo["upcoming_webinar_id"]
    stored = [r["id"] for r in fake.registrants[webinar_id] if r["status"] == "approved"]

    listed = list(zoom.webinar_registrants_list(webinar_id))

    assert len(stored) > 14  # at least three pages of 7
    assert [r["id"] for r in listed] == stored
    assert {"id", "email", "first_name", "last_name", "status", "create_time", "join_url"} <= set(
        listed[0]
    )


def test_registrants_report_pending_denied_and_drop_self_cancelled(zoom, fake):
    webinar_id = fake.demo["manual_webinar_id"]
    stored = fake.registrants[webinar_id]
    self_cancelled = {r["email"] for r in stored if r["status"] == "cancelled"}
    host_cancelled = {r["email"] for r in stored if r["_cancelled_by"] == "host"}

    pending = list(zoom.webinar_registrants_list(webinar_id, status="pending"))
    denied = {r["email"] for r in zoom.webinar_registrants_list(webinar_id, status="denied")}
    everyone = {r["email"] for r in zoom.webinar_registrants_all(webinar_id)}

    assert pending and all(r["status"] == "pending" for r in pending)
    assert host_cancelled and host_cancelled <= denied  # a host cancel is listed as denied
    assert self_cancelled and not self_cancelled & everyone  # a self-cancel is listed nowhere
    assert len(everyone) == len(stored) - len(self_cancelled)


def test_registrant_add_approves_automatically_and_lists_the_registrant(zoom, fake):
    webinar_id = fake.demo["upcoming_webinar_id"]

    added = zoom.webinar_registrant_add(
        webinar_id, email="Jane@Example.com", first_name="Jane", last_name="Doe", org="Initech"
    )

    assert added["id"] == webinar_id
    assert added["status"] == "approved"
    assert added["join_url"].startswith("https://")
    assert added["topic"] == fake.webinars[webinar_id]["topic"]
    listed = {
        r["registrant_id"] if "registrant_id" in r else r["id"]: r
        for r in zoom.webinar_registrants_list(webinar_id)
    }
    assert listed[added["registrant_id"]]["email"] == "jane@example.com"


def test_registering_the_same_email_twice_returns_the_same_registration(zoom, fake):
    webinar_id = fake.demo["upcoming_webinar_id"]
    first = zoom.webinar_registrant_add(
        webinar_id, email="a@b.example", first_name="A", last_name="B"
    )

    again = zoom.webinar_registrant_add(
        webinar_id, email="A@B.example", first_name="Other", last_name="Name"
    )

    assert (again["registrant_id"], again["join_url"]) == (
        first["registrant_id"],
        first["join_url"],
    )
    assert sum(r["email"] == "a@b.example" for r in fake.registrants[webinar_id]) == 1


def test_someone_who_cancelled_may_register_again(zoom, fake):
    webinar_id = fake.demo["upcoming_webinar_id"]
    cancelled = next(r for r in fake.registrants[webinar_id] if r["status"] == "cancelled")

    again = zoom.webinar_registrant_add(
        webinar_id, email=cancelled["email"], first_name="Back", last_name="Again"
    )

    assert again["registrant_id"] != cancelled["id"]
    assert again["status"] == "approved"


def test_manual_approval_webinar_needs_the_required_custom_answer(zoom, fake):
    webinar_id = fake.demo["manual_webinar_id"]

    with pytest.raises(PermanentError) as caught:
        zoom.webinar_registrant_add(webinar_id, email="x@y.example", first_name="X", last_name="Y")
    assert (caught.value.status, caught.value.code) == (400, "300")

    added = zoom.webinar_registrant_add(
        webinar_id,
        email="x@y.example",
        first_name="X",
        last_name="Y",
        custom_questions={"How did you hear about us?": "LinkedIn"},
    )
    assert added["status"] == "pending"


def test_registrant_add_requires_an_email(zoom, fake):
    with pytest.raises(PermanentError) as caught:
        zoom.webinar_registrant_add(
            fake.demo["upcoming_webinar_id"], email="", first_name="N", last_name="E"
        )

    assert (caught.value.code, caught.value.message) == ("300", "Validation Failed.")


@pytest.mark.parametrize(
    ("demo_key", "email", "code", "message"),
    [
        (
            "no_registration_webinar_id",
            "p@q.example",
            "3000",
            "This webinar does not have registration as required",
        ),
        ("upcoming_webinar_id", None, "3027", "Host cannot register"),
        ("past_webinar_id", "p@q.example", "3038", "Webinar is over, you cannot register now."),
    ],
)
def test_registrant_add_surfaces_zoom_refusals(zoom, fake, demo_key, email, code, message):
    webinar_id = fake.demo[demo_key]
    email = email or fake.webinars[webinar_id]["host_email"]

    with pytest.raises(PermanentError) as caught:
        zoom.webinar_registrant_add(webinar_id, email=email, first_name="P", last_name="Q")

    assert (caught.value.status, caught.value.code, caught.value.message) == (400, code, message)


def test_registrant_add_to_an_unknown_webinar_raises_not_found_3001(zoom):
    with pytest.raises(NotFoundError) as caught:
        zoom.webinar_registrant_add(99999999999, email="p@q.example", first_name="P")

    assert caught.value.code == "3001"


def test_registrant_add_to_chosen_occurrences_of_a_recurring_webinar(zoom, fake):
    webinar_id = fake.demo["recurring_webinar_id"]
    last = fake.webinars[webinar_id]["occurrences"][-1]["occurrence_id"]

    added = zoom.webinar_registrant_add(
        webinar_id, email="r@s.example", first_name="R", last_name="S", occurrence_ids=[last]
    )

    assert [o["occurrence_id"] for o in added["occurrences"]] == [last]
