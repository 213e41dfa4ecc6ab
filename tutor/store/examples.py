"""The learner's corrections of the grader: labelled answers to their own cards.

When the learner says "I was right" or "that was wrong" about a verdict, the
answer and the label they gave are kept here, by card id, and are the grader's
first evidence the next time that card is answered
(`tutor.grading.examples`). Append-only: a later correction of the same
answer wins when read, the history stays.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tutor.store.db import write_txn

if TYPE_CHECKING:
    import sqlite_utils

LIMIT = 200  # per card, newest first: far more than a learner ever writes


def add(db: sqlite_utils.Database, card_id: str, answer: str, label: str, at: str) -> None:
    with write_txn(db) as conn:
        conn.execute(
            "INSERT INTO grade_examples (card_id, answer, label, created_at) VALUES (?, ?, ?, ?)",
            [card_id, answer, label, at],
        )


def for_card(db: sqlite_utils.Database, card_id: str) -> list[tuple[str, str]]:
    """[(answer, label)] for one card, newest first, one row per distinct answer."""
    rows = db.execute(
        "SELECT answer, label FROM grade_examples WHERE card_id = ? ORDER BY id DESC LIMIT ?",
        [card_id, LIMIT],
    ).fetchall()
    seen: set[str] = set()
    out = []
    for answer, label in rows:
        if answer not in seen:
            seen.add(answer)
            out.append((answer, label))
    return out
