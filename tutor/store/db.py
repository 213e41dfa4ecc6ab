"""The learner's data: one SQLite file (via sqlite-utils), versioned by migrations.

Why these settings: WAL lets a second tutor read while one writes, a busy
timeout turns "database is locked" into a short wait, and every write commits
at once so a killed process loses nothing the learner was shown as saved.
"""

from __future__ import annotations

import json
import sqlite3
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tutor import paths
from tutor.errors import TutorError


def _import_sqlite_utils():
    """sqlite-utils without pandas.

    sqlite-utils imports pandas (0.6 s here) whenever it is installed, for
    DataFrame support we never use; pandas is installed for fsrs's optimizer.
    Hiding it for this one import keeps every command and the TUI 0.6 s faster,
    and `import pandas` still works normally afterwards.
    """
    if "sqlite_utils" in sys.modules or "pandas" in sys.modules:
        import sqlite_utils
    else:
        sys.modules["pandas"] = None  # type: ignore[assignment]  # makes `import pandas` fail
        try:
            import sqlite_utils
        finally:
            del sys.modules["pandas"]
    return sqlite_utils


sqlite_utils = _import_sqlite_utils()


class StoreError(TutorError):
    """The data file cannot be used (corrupt, not a database, newer schema)."""


def _migration_1(db: sqlite_utils.Database) -> None:
    db["settings"].create({"key": str, "value": str}, pk="key")
    db["chat_sessions"].create(
        {"id": int, "title": str, "created_at": str, "updated_at": str}, pk="id"
    )
    db["chat_messages"].create(
        {
            "id": int,
            "session_id": int,
            "role": str,  # "user" | "tutor"
            "text": str,
            "sources": str,  # JSON list of cited sources
            "in_scope": int,
            "created_at": str,
        },
        pk="id",
        foreign_keys=[("session_id", "chat_sessions", "id")],
    )
    db["chat_messages"].create_index(["session_id", "id"])
    db["progress"].create({"lesson_id": str, "section_id": str, "opened_at": str}, pk="lesson_id")


def _migration_2(db: sqlite_utils.Database) -> None:
    """Cards (authored, generated, imported) with their FSRS state, and the review log.

    `cards.status` is 'active' or 'retired': a card whose source item vanished is
    retired, never deleted, so its reviews keep their meaning. Times are ISO-8601
    UTC text with microseconds (`+00:00`), so text order is time order.
    """
    db.execute(
        """
        CREATE TABLE cards (
            id TEXT PRIMARY KEY,        -- item id | gen-<kind>:<lesson>:<term> | csv:<hash>
            fsrs_id INTEGER NOT NULL,   -- integer id that fsrs.Card / the optimizer use
            origin TEXT NOT NULL,       -- 'course' | 'library' | 'csv'
            source TEXT NOT NULL,       -- 'authored' | 'gen-cloze' | 'gen-def' | 'gen-mcq' | 'csv'
            kind TEXT NOT NULL,         -- 'short' | 'mcq' | 'cloze' (what the grader is told)
            lesson_id TEXT NOT NULL,
            lesson_title TEXT NOT NULL DEFAULT '',
            lesson_order INTEGER NOT NULL DEFAULT 0,
            position INTEGER NOT NULL DEFAULT 0,
            section_id TEXT,
            question TEXT NOT NULL,
            answer TEXT NOT NULL,
            accept TEXT NOT NULL DEFAULT '[]',   -- JSON list
            choices TEXT NOT NULL DEFAULT '[]',  -- JSON list (mcq)
            explanation TEXT NOT NULL DEFAULT '',
            chunk_id TEXT,              -- the chunk that teaches it ('lesson#section#n')
            source_heading TEXT,
            source_path TEXT,
            source_line INTEGER,
            source_text TEXT,
            status TEXT NOT NULL DEFAULT 'active',
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            retired_at TEXT,
            state INTEGER NOT NULL DEFAULT 1,    -- fsrs.State
            step INTEGER,
            stability REAL,
            difficulty REAL,
            due TEXT NOT NULL,
            last_review TEXT,
            fsrs TEXT NOT NULL                   -- fsrs.Card.to_dict() as JSON
        )
        """
    )
    db.execute("CREATE INDEX cards_due ON cards (status, due) WHERE last_review IS NOT NULL")
    db.execute(
        "CREATE INDEX cards_new ON cards (status, lesson_order, position) WHERE last_review IS NULL"
    )
    db.execute("CREATE INDEX cards_lesson ON cards (lesson_id, status)")
    db.execute("CREATE INDEX cards_origin ON cards (origin, status)")
    db.execute(
        """
        CREATE TABLE reviews (
            id INTEGER PRIMARY KEY,
            card_id TEXT NOT NULL,
            rating INTEGER NOT NULL,        -- fsrs.Rating 1..4, as chosen
            suggested INTEGER,              -- the rating the grade suggested
            reviewed_at TEXT NOT NULL,      -- ISO UTC
            duration_ms INTEGER,
            answer TEXT,
            verdict TEXT,                   -- 'correct' | 'partial' | 'incorrect' | NULL
            score REAL,
            state_before INTEGER,           -- fsrs.State before; NULL when the card was new
            cram INTEGER NOT NULL DEFAULT 0 -- 1: reviewed without rescheduling
        )
        """
    )
    db.execute("CREATE INDEX reviews_time ON reviews (reviewed_at)")
    db.execute("CREATE INDEX reviews_card ON reviews (card_id, reviewed_at)")
    db.execute(
        """
        CREATE TABLE term_vectors (
            key TEXT PRIMARY KEY,   -- sha1 of model id + embedded text
            vector BLOB NOT NULL    -- float32, unit-normalised
        )
        """
    )


def _migration_3(db: sqlite_utils.Database) -> None:
    """Covering indexes, so the daily queue and stats stay fast at 100k cards / 1M reviews.

    The queue and the forecast read only index pages (no row lookups), and the
    review-window figures (reviews per day, time, retention) never touch the table.
    """
    db.execute("DROP INDEX IF EXISTS cards_due")
    db.execute(
        "CREATE INDEX cards_queue ON cards (status, due, state, stability, last_review, "
        "lesson_id, id) WHERE last_review IS NOT NULL"
    )
    db.execute(
        "CREATE INDEX cards_lesson_stats ON cards (status, lesson_id, last_review, stability, due)"
    )
    db.execute("DROP INDEX IF EXISTS reviews_time")
    db.execute(
        "CREATE INDEX reviews_window ON reviews "
        "(reviewed_at, duration_ms, cram, state_before, rating)"
    )


# Each migration moves the schema from version i to i+1. Append, never edit.
MIGRATIONS: list[Callable[[sqlite_utils.Database], None]] = [
    _migration_1,
    _migration_2,
    _migration_3,
]
SCHEMA_VERSION = len(MIGRATIONS)


def connect(path: Path | str | None = None) -> sqlite_utils.Database:
    """Open (creating or migrating) the learner's database."""
    path = Path(path) if path else paths.db_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreError(f"{path.parent}: cannot create the data folder ({exc.strerror})") from None
    try:
        conn = sqlite3.connect(
            str(path), timeout=10.0, isolation_level=None, check_same_thread=False
        )
        conn.execute("PRAGMA busy_timeout = 10000")
        _use_wal(conn)
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("PRAGMA foreign_keys = ON")
        db = sqlite_utils.Database(conn)
        migrate(db)
    except sqlite3.DatabaseError as exc:
        raise StoreError(f"{path}: not a usable tutor database ({exc})") from None
    return db


def _use_wal(conn: sqlite3.Connection, wait: float = 10.0) -> None:
    """Switch to WAL, retrying while another tutor holds the file.

    Two tutors opening a brand-new database at once race to set its journal
    mode, and SQLite answers the loser "database is locked" at once instead of
    waiting out the busy timeout (seen in test_reliability's fresh-data-dir test).
    """
    deadline = time.monotonic() + wait
    while True:
        try:
            conn.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.02)


def schema_version(db: sqlite_utils.Database) -> int:
    return db.execute("PRAGMA user_version").fetchone()[0]


def migrate(db: sqlite_utils.Database) -> None:
    version = schema_version(db)
    if version > SCHEMA_VERSION:
        raise StoreError(
            f"{db.conn.execute('PRAGMA database_list').fetchone()[2]}: schema version {version} "
            f"is newer than this tutor understands ({SCHEMA_VERSION}); upgrade tutor"
        )
    for target in range(version, SCHEMA_VERSION):
        with write_txn(db) as conn:
            # Re-read under the write lock: another tutor may have migrated meanwhile.
            if schema_version(db) > target:
                continue
            MIGRATIONS[target](db)
            conn.execute(f"PRAGMA user_version = {target + 1}")


def integrity(db: sqlite_utils.Database) -> str:
    """'ok', or SQLite's description of what is damaged."""
    return db.execute("PRAGMA integrity_check").fetchone()[0]


def get_setting(db: sqlite_utils.Database, key: str, default=None):
    row = db.execute("SELECT value FROM settings WHERE key = ?", [key]).fetchone()
    return json.loads(row[0]) if row else default


def set_setting(db: sqlite_utils.Database, key: str, value) -> None:
    db["settings"].upsert({"key": key, "value": json.dumps(value)}, pk="key")


@contextmanager
def write_txn(db: sqlite_utils.Database) -> Iterator[sqlite3.Connection]:
    """One write transaction: BEGIN IMMEDIATE, COMMIT on success, ROLLBACK on any error.

    IMMEDIATE takes the write lock up front, so two tutors writing at once wait
    out the busy timeout instead of failing half-way through.
    """
    conn = db.conn
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def read_setting_fast(db_path: Path, key: str) -> Any:
    """One setting read with bare sqlite3, read-only (no migration, no sqlite-utils).

    For the TUI's first paint (its theme) before the store proper is opened in a
    worker; a missing file or table simply means "not set yet".
    """
    if not Path(db_path).exists():
        return None
    try:
        conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=0.5)
        try:
            row = conn.execute("SELECT value FROM settings WHERE key = ?", [key]).fetchone()
        finally:
            conn.close()
        return json.loads(row[0]) if row else None
    except (sqlite3.Error, ValueError):
        return None
