"""The Zoom fake's seed: deterministic, sized by its arguments, covering every case."""

from __future__ import annotations

from connectors.zoom.sandbox import ZoomSandbox


def _registrants(fake: ZoomSandbox) -> list[tuple[int, str, str]]:
    return sorted(
        (webinar_id, r["email"], r["status"])
        for webinar_id, rows in fake.registrants.items()
        for r in rows
    )


def test_seed_is_deterministic_for_a_seed_value(sandbox):
    one, two = ZoomSandbox(), ZoomSandbox()

    assert one.seed(seed=7) == two.seed(seed=7)
    assert _registrants(one) == _registrants(two)
    assert one.participants == two.participants
    assert ZoomSandbox().seed(seed=8)["demo"] != one.summary()["demo"]


def test_seed_sizes_follow_the_arguments(sandbox):
    fake = ZoomSandbox()

    summary = fake.seed(
        users=3, webinars_per_user=6, registrants_per_webinar=10, meetings_per_user=1
    )

    licensed = [u for u in fake.users.values() if u["type"] == 2]
    assert summary["users"] == 3
    assert summary["webinars"] == 6 * len(licensed)
    assert summary["meetings"] == 3
    assert all(len(rows) in (0, 10) for rows in fake.registrants.values())


def test_seed_covers_every_webinar_kind_and_registrant_status(sandbox):
    fake = ZoomSandbox()
    summary = fake.seed()

    for kind in ("past", "upcoming", "recurring", "manual", "no_registration", "zoom_events"):
        assert f"{kind}_webinar_id" in summary["demo"]
    statuses = {status for _, _, status in _registrants(fake)}
    assert statuses == {"approved", "pending", "denied", "cancelled"}
    assert any(u["type"] == 1 for u in fake.users.values())  # some basic users
    assert summary["recordings"] >= 2


def test_reset_keeps_an_owner_who_can_consent_without_seeding(sandbox):
    fake = ZoomSandbox()

    grant = fake.oauth.grant_issue(fake.default_grant())

    assert grant.user_id in fake.users
    assert fake.summary()["webinars"] == 0
