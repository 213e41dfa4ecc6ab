"""Reading progress: the last section a learner opened in each lesson.

Backs "continue where I left off". One row per lesson in the `progress` table
(migration 1), overwritten on every visit, so the newest row is where to resume.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import sqlite_utils

from tutor.store import utcnow


@dataclass(frozen=True)
class Place:
    lesson_id: str
    section_id: str
    opened_at: str


def record_open(db: sqlite_utils.Database, lesson_id: str, section_id: str) -> None:
    db["progress"].upsert(
        {"lesson_id": lesson_id, "section_id": section_id, "opened_at": utcnow().isoformat()},
        pk="lesson_id",
    )


def last_place(db: sqlite_utils.Database) -> Place | None:
    """The most recently opened lesson and section, or None before any reading."""
    row = db.execute(
        "SELECT lesson_id, section_id, opened_at FROM progress ORDER BY opened_at DESC LIMIT 1"
    ).fetchone()
    return Place(*row) if row else None
