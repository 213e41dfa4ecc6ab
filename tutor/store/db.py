"""The learner's data: one SQLite file (via sqlite-utils), versioned by migrations.

Why these settings: WAL lets a second tutor read while one writes, a busy
timeout turns "database is locked" into a short wait, and every write commits
at once so a killed process loses nothing the learner was shown as saved.
"""

from __future__ import annotations

import json
import os
import sqlite3
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

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


def _migration_4(db: sqlite_utils.Database) -> None:
    """Study tools: suspend, bury, flag, lapses and leeches; undo; the learner's card edits.

    Why columns and not new `status` values: `status` is what the course sync owns
    (active or retired), while these are the learner's own, so a re-sync never
    unsuspends a card and a retired card keeps its flag. The queue indexes become
    partial on `suspended = 0`, so a suspended card is not even in the index the
    daily queue reads; `buried_until` is in the index, so a bury costs no row lookup.

    Undo never deletes: a review row gets `undone_at` and `review_undos` gets an
    append-only record (the card state the undo replaced). `fsrs_before` on each
    review is what the undo puts back. The review-window index only holds reviews
    that stand, so every figure built on it leaves undone ones out.

    `card_edits` holds the learner's version of a card's question, reference and
    accepted answers; the course's own text stays in `cards`, so a re-sync
    updates that and the edit still wins.
    """
    for column in (
        "suspended INTEGER NOT NULL DEFAULT 0",  # 1: never scheduled until unsuspended
        "buried_until TEXT",  # ISO UTC: not scheduled before this (the learner's next midnight)
        "flagged INTEGER NOT NULL DEFAULT 0",
        "lapses INTEGER NOT NULL DEFAULT 0",  # Review-state reviews rated Again (not cram)
        "leech INTEGER NOT NULL DEFAULT 0",  # 1: tagged a leech (and suspended then)
    ):
        db.execute(f"ALTER TABLE cards ADD COLUMN {column}")
    db.execute(
        "UPDATE cards SET lapses = l.n FROM (SELECT card_id, count(*) AS n FROM reviews "
        "WHERE cram = 0 AND rating = 1 AND state_before = 2 GROUP BY card_id) AS l "
        "WHERE l.card_id = cards.id"
    )
    for column in (
        "fsrs_before TEXT",  # the card's fsrs.Card JSON before this review (NULL for cram)
        "leeched INTEGER NOT NULL DEFAULT 0",  # 1: this review made the card a leech
        "undone_at TEXT",  # ISO UTC, set by an undo; the row itself is never deleted
    ):
        db.execute(f"ALTER TABLE reviews ADD COLUMN {column}")
    db.execute(
        """
        CREATE TABLE review_undos (
            id INTEGER PRIMARY KEY,
            review_id INTEGER NOT NULL UNIQUE REFERENCES reviews (id),
            card_id TEXT NOT NULL,
            undone_at TEXT NOT NULL,
            fsrs_after TEXT            -- the card's state the undo replaced
        )
        """
    )
    db.execute(
        """
        CREATE TABLE card_edits (
            card_id TEXT PRIMARY KEY,
            question TEXT,             -- NULL: the course's own
            answer TEXT,
            accept TEXT,               -- JSON list
            edited_at TEXT NOT NULL
        )
        """
    )
    db.execute("DROP INDEX IF EXISTS reviews_window")
    db.execute(
        "CREATE INDEX reviews_window ON reviews "
        "(reviewed_at, duration_ms, cram, state_before, rating) WHERE undone_at IS NULL"
    )
    db.execute("DROP INDEX IF EXISTS cards_queue")
    db.execute(
        "CREATE INDEX cards_queue ON cards (status, due, state, stability, last_review, "
        "lesson_id, id, buried_until) WHERE last_review IS NOT NULL AND suspended = 0"
    )
    db.execute("DROP INDEX IF EXISTS cards_new")
    db.execute(
        "CREATE INDEX cards_new ON cards (status, lesson_order, position) "
        "WHERE last_review IS NULL AND suspended = 0"
    )
    db.execute("DROP INDEX IF EXISTS cards_lesson_stats")
    db.execute(
        "CREATE INDEX cards_lesson_stats ON cards "
        "(status, lesson_id, last_review, stability, due, suspended)"
    )
    db.execute("CREATE INDEX cards_suspended ON cards (status) WHERE suspended = 1")
    db.execute("CREATE INDEX cards_flagged ON cards (status) WHERE flagged = 1")
    db.execute("CREATE INDEX cards_leech ON cards (status) WHERE leech = 1")
    db.execute("CREATE INDEX cards_buried ON cards (buried_until) WHERE buried_until IS NOT NULL")
    # The card browser (tutor.store.browse). `search_text` is the card's text as the
    # learner sees it (their edit laid over the course's), lower-cased (ASCII, as
    # SQLite's lower() does), kept by triggers; `cards_browse` (narrow on purpose)
    # covers one pass over every card in course order with that text, and the
    # trigram index `card_search` finds the few cards a rare word is in at once.
    db.execute("ALTER TABLE cards ADD COLUMN search_text TEXT NOT NULL DEFAULT ''")
    db.execute(
        "CREATE VIEW card_search_text (rid, text) AS SELECT c.rowid, lower("
        "coalesce(e.question, c.question) || ' ' || coalesce(e.answer, c.answer) || ' ' || "
        "coalesce(e.accept, c.accept)) FROM cards AS c LEFT JOIN card_edits AS e "
        "ON e.card_id = c.id"
    )
    db.execute(
        "CREATE VIRTUAL TABLE card_search USING fts5(text, tokenize='trigram', detail='none')"
    )
    refresh = (
        "UPDATE cards SET search_text = (SELECT text FROM card_search_text WHERE rid = {rid}) "
        "WHERE rowid = {rid}; "
        "DELETE FROM card_search WHERE rowid = {rid}; "
        "INSERT INTO card_search (rowid, text) SELECT rowid, search_text FROM cards "
        "WHERE rowid = {rid};"
    )
    edited = "(SELECT rowid FROM cards WHERE id = {row}.card_id)"
    for name, event, body in (
        ("cards_search_insert", "INSERT ON cards", refresh.format(rid="new.rowid")),
        (
            "cards_search_update",
            "UPDATE OF question, answer, accept ON cards",
            refresh.format(rid="new.rowid"),
        ),
        (
            "cards_search_delete",
            "DELETE ON cards",
            "DELETE FROM card_search WHERE rowid = old.rowid;",
        ),
        (
            "card_edits_search_insert",
            "INSERT ON card_edits",
            refresh.format(rid=edited.format(row="new")),
        ),
        (
            "card_edits_search_update",
            "UPDATE ON card_edits",
            refresh.format(rid=edited.format(row="new")),
        ),
        (
            "card_edits_search_delete",
            "DELETE ON card_edits",
            refresh.format(rid=edited.format(row="old")),
        ),
    ):
        db.execute(f"CREATE TRIGGER {name} AFTER {event} BEGIN {body} END")
    db.execute(
        "UPDATE cards SET search_text = (SELECT text FROM card_search_text WHERE rid = cards.rowid)"
    )
    db.execute("INSERT INTO card_search (rowid, text) SELECT rowid, search_text FROM cards")
    db.execute(
        "CREATE INDEX cards_browse ON cards (status, lesson_order, position, id, search_text)"
    )


def _migration_5(db: sqlite_utils.Database) -> None:
    """The learner's corrections of the grader (`tutor.store.examples`): append-only,
    by card id, so the grader can weigh them the next time the card is answered."""
    db.execute(
        """
        CREATE TABLE grade_examples (
            id INTEGER PRIMARY KEY,
            card_id TEXT NOT NULL,
            answer TEXT NOT NULL,
            label TEXT NOT NULL CHECK (label IN ('correct', 'partial', 'incorrect')),
            created_at TEXT NOT NULL
        )
        """
    )
    db.execute("CREATE INDEX grade_examples_card ON grade_examples (card_id, id)")


# Each migration moves the schema from version i to i+1. Append, never edit.
MIGRATIONS: list[Callable[[sqlite_utils.Database], None]] = [
    _migration_1,
    _migration_2,
    _migration_3,
    _migration_4,
    _migration_5,
]
SCHEMA_VERSION = len(MIGRATIONS)


def connect(path: Path | str | None = None, *, backup: bool = True) -> sqlite_utils.Database:
    """Open (creating or migrating) the learner's database.

    An existing database is backed up first when no backup was made today
    (`tutor.store.backup`), and before any migration; `backup=False` skips the
    daily one (benches, throwaway copies).
    """
    path = Path(path) if path else paths.db_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreError(f"{path.parent}: cannot create the data folder ({exc.strerror})") from None
    if not _writable(path):
        return _connect_read_only(path)
    try:
        conn = sqlite3.connect(
            str(path), timeout=10.0, isolation_level=None, check_same_thread=False
        )
        conn.execute("PRAGMA busy_timeout = 10000")
        _use_wal(conn)
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("PRAGMA foreign_keys = ON")
        db = sqlite_utils.Database(conn)
        if backup:
            from tutor.store.backup import daily_backup

            daily_backup(conn, path)
        migrate(db)
    except sqlite3.DatabaseError as exc:
        raise StoreError(f"{path}: not a usable tutor database ({exc})") from None
    return db


def _writable(path: Path) -> bool:
    """Whether SQLite can write here: the file (if any) and its folder, which must take
    the WAL's -wal and -shm files (a read-only mount, a folder of someone else's)."""
    if path.exists() and not os.access(path, os.W_OK):
        return False
    return os.access(path.parent, os.W_OK)


def _connect_read_only(path: Path) -> sqlite_utils.Database:
    """The database opened read-only, so a read-only data folder can still be read.

    Opening it normally fails with "unable to open database file" (SQLite cannot
    create the WAL's side files), which reads as if the file were damaged. Read-only,
    nothing is migrated or synced; `is_read_only` lets the callers say so and refuse
    to record, instead of failing half-way through a write.
    """
    if not path.exists():
        raise StoreError(
            f"{path.parent}: the data folder is read-only, so {path.name} cannot be created"
        )
    # No -wal file means every commit is in the main file: `immutable` reads it
    # without the -shm file SQLite could not create here.
    mode = "ro" if Path(f"{path}-wal").exists() else "ro&immutable=1"
    try:
        conn = sqlite3.connect(
            f"file:{quote(str(path))}?mode={mode}",
            uri=True,
            timeout=10.0,
            isolation_level=None,
            check_same_thread=False,
        )
        conn.execute("PRAGMA query_only = 1")
        db = sqlite_utils.Database(conn)
        version = schema_version(db)
    except sqlite3.DatabaseError as exc:
        raise StoreError(f"{path}: not a usable tutor database ({exc})") from None
    if version < SCHEMA_VERSION:
        conn.close()
        raise StoreError(
            f"{path}: read-only, and its schema v{version} needs migrating to "
            f"v{SCHEMA_VERSION}; make the data folder writable"
        )
    migrate(db)  # only checks: a newer schema is refused with its one line
    return db


def is_read_only(db: sqlite_utils.Database) -> bool:
    """Whether `db` was opened read-only (see `_connect_read_only`)."""
    return bool(db.execute("PRAGMA query_only").fetchone()[0])


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
    if 0 < version < SCHEMA_VERSION:
        from tutor.store.backup import backup_before_migration

        backup_before_migration(db.conn, version)
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
