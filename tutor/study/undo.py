"""Undo the last review: the card's FSRS state goes back, and the log says so.

Why only today's: an undo is for a slip of the finger ("I meant Good, not
Again"), and the learner's day is the unit the queue, the daily limit and the
streak are counted in; taking back last week's answer would rewrite a schedule
that has since been acted on. Within today, undo again and again to walk back
review by review, newest first, across restarts (the log is the memory, not the
process). Nothing is deleted: `tutor.store.reviews.undo_last` marks the review
undone and appends a record of the undo, in one transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from fsrs import Rating

from tutor.errors import TutorError
from tutor.store import reviews as review_log
from tutor.study.clock import day_start, iso, parse_iso, utc

if TYPE_CHECKING:
    import sqlite_utils


class UndoError(TutorError):
    """Nothing can be undone (no review today, or one made before undo existed)."""


@dataclass(frozen=True)
class UndoResult:
    review_id: int
    card_id: str
    rating: Rating
    reviewed_at: datetime
    cram: bool
    due: datetime | None  # when the card is due again (None: a cram review, nothing moved)
    unleeched: bool  # the review had made the card a leech; tag and suspension are gone

    def to_dict(self) -> dict:
        return {
            "undone": self.review_id,
            "card_id": self.card_id,
            "rating": int(self.rating),
            "reviewed_at": iso(self.reviewed_at),
            "cram": self.cram,
            "due": iso(self.due) if self.due else None,
            "unleeched": self.unleeched,
        }


def undo_last_review(db: sqlite_utils.Database, now: datetime) -> UndoResult:
    """Take back the latest review of the learner's day that still stands."""
    now = utc(now)
    undone = review_log.undo_last(db, since=iso(day_start(now)), at=iso(now))
    if undone is None:
        raise UndoError("nothing to undo: no review today is left to take back")
    return UndoResult(
        review_id=undone.review_id,
        card_id=undone.card_id,
        rating=Rating(undone.rating),
        reviewed_at=parse_iso(undone.reviewed_at),
        cram=undone.cram,
        due=parse_iso(undone.due) if undone.due else None,
        unleeched=undone.unleeched,
    )
