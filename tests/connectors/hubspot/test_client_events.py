"""Forms, form submissions and marketing email events via the client (apis.md §2.8)."""

from __future__ import annotations

import pytest

from connectors.errors import PermanentError
from tests.connectors.hubspot.conftest import client_for

T0 = 1_780_000_000_000
MINUTE = 60_000


def test_forms_are_listed_across_pages(fake, hubspot):
    names = [f"Form {i}" for i in range(130)]
    for name in names:
        fake.form_add(name)

    assert [form["name"] for form in hubspot.forms()] == names


def test_form_submissions_since_read_newest_first_across_pages_and_stop_at_the_bar(fake, hubspot):
    guid = fake.form_add("Contact us")
    for index in range(120):
        fake.form_submission_add(guid, {"email": f"p{index}@example.com"}, at_ms=T0 + index)

    read = list(hubspot.form_submissions_since(guid, T0 + 10))

    assert [s["submittedAt"] for s in read] == list(range(T0 + 119, T0 + 9, -1))
    assert read[0]["values"] == [{"name": "email", "value": "p119@example.com"}]
    assert {"conversionId", "pageUrl"} <= set(read[0])
    # Newest first: the third page reaches the bar, so no fourth page is asked for.
    assert fake.request_log.count(("GET", f"/form-integrations/v1/submissions/forms/{guid}")) == 3


def test_email_events_filter_by_type_and_window_and_follow_the_offset(fake, hubspot):
    campaign = fake.marketing_email_add("May newsletter")
    for index in range(1100):
        fake.email_event_add(campaign, "SENT", f"r{index}@example.com", at_ms=T0)
    fake.email_event_add(campaign, "OPEN", "r1@example.com", at_ms=T0 + MINUTE)
    fake.email_event_add(campaign, "OPEN", "r2@example.com", at_ms=T0 + 3 * MINUTE)

    sent = list(hubspot.email_events("SENT", start_ms=T0))
    opens = list(hubspot.email_events("OPEN", start_ms=T0, end_ms=T0 + 2 * MINUTE))

    assert len(sent) == 1100 and len({e["id"] for e in sent}) == 1100
    assert [(e["recipient"], e["emailCampaignId"]) for e in opens] == [("r1@example.com", campaign)]


def test_email_campaign_gives_the_email_name_or_none(fake, hubspot):
    campaign = fake.marketing_email_add("May newsletter", subject="News for May")

    found = hubspot.email_campaign_get(campaign)

    assert (found["name"], found["subject"]) == ("May newsletter", "News for May")
    assert hubspot.email_campaign_get(999_999_999) is None


@pytest.mark.parametrize(
    ("scope", "call"),
    [
        ("forms", lambda c: c.forms()),
        ("content", lambda c: list(c.email_events("OPEN", start_ms=0))),
    ],
)
def test_reads_need_their_scope(fake, settings, scope, call):
    narrowed = client_for(
        fake, settings, scopes=[s for s in fake.default_grant().scopes if s != scope]
    )

    with pytest.raises(PermanentError) as raised:
        call(narrowed)

    assert raised.value.status == 403


def test_seed_adds_forms_with_submissions_and_emails_with_events(fake):
    summary = fake.seed(contacts=30, companies=3, owners=2)

    assert summary["forms"] == 2 and summary["form_submissions"] == 12
    assert summary["email_events"]["SENT"] == 40
    assert 0 < summary["email_events"]["OPEN"] < 40
    types = {event["type"] for event in fake.email_events}
    assert types <= {"SENT", "OPEN", "CLICK"}
    sent_times = {e["created"] for e in fake.email_events if e["type"] == "SENT"}
    assert len(sent_times) == 2  # one batch send per email: every SENT shares its millisecond
