"""The review log: the append-only record of every answer, and the queries over it.

The only module that speaks SQL about `reviews`. A review and the card's new
scheduling state are written in one transaction (`record`), so a review the
learner was shown as saved is on disk before the next card appears.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING

from fsrs import Card

from tutor.errors import TutorError
from tutor.store.db import write_txn
from tutor.study.clock import iso

if TYPE_CHECKING:
    import sqlite_utils


class ReviewError(TutorError):
    """A review cannot be recorded (unknown or retired card, bad rating)."""


def record(
    db: sqlite_utils.Database,
    card_id: str,
    *,
    rating: int,
    at: str,
    reschedule: Callable[[Card], Card] | None,
    suggested: int | None = None,
    duration_ms: int | None = None,
    answer: str | None = None,
    verdict: str | None = None,
    score: float | None = None,
) -> tuple[int, Card]:
    """Append one review and apply `reschedule` to the card, in one committed transaction.

    `reschedule=None` is a cram review: logged, the card's schedule untouched.
    Returns the review's id and the card's (new) FSRS state.
    """
    cram = reschedule is None
    with write_txn(db) as conn:
        row = conn.execute(
            "SELECT fsrs, last_review, status FROM cards WHERE id = ?", [card_id]
        ).fetchone()
        if row is None:
            raise ReviewError(f"no card {card_id!r}")
        if row[2] != "active" and not cram:
            raise ReviewError(f"card {card_id!r} is retired")
        card = Card.from_dict(json.loads(row[0]))
        state_before = None if row[1] is None else int(card.state)
        if not cram:
            card = reschedule(card)
        cur = conn.execute(
            "INSERT INTO reviews (card_id, rating, suggested, reviewed_at, duration_ms, answer, "
            "verdict, score, state_before, cram) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                card_id,
                rating,
                suggested,
                at,
                duration_ms,
                answer,
                verdict,
                score,
                state_before,
                int(cram),
            ],  # fmt: skip
        )
        if not cram:
            conn.execute(
                "UPDATE cards SET state = ?, step = ?, stability = ?, difficulty = ?, due = ?, "
                "last_review = ?, fsrs = ? WHERE id = ?",
                [
                    int(card.state),
                    card.step,
                    card.stability,
                    card.difficulty,
                    iso(card.due),
                    iso(card.last_review) if card.last_review else None,
                    json.dumps(card.to_dict()),
                    card_id,
                ],
            )
    return cur.lastrowid, card


def new_introduced_between(db: sqlite_utils.Database, start: str, end: str) -> int:
    """New cards seen for the first time (not in cram) in [start, end)."""
    return db.execute(
        "SELECT count(*) FROM reviews WHERE state_before IS NULL AND cram = 0 "
        "AND reviewed_at >= ? AND reviewed_at < ?",
        [start, end],
    ).fetchone()[0]


def spaced_review_count(db: sqlite_utils.Database) -> int:
    """Reviews at least one whole day after the same card's previous (non-cram) review."""
    return db.execute(
        """
        SELECT count(*) FROM (
            SELECT julianday(reviewed_at)
                 - julianday(lag(reviewed_at) OVER (PARTITION BY card_id ORDER BY reviewed_at))
                   AS gap
            FROM reviews WHERE cram = 0
        ) WHERE gap >= 1
        """
    ).fetchone()[0]


def log_rows(db: sqlite_utils.Database) -> list[tuple[str, int, str, int | None]]:
    """(card id, rating, reviewed_at, duration_ms) of every non-cram review, oldest first."""
    return db.execute(
        "SELECT card_id, rating, reviewed_at, duration_ms FROM reviews WHERE cram = 0 ORDER BY id"
    ).fetchall()


def counts_by_card(db: sqlite_utils.Database) -> dict[str, int]:
    return dict(db.execute("SELECT card_id, count(*) FROM reviews GROUP BY card_id").fetchall())
