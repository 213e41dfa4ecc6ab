"""The queries behind the learning statistics (`tutor.study.stats` composes them).

Each per-day figure is one index range scan per day window, with the window
bounds computed in Python (the learner's local days, daylight saving included),
so no date is parsed per row.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import sqlite_utils


def per_day(db: sqlite_utils.Database, sql: str, bounds: list[tuple[str, str]]) -> list[tuple]:
    """Run `sql` (a scalar/row subquery over `b.lo`, `b.hi`) once per day window."""
    return db.execute(
        "WITH b(i, lo, hi) AS (SELECT key, json_extract(value, '$[0]'), "
        "json_extract(value, '$[1]') FROM json_each(?)) "
        f"SELECT b.i, {sql} FROM b ORDER BY b.i",
        [json.dumps(bounds)],
    ).fetchall()


def days_meeting_goal(
    db: sqlite_utils.Database, bounds: list[tuple[str, str]], goal: int
) -> list[bool]:
    """Whether each day window holds at least `goal` standing reviews; each count stops at
    `goal`, so a long streak of busy days costs `goal` index entries a day, not all of them."""
    rows = per_day(
        db,
        "(SELECT count(*) FROM (SELECT 1 FROM reviews INDEXED BY reviews_window "
        "WHERE undone_at IS NULL AND reviewed_at >= b.lo AND reviewed_at < b.hi "
        f"LIMIT {int(goal)})) >= {int(goal)}",
        bounds,
    )
    return [bool(met) for _, met in rows]


def reviews_and_time_per_day(
    db: sqlite_utils.Database, bounds: list[tuple[str, str]]
) -> list[tuple[int, int]]:
    """[(reviews, milliseconds answering)] per day window."""
    rows = per_day(
        db,
        "(SELECT count(*) FROM reviews INDEXED BY reviews_window "
        "WHERE undone_at IS NULL AND reviewed_at >= b.lo AND reviewed_at < b.hi), "
        "(SELECT coalesce(sum(duration_ms), 0) FROM reviews INDEXED BY reviews_window "
        "WHERE undone_at IS NULL AND reviewed_at >= b.lo AND reviewed_at < b.hi)",
        bounds,
    )
    return [(count, int(ms)) for _, count, ms in rows]


def due_per_day(db: sqlite_utils.Database, bounds: list[tuple[str, str]]) -> list[int]:
    rows = per_day(
        db,
        "(SELECT count(*) FROM cards INDEXED BY cards_queue WHERE status = 'active' "
        "AND last_review IS NOT NULL AND suspended = 0 AND due >= b.lo AND due < b.hi)",
        bounds,
    )
    return [count for _, count in rows]


def cards_by_status(db: sqlite_utils.Database) -> dict[str, int]:
    return dict(
        db.execute(
            "SELECT status, count(*) FROM cards INDEXED BY cards_lesson_stats GROUP BY status"
        ).fetchall()
    )


def unseen_count(db: sqlite_utils.Database) -> int:
    return db.execute(
        "SELECT count(*) FROM cards INDEXED BY cards_new "
        "WHERE status = 'active' AND last_review IS NULL AND suspended = 0"
    ).fetchone()[0]


def due_before(db: sqlite_utils.Database, end: str, now: str) -> int:
    """Reviewed cards due before `end` that are neither suspended nor buried at `now`."""
    return db.execute(
        "SELECT count(*) FROM cards INDEXED BY cards_queue "
        "WHERE status = 'active' AND last_review IS NOT NULL AND suspended = 0 AND due < ? "
        "AND (buried_until IS NULL OR buried_until <= ?)",
        [end, now],
    ).fetchone()[0]


def review_total(db: sqlite_utils.Database) -> int:
    # reviews are append-only, so the last id is the number of reviews ever made;
    # the undone ones (few) are counted in their own small table
    return db.execute(
        "SELECT coalesce(max(id), 0) - (SELECT count(*) FROM review_undos) FROM reviews"
    ).fetchone()[0]


def retention_counts(
    db: sqlite_utils.Database, start: str, end: str, review_state: int
) -> tuple[int, int]:
    """(reviews, passed) of cards that were in the Review state, not cram, in [start, end)."""
    n, passed = db.execute(
        "SELECT count(*), coalesce(sum(rating > 1), 0) FROM reviews INDEXED BY reviews_window "
        "WHERE undone_at IS NULL AND reviewed_at >= ? AND reviewed_at < ? AND cram = 0 "
        "AND state_before = ?",
        [start, end, review_state],
    ).fetchone()
    return n, passed


def lesson_rows(
    db: sqlite_utils.Database, end_today: str
) -> list[tuple[str, str, int, int, int, int]]:
    """(lesson id, title, order, cards, seen, due today) per lesson with active cards."""
    return db.execute(
        "SELECT lesson_id, max(lesson_title), min(lesson_order), count(*), count(last_review), "
        "coalesce(sum(last_review IS NOT NULL AND suspended = 0 AND due < ?), 0) "
        "FROM cards INDEXED BY cards_lesson_stats WHERE status = 'active' GROUP BY lesson_id",
        [end_today],
    ).fetchall()


def held_counts(db: sqlite_utils.Database, now: str) -> dict[str, int]:
    """Active cards suspended, buried (at `now`), flagged, and tagged leech: each one
    count over its own small partial index."""
    one = db.execute
    return {
        "suspended": one(
            "SELECT count(*) FROM cards INDEXED BY cards_suspended "
            "WHERE suspended = 1 AND status = 'active'"
        ).fetchone()[0],
        "buried": one(
            "SELECT count(*) FROM cards INDEXED BY cards_buried "
            "WHERE buried_until IS NOT NULL AND buried_until > ? AND status = 'active'",
            [now],
        ).fetchone()[0],
        "flagged": one(
            "SELECT count(*) FROM cards INDEXED BY cards_flagged "
            "WHERE flagged = 1 AND status = 'active'"
        ).fetchone()[0],
        "leeches": one(
            "SELECT count(*) FROM cards INDEXED BY cards_leech WHERE leech = 1 AND status = 'active'"
        ).fetchone()[0],
    }
