from __future__ import annotations

import pytest

from tests.factories import organization_make, user_make


@pytest.fixture
def org_a(db):
    return organization_make("Alpha")


@pytest.fixture
def org_b(db):
    return organization_make("Beta")


@pytest.fixture
def manager_a(org_a):
    return user_make(org_a)


@pytest.fixture
def is_postgres():
    from django.db import connection

    return connection.vendor == "postgresql"


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
