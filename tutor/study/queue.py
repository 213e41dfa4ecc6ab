"""Which cards a session goes through: today's review queue, a quiz, a cram, a section.

- `build_queue(db, now, *, lesson=None, new_limit=None) -> Queue`: today's queue:
  `Queue.due` (lowest retrievability first: Review cards due today and
  (re)learning cards due within `LEARN_AHEAD`) then `Queue.new` (never-seen cards
  up to the daily limit `new_per_day`, minus those already introduced today; in
  lesson order, interleaved round-robin over the first `NEW_LESSON_WINDOW`
  lessons that still have new cards).
- `quiz_ids`: due, then new in lesson order, then the least well remembered.
- `cram_ids`: every active card, the least well remembered first, then the unseen.
- `section_ids`: a quiz over the cards that test one section of a lesson.
- `space_siblings`: the order a session shows them in, siblings apart.

None of them ever holds a suspended card, or one buried until later today.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from fsrs import State

from tutor.store import cards as card_rows
from tutor.store import reviews as review_log
from tutor.study.clock import day_end, day_start, iso, julian, utc
from tutor.study.schedule import DEFAULT_NEW_PER_DAY, new_per_day

if TYPE_CHECKING:
    import sqlite_utils

NEW_LESSON_WINDOW = 2  # new cards interleave across this many lessons at a time
LEARN_AHEAD = timedelta(minutes=20)  # learning cards due this soon count as due now
DEFAULT_QUIZ_SIZE = 10
SIBLING_GAP = 3  # cards on one passage are at least this many cards apart, where possible
SIBLING_LOOKAHEAD = 50  # how far ahead a sibling-free card is looked for


@dataclass
class Queue:
    due: list[str] = field(default_factory=list)
    new: list[str] = field(default_factory=list)
    new_introduced_today: int = 0
    new_limit: int = DEFAULT_NEW_PER_DAY

    @property
    def ids(self) -> list[str]:
        return self.due + self.new

    def __len__(self) -> int:
        return len(self.due) + len(self.new)


def new_introduced_today(db: sqlite_utils.Database, now: datetime) -> int:
    return review_log.new_introduced_between(db, iso(day_start(now)), iso(day_end(now)))


def due_ids(db: sqlite_utils.Database, now: datetime, *, lesson: str | None = None) -> list[str]:
    """Reviewed cards due today, lowest retrievability (most overdue for its stability) first.

    Review cards count when due before the end of the learner's day; learning and
    relearning cards when due within `LEARN_AHEAD` (their steps are minutes long).
    """
    now = utc(now)
    return card_rows.due_ids(
        db,
        now_julian=julian(now),
        review_due_before=iso(day_end(now)),
        learning_due_before=iso(now + LEARN_AHEAD),
        review_state=int(State.Review),
        lesson=lesson,
        now=iso(now),
    )


def new_ids(
    db: sqlite_utils.Database,
    limit: int,
    *,
    lesson: str | None = None,
    now: datetime | None = None,
) -> list[str]:
    """Up to `limit` never-seen cards: lesson order, round-robin over the first lessons.

    Suspended cards never; cards buried at `now` not (None: the bury is not checked).
    """
    if limit <= 0:
        return []
    at = iso(now) if now is not None else None
    if lesson:
        return card_rows.unseen_ids(db, limit, lesson=lesson, now=at)
    per_lesson = card_rows.unseen_by_lesson(db, NEW_LESSON_WINDOW, limit, now=at)
    out: list[str] = []
    i = 0
    while len(out) < limit and any(i < len(ids) for ids in per_lesson):
        for ids in per_lesson:
            if i < len(ids) and len(out) < limit:
                out.append(ids[i])
        i += 1
    return out


def build_queue(
    db: sqlite_utils.Database,
    now: datetime,
    *,
    lesson: str | None = None,
    new_limit: int | None = None,
) -> Queue:
    """Today's queue: due cards first, then new cards up to what is left of the daily limit."""
    limit = new_per_day(db) if new_limit is None else new_limit
    introduced = new_introduced_today(db, now)
    due = due_ids(db, now, lesson=lesson)
    new = new_ids(db, max(0, limit - introduced), lesson=lesson, now=now)
    return Queue(due=due, new=new, new_introduced_today=introduced, new_limit=limit)


def quiz_ids(
    db: sqlite_utils.Database,
    now: datetime,
    *,
    lesson: str | None = None,
    limit: int = DEFAULT_QUIZ_SIZE,
) -> list[str]:
    """Due cards, then new cards in lesson order, then the least well remembered."""
    ids = due_ids(db, now, lesson=lesson)[:limit]
    if len(ids) < limit:
        ids += new_ids(db, limit - len(ids), lesson=lesson, now=now)
    if len(ids) < limit:
        ids += [i for i in weakest_ids(db, now, lesson=lesson, limit=limit) if i not in ids]
    return ids[:limit]


def weakest_ids(
    db: sqlite_utils.Database,
    now: datetime,
    *,
    lesson: str | None = None,
    limit: int | None = None,
) -> list[str]:
    """Reviewed active cards, lowest retrievability first."""
    return card_rows.weakest_ids(
        db, julian(utc(now)), lesson=lesson, limit=limit, now=iso(utc(now))
    )


def cram_ids(
    db: sqlite_utils.Database,
    now: datetime,
    *,
    lesson: str | None = None,
    limit: int | None = None,
) -> list[str]:
    """Every active card: the least well remembered first, then the unseen in lesson order."""
    ids = weakest_ids(db, now, lesson=lesson, limit=limit)
    if limit is None or len(ids) < limit:
        rest = None if limit is None else limit - len(ids)
        ids += card_rows.unseen_ids(db, rest, lesson=lesson, now=iso(utc(now)))
    return ids


def section_ids(
    db: sqlite_utils.Database,
    now: datetime,
    lesson: str,
    section: str,
    *,
    cram: bool = False,
    limit: int | None = None,
) -> list[str] | None:
    """A quiz over the cards that test one section (None when no card tests it)."""
    in_section = {c.id for c in card_rows.list_cards(db, lesson=lesson) if c.section_id == section}
    if not in_section:
        return None
    if cram:
        ordered = cram_ids(db, now, lesson=lesson)
    else:
        ordered = quiz_ids(db, now, lesson=lesson, limit=len(in_section) * 4)
        ordered += [i for i in sorted(in_section) if i not in ordered]
    return [i for i in ordered if i in in_section][: limit or DEFAULT_QUIZ_SIZE]


def space_siblings(db: sqlite_utils.Database, ids: list[str], gap: int = SIBLING_GAP) -> list[str]:
    """`ids` in nearly the same order, with sibling cards (one passage's cloze, definition
    and multiple-choice cards) at least `gap` cards apart where the queue allows.

    Why: shown back to back, each sibling gives the next away ("_____ is when a model
    fits…" right after "What is overfitting?"). Each place takes the first card, within
    `SIBLING_LOOKAHEAD`, whose passage was not among the last `gap` shown, so the
    priority order (most overdue first) moves by a few places at most.
    """
    if len(ids) < 2:
        return list(ids)
    from collections import deque
    from itertools import islice

    keys = card_rows.sibling_keys(db, ids)
    pending = deque(ids)
    out: list[str] = []
    recent: deque[str] = deque(maxlen=gap)
    while pending:
        pick = next(
            (
                j
                for j, card_id in enumerate(islice(pending, SIBLING_LOOKAHEAD))
                if keys.get(card_id, card_id) not in recent
            ),
            0,
        )
        card_id = pending[pick]
        del pending[pick]
        out.append(card_id)
        recent.append(keys.get(card_id, card_id))
    return out
