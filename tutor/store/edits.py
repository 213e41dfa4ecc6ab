"""The learner's edits of a card's text (question, reference answer, accepted answers).

Why a table of its own: the course sync rewrites `cards.question` and friends
whenever a lesson changes; an edit kept beside them, and laid over them when a
card is read (`tutor.store.cards.CARD_COLUMNS`), survives every re-sync and can
be dropped to get the course's text back. Card ids are stable, so an edit stays
with its card.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from tutor.store.db import write_txn

if TYPE_CHECKING:
    import sqlite_utils


def get_edit(db: sqlite_utils.Database, card_id: str) -> dict | None:
    row = db.execute(
        "SELECT question, answer, accept, edited_at FROM card_edits WHERE card_id = ?", [card_id]
    ).fetchone()
    if row is None:
        return None
    return {
        "question": row[0],
        "answer": row[1],
        "accept": json.loads(row[2]) if row[2] is not None else None,
        "edited_at": row[3],
    }


def save_edit(
    db: sqlite_utils.Database,
    card_id: str,
    *,
    at: str,
    question: str | None = None,
    answer: str | None = None,
    accept: list[str] | None = None,
) -> None:
    """Set the fields given (None keeps an earlier edit of that field, or the course's)."""
    with write_txn(db) as conn:
        conn.execute(
            "INSERT INTO card_edits (card_id, question, answer, accept, edited_at) "
            "VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (card_id) DO UPDATE SET "
            "question = coalesce(?2, question), answer = coalesce(?3, answer), "
            "accept = coalesce(?4, accept), edited_at = ?5",
            [card_id, question, answer, json.dumps(accept) if accept is not None else None, at],
        )


def drop_edit(db: sqlite_utils.Database, card_id: str) -> bool:
    """Back to the course's text; False when the card had no edit."""
    with write_txn(db) as conn:
        return conn.execute("DELETE FROM card_edits WHERE card_id = ?", [card_id]).rowcount > 0
