from __future__ import annotations

from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from config.env import database_from_url, env_bool, env_json_dict, env_list, env_str


def test_env_str_reads_file_variant(monkeypatch, tmp_path):
    secret = tmp_path / "secret"
    secret.write_text("s3cret\n")
    monkeypatch.delenv("MB_TEST_SECRET", raising=False)
    monkeypatch.setenv("MB_TEST_SECRET_FILE", str(secret))
    assert env_str("MB_TEST_SECRET") == "s3cret"
    monkeypatch.setenv("MB_TEST_SECRET", "direct")
    assert env_str("MB_TEST_SECRET") == "direct"


def test_env_str_unreadable_file_is_a_clear_error(monkeypatch, tmp_path):
    monkeypatch.setenv("MB_TEST_SECRET_FILE", str(tmp_path / "missing"))
    with pytest.raises(ImproperlyConfigured, match="MB_TEST_SECRET_FILE"):
        env_str("MB_TEST_SECRET")


def test_env_bool_rejects_nonsense(monkeypatch):
    monkeypatch.setenv("MB_FLAG", "maybe")
    with pytest.raises(ImproperlyConfigured, match="MB_FLAG"):
        env_bool("MB_FLAG")
    monkeypatch.setenv("MB_FLAG", "off")
    assert env_bool("MB_FLAG", default=True) is False


def test_env_list_splits_and_strips(monkeypatch):
    monkeypatch.setenv("MB_LIST", " a, b ,,c ")
    assert env_list("MB_LIST") == ["a", "b", "c"]


def test_postgres_url_is_parsed():
    db = database_from_url(
        "postgres://u:p%40ss@db.example:6543/meet?sslmode=require", base_dir=Path()
    )
    assert db["ENGINE"] == "django.db.backends.postgresql"
    assert (db["USER"], db["PASSWORD"], db["HOST"], db["PORT"], db["NAME"]) == (
        "u",
        "p@ss",
        "db.example",
        "6543",
        "meet",
    )
    assert db["OPTIONS"] == {"sslmode": "require"}


def test_sqlite_is_tuned_for_web_and_worker_together(tmp_path):
    db = database_from_url(f"sqlite:///{tmp_path}/x/app.sqlite3", base_dir=Path("/nowhere"))
    assert db["NAME"] == str(tmp_path / "x" / "app.sqlite3")
    assert db["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
    assert "journal_mode=WAL" in db["OPTIONS"]["init_command"]
    assert db["OPTIONS"]["timeout"] >= 5


def test_relative_sqlite_path_is_under_base_dir(tmp_path):
    db = database_from_url("sqlite:///var/app.sqlite3", base_dir=tmp_path)
    assert db["NAME"] == str(tmp_path / "var" / "app.sqlite3")


def test_unknown_database_scheme_is_rejected():
    with pytest.raises(ImproperlyConfigured, match="mysql"):
        database_from_url("mysql://x/y", base_dir=Path())


def test_env_json_dict_reads_an_object_and_rejects_anything_else(monkeypatch):
    monkeypatch.delenv("MB_JSON", raising=False)
    assert env_json_dict("MB_JSON") == {}
    monkeypatch.setenv("MB_JSON", '{"registration": "1001"}')
    assert env_json_dict("MB_JSON") == {"registration": "1001"}
    for bad in ("{not json", '["1001"]'):
        monkeypatch.setenv("MB_JSON", bad)
        with pytest.raises(ImproperlyConfigured, match="MB_JSON"):
            env_json_dict("MB_JSON")
