"""The learner's database: migrations, WAL, and clear errors for a bad file."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from tutor import paths, store
from tutor.cli import cli


def test_new_database_is_migrated_and_in_wal_mode():
    db = store.connect()
    assert store.schema_version(db) == store.SCHEMA_VERSION
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert {"settings", "chat_sessions", "chat_messages"} <= set(db.table_names())
    store.set_setting(db, "daily_new", 15)
    assert store.get_setting(store.connect(), "daily_new") == 15
    assert store.integrity(db) == "ok"


def test_corrupt_database_is_a_clear_error():
    paths.db_path().write_bytes(b"this is not a database" * 200)
    with pytest.raises(store.StoreError, match="not a usable tutor database"):
        store.connect()


def test_newer_schema_is_refused():
    db = store.connect()
    db.execute(f"PRAGMA user_version = {store.SCHEMA_VERSION + 5}")
    with pytest.raises(store.StoreError, match="newer than this tutor understands"):
        store.connect()


def test_doctor_reports_every_part():
    result = CliRunner().invoke(cli, ["doctor"])
    assert result.exit_code == 0, result.output
    for part in ("database", "model", "course", "course index", "gpu", "data dir"):
        assert part in result.stdout
    paths.db_path().write_bytes(b"garbage" * 500)
    result = CliRunner().invoke(cli, ["doctor"])
    assert result.exit_code == 1
    assert "not a usable tutor database" in result.stdout
