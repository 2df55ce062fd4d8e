"""The pure functions that turn the ledger into HubSpot values."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from sync.webinars.exclusions import ExclusionRules, domain_normalise, email_normalise
from sync.webinars.rollups import (
    PROP_ATTENDED,
    PROP_AVG_PERCENT,
    PROP_LAST_REGISTERED,
    PROP_REGISTRATIONS,
    LedgerFact,
    attendance_percent,
    contact_properties,
    contact_rollups,
    interval_minutes,
    stable_hash,
)

T0 = dt.datetime(2026, 11, 1, 10, 0, tzinfo=dt.UTC)


def fact(webinar_id, *, registered=True, minutes=0, of=60, url=None, at=None, email="a@x.io"):
    return LedgerFact(
        email=email,
        webinar_id=webinar_id,
        webinar_url=url or f"https://zoom.us/w/{webinar_id}",
        registered=registered,
        registered_at=at or T0,
        minutes_attended=minutes,
        session_minutes=of,
    )


def test_overlapping_intervals_count_once():
    minutes, first, last = interval_minutes(
        [
            ["2026-11-01T10:00:00Z", "2026-11-01T10:30:00Z"],
            ["2026-11-01T10:20:00Z", "2026-11-01T10:40:00Z"],  # second device
            ["2026-11-01T11:00:00Z", "2026-11-01T11:10:00Z"],  # rejoined later
        ]
    )
    assert minutes == 50
    assert (first, last) == ("2026-11-01T10:00:00Z", "2026-11-01T11:10:00Z")


def test_no_intervals_means_no_attendance():
    assert interval_minutes([]) == (0, None, None)
    assert interval_minutes([["2026-11-01T10:00:00Z", ""]]) == (0, None, None)


@pytest.mark.parametrize(
    ("minutes", "of", "expected"),
    [(30, 60, "50.0"), (90, 60, "100.0"), (0, 60, "0.0"), (10, 0, "0.0"), (1, 3, "33.3")],
)
def test_attendance_percent_is_capped_and_rounded(minutes, of, expected):
    assert attendance_percent(minutes, of) == Decimal(expected)


def test_recurring_webinar_counts_once_and_its_percent_is_the_mean_of_its_sessions():
    rollup = contact_rollups(
        [
            fact(1, minutes=60, of=60),  # occurrence 1: 100 %
            fact(1, registered=False, minutes=30, of=60),  # occurrence 2: 50 %
            fact(2, minutes=15, of=60),  # another webinar: 25 %
        ]
    )["a@x.io"]
    assert rollup.registrations == 2
    assert rollup.webinars_attended == 2
    assert rollup.average_percent == Decimal("50.0")  # mean of 75 % and 25 %


def test_denied_and_cancelled_registrations_do_not_count():
    rollup = contact_rollups([fact(1, registered=False), fact(2)])["a@x.io"]
    assert rollup.registrations == 1
    assert rollup.average_percent is None


def test_last_registered_is_the_most_recent_registration():
    rollup = contact_rollups(
        [
            fact(1, url="https://zoom.us/w/old", at=T0),
            fact(2, url="https://zoom.us/w/new", at=T0 + dt.timedelta(days=3)),
            fact(3, registered=False, url="https://zoom.us/w/walkin", at=T0 + dt.timedelta(days=9)),
        ]
    )["a@x.io"]
    assert rollup.last_registered_url == "https://zoom.us/w/new"


def test_properties_and_hash_are_deterministic():
    rollups = contact_rollups([fact(2, minutes=30), fact(1, minutes=60)])
    again = contact_rollups([fact(1, minutes=60), fact(2, minutes=30)])
    properties = contact_properties(rollups["a@x.io"])
    assert properties == contact_properties(again["a@x.io"])
    assert set(properties) == {
        PROP_REGISTRATIONS,
        PROP_ATTENDED,
        PROP_AVG_PERCENT,
        PROP_LAST_REGISTERED,
    }
    assert stable_hash(properties) == stable_hash(dict(reversed(properties.items())))


def test_emails_group_case_insensitively():
    rollups = contact_rollups([fact(1, email="Jane@X.io"), fact(2, email="jane@x.io")])
    assert list(rollups) == ["jane@x.io"] and rollups["jane@x.io"].registrations == 2


@pytest.mark.parametrize("value", ["not-an-email", "a@", "@b.com", "a b@c.com", ""])
def test_malformed_emails_are_rejected_clearly(value):
    with pytest.raises(ValueError, match="not a valid email"):
        email_normalise(value)


@pytest.mark.parametrize("value", ["example", "ex ample.com", "-x.com", "a..b.com", "", "x.c"])
def test_malformed_domains_are_rejected_clearly(value):
    with pytest.raises(ValueError, match="not a domain"):
        domain_normalise(value)


def test_domains_are_normalised():
    assert domain_normalise(" @Example.COM ") == "example.com"


def test_exclusion_reasons_in_order():
    rules = ExclusionRules(
        emails=frozenset({"vip@client.io"}),
        domains=frozenset({"acme.example"}),
        hubspot_user_emails=frozenset({"rep@acme.example"}),
    )
    assert rules.reason("rep@acme.example") == "excluded_hubspot_user"
    assert rules.reason("VIP@client.io") == "excluded_email"
    assert rules.reason("bob@eu.acme.example") == "excluded_domain"
    assert rules.reason("bob@notacme.example") is None
    assert rules.reason("nope") == "invalid_email"
