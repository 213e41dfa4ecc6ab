"""The review log: the append-only record of every answer, and the queries over it.

The only module that speaks SQL about `reviews`. A review and the card's new
scheduling state are written in one transaction (`record`), so a review the
learner was shown as saved is on disk before the next card appears. An undo
(`undo_last`) is appended too: the review row is marked `undone_at`, never
deleted, and every figure below counts only the reviews that stand.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from fsrs import Card, State

from tutor.errors import TutorError
from tutor.store.db import write_txn
from tutor.study.clock import iso

if TYPE_CHECKING:
    import sqlite_utils


class ReviewError(TutorError):
    """A review cannot be recorded (unknown or retired card, bad rating)."""


@dataclass(frozen=True)
class Recorded:
    """What `record` wrote: the review's id, the card's new FSRS state, and whether
    this review made the card a leech (tagged and suspended in the same transaction)."""

    review_id: int
    card: Card
    leech: bool = False
    lapses: int = 0


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
    leech_lapses: int | None = None,
) -> Recorded:
    """Append one review and apply `reschedule` to the card, in one committed transaction.

    `reschedule=None` is a cram review: logged, the card's schedule untouched. A
    review of a Review-state card rated Again is a lapse; the lapse that brings
    the card to `leech_lapses` tags it a leech and suspends it (None: never). The
    card's state before is kept on the row (`fsrs_before`) so `undo_last` can put
    it back.
    """
    cram = reschedule is None
    with write_txn(db) as conn:
        row = conn.execute(
            "SELECT fsrs, last_review, status, suspended, lapses, leech FROM cards WHERE id = ?",
            [card_id],
        ).fetchone()
        if row is None:
            raise ReviewError(f"no card {card_id!r}")
        fsrs_before, last_review, status, suspended, lapses, leech = row
        if status != "active" and not cram:
            raise ReviewError(f"card {card_id!r} is retired")
        if suspended and not cram:
            raise ReviewError(f"card {card_id!r} is suspended (unsuspend it to review it)")
        card = Card.from_dict(json.loads(fsrs_before))
        state_before = None if last_review is None else int(card.state)
        lapse = not cram and rating == 1 and state_before == int(State.Review)
        lapses += int(lapse)
        leeched = bool(lapse and not leech and leech_lapses is not None and lapses >= leech_lapses)
        if not cram:
            card = reschedule(card)
        cur = conn.execute(
            "INSERT INTO reviews (card_id, rating, suggested, reviewed_at, duration_ms, answer, "
            "verdict, score, state_before, cram, fsrs_before, leeched) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
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
                None if cram else fsrs_before,
                int(leeched),
            ],  # fmt: skip
        )
        if not cram:
            conn.execute(
                "UPDATE cards SET state = ?, step = ?, stability = ?, difficulty = ?, due = ?, "
                "last_review = ?, fsrs = ?, lapses = ?, leech = leech OR ?, "
                "suspended = suspended OR ? WHERE id = ?",
                [
                    int(card.state),
                    card.step,
                    card.stability,
                    card.difficulty,
                    iso(card.due),
                    iso(card.last_review) if card.last_review else None,
                    json.dumps(card.to_dict()),
                    lapses,
                    int(leeched),
                    int(leeched),
                    card_id,
                ],
            )
    return Recorded(cur.lastrowid, card, leeched, lapses)


@dataclass(frozen=True)
class Undone:
    """One review taken back by `undo_last`."""

    review_id: int
    card_id: str
    rating: int
    reviewed_at: str
    cram: bool
    due: str | None  # the card's due time again (None for a cram review: it never moved)
    unleeched: bool  # the review had made the card a leech; that is taken back too


def undo_last(db: sqlite_utils.Database, *, since: str, at: str) -> Undone | None:
    """Take back the most recent review made at or after `since` that still stands.

    One transaction: the card's scheduling columns go back to the review's
    `fsrs_before` (and its lapse and leech tag with them), the review row gets
    `undone_at`, and `review_undos` gets a row with the state that was replaced.
    Nothing is deleted. The latest review goes first, so every later review of the
    same card is already undone and `fsrs_before` is the card's true earlier state.
    None when there is nothing to undo.
    """
    with write_txn(db) as conn:
        row = conn.execute(
            "SELECT id, card_id, rating, reviewed_at, cram, state_before, fsrs_before, leeched "
            "FROM reviews INDEXED BY reviews_window "
            "WHERE undone_at IS NULL AND reviewed_at >= ? ORDER BY id DESC LIMIT 1",
            [since],
        ).fetchone()
        if row is None:
            return None
        review_id, card_id, rating, reviewed_at, cram, state_before, fsrs_before, leeched = row
        after = conn.execute("SELECT fsrs FROM cards WHERE id = ?", [card_id]).fetchone()
        due = None
        if not cram:
            if fsrs_before is None:
                raise ReviewError(
                    "the last review was recorded by an older tutor, which kept no state "
                    "to go back to; it cannot be undone"
                )
            card = Card.from_dict(json.loads(fsrs_before))
            lapse = rating == 1 and state_before == int(State.Review)
            due = iso(card.due)
            conn.execute(
                "UPDATE cards SET state = ?, step = ?, stability = ?, difficulty = ?, due = ?, "
                "last_review = ?, fsrs = ?, lapses = max(0, lapses - ?), "
                "leech = CASE WHEN ? THEN 0 ELSE leech END, "
                "suspended = CASE WHEN ? THEN 0 ELSE suspended END WHERE id = ?",
                [
                    int(card.state),
                    card.step,
                    card.stability,
                    card.difficulty,
                    due,
                    iso(card.last_review) if card.last_review else None,
                    fsrs_before,
                    int(lapse),
                    leeched,
                    leeched,
                    card_id,
                ],
            )
        conn.execute("UPDATE reviews SET undone_at = ? WHERE id = ?", [at, review_id])
        conn.execute(
            "INSERT INTO review_undos (review_id, card_id, undone_at, fsrs_after) "
            "VALUES (?, ?, ?, ?)",
            [review_id, card_id, at, after[0] if after and not cram else None],
        )
    return Undone(review_id, card_id, rating, reviewed_at, bool(cram), due, bool(leeched))


def undo_count(db: sqlite_utils.Database) -> int:
    return db.execute("SELECT count(*) FROM review_undos").fetchone()[0]


@dataclass(frozen=True)
class HistoryRow:
    review_id: int
    reviewed_at: str
    rating: int
    verdict: str | None
    answer: str | None
    duration_ms: int | None
    cram: bool
    undone_at: str | None


def card_history(db: sqlite_utils.Database, card_id: str) -> list[HistoryRow]:
    """Every review of one card, oldest first, undone ones included (and marked)."""
    return [
        HistoryRow(r[0], r[1], r[2], r[3], r[4], r[5], bool(r[6]), r[7])
        for r in db.execute(
            "SELECT id, reviewed_at, rating, verdict, answer, duration_ms, cram, undone_at "
            "FROM reviews WHERE card_id = ? ORDER BY reviewed_at, id",
            [card_id],
        )
    ]


def last_answers(db: sqlite_utils.Database, card_ids: Sequence[str], n: int = 3) -> dict:
    """{card id: [(verdict, answer), ...]} of each card's latest `n` standing reviews."""
    rows = db.execute(
        "SELECT card_id, verdict, answer FROM ("
        "  SELECT card_id, verdict, answer, row_number() OVER "
        "    (PARTITION BY card_id ORDER BY reviewed_at DESC, id DESC) AS k "
        "  FROM reviews WHERE undone_at IS NULL "
        "  AND card_id IN (SELECT value FROM json_each(?))"
        ") WHERE k <= ? ORDER BY card_id, k",
        [json.dumps(list(card_ids)), n],
    )
    out: dict[str, list[tuple[str | None, str | None]]] = {}
    for card_id, verdict, answer in rows:
        out.setdefault(card_id, []).append((verdict, answer))
    return out


def new_introduced_between(db: sqlite_utils.Database, start: str, end: str) -> int:
    """New cards seen for the first time (not in cram) in [start, end)."""
    return db.execute(
        "SELECT count(*) FROM reviews INDEXED BY reviews_window "
        "WHERE undone_at IS NULL AND state_before IS NULL AND cram = 0 "
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
            FROM reviews WHERE cram = 0 AND undone_at IS NULL
        ) WHERE gap >= 1
        """
    ).fetchone()[0]


def log_rows(db: sqlite_utils.Database) -> list[tuple[str, int, str, int | None]]:
    """(card id, rating, reviewed_at, duration_ms) of every non-cram review, oldest first."""
    return db.execute(
        "SELECT card_id, rating, reviewed_at, duration_ms FROM reviews "
        "WHERE cram = 0 AND undone_at IS NULL ORDER BY id"
    ).fetchall()


def counts_by_card(db: sqlite_utils.Database) -> dict[str, int]:
    return dict(
        db.execute(
            "SELECT card_id, count(*) FROM reviews WHERE undone_at IS NULL GROUP BY card_id"
        ).fetchall()
    )
