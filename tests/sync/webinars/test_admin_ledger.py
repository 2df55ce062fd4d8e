"""The attendance ledger: read-only, searchable, and filtered by HubSpot-style segments."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from sync.models import Attendance
from tests.sync.factories import attendance_make, session_make, webinar_make

pytestmark = pytest.mark.django_db

LEDGER = reverse("admin:sync_attendance_changelist")


@pytest.fixture
def ledger(org_a):
    """Five people of one webinar and one of another, keyed by their minutes attended."""
    launch = session_make(webinar_make(org_a, topic="Launch day", zoom_webinar_id="81111111111"))
    other = session_make(webinar_make(org_a, topic="Office hours", zoom_webinar_id="82222222222"))
    rows = {
        "registered-only": attendance_make(launch, "reg@example.com"),
        "brief": attendance_make(
            launch, "brief@example.com", minutes_attended=0, intervals=[["t1", "t2"]]
        ),
        "ten": attendance_make(launch, "ten@example.com", minutes_attended=10),
        "twenty": attendance_make(
            launch,
            "twenty@example.com",
            minutes_attended=20,
            registration_status=Attendance.RegistrationStatus.CANCELLED,
        ),
        "fifty": attendance_make(
            launch,
            "fifty@example.com",
            minutes_attended=50,
            registration_status=Attendance.RegistrationStatus.NONE,
            source=Attendance.Source.REPORT,
        ),
        "hour": attendance_make(other, "hour@example.com", minutes_attended=60),
    }
    return {"launch": launch.webinar, "other": other.webinar, "rows": rows}


def _shown(client, params) -> set[str]:
    response = client.get(LEDGER, params)
    assert response.status_code == 200
    return {row.email.split("@")[0] for row in response.context["cl"].result_list}


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"attended": "yes"}, {"brief", "ten", "twenty", "fifty", "hour"}),
        ({"attended": "no"}, {"reg"}),
        ({"minutes": "0"}, {"reg", "brief"}),
        ({"minutes": "1-15"}, {"ten"}),
        ({"minutes": "15-30"}, {"twenty"}),
        ({"minutes": "30-60"}, {"fifty"}),
        ({"minutes": "60+"}, {"hour"}),
        ({"percent": "0"}, {"reg", "brief"}),
        ({"percent": "1-25"}, {"ten"}),  # 16.7 %
        ({"percent": "25-50"}, {"twenty"}),  # 33.3 %
        ({"percent": "75-100"}, {"fifty", "hour"}),  # 83.3 %, 100 %
        ({"registration": "cancelled"}, {"twenty"}),
        ({"registration": "none"}, {"fifty"}),
        ({"source__exact": "report"}, {"fifty"}),
        ({"attended": "yes", "minutes": "15-30"}, {"twenty"}),
    ],
)
def test_segment_filters(client, manager_a, ledger, params, expected):
    client.force_login(manager_a)
    assert _shown(client, params) == expected


def test_percentage_boundaries(client, org_a, manager_a):
    session = session_make(webinar_make(org_a))
    for percent in ("0.1", "24.9", "25.0", "50.0", "74.9", "75.0", "100.0"):
        attendance_make(
            session,
            f"p{percent.replace('.', '_')}@example.com",
            minutes_attended=1,
            attendance_percent=Decimal(percent),
        )
    client.force_login(manager_a)

    assert _shown(client, {"percent": "1-25"}) == {"p0_1", "p24_9"}
    assert _shown(client, {"percent": "25-50"}) == {"p25_0"}
    assert _shown(client, {"percent": "50-75"}) == {"p50_0", "p74_9"}
    assert _shown(client, {"percent": "75-100"}) == {"p75_0", "p100_0"}


def test_webinar_filter(client, manager_a, ledger):
    client.force_login(manager_a)
    assert _shown(client, {"webinar__id__exact": ledger["other"].pk}) == {"hour"}


@pytest.mark.parametrize(
    ("term", "expected"),
    [
        ("TEN@example", {"ten"}),
        ("office hours", {"hour"}),
        ("82222222222", {"hour"}),
    ],
)
def test_search_by_email_topic_and_zoom_id(client, manager_a, ledger, term, expected):
    client.force_login(manager_a)
    assert _shown(client, {"q": term}) == expected


def test_ledger_is_read_only(client, manager_a, ledger):
    row = ledger["rows"]["ten"]
    client.force_login(manager_a)
    url = reverse("admin:sync_attendance_change", args=[row.pk])

    page = client.get(url)
    assert page.status_code == 200
    assert "ten@example.com" in page.content.decode()
    assert client.post(url, {"minutes_attended": 99}).status_code == 403
    assert client.get(reverse("admin:sync_attendance_add")).status_code == 403
    row.refresh_from_db()
    assert row.minutes_attended == 10
