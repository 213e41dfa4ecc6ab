"""The card browser's query: filter and search every card, one page at a time.

Why two paths: the browser shows the first page at once and says how many
matched, at 100k cards (bench/bench_study_tools.py). A search whose words are in
a few cards is looked up in the trigram index `card_search` (a millisecond), and
only those rows are read. A common word, or one too short for trigrams, is
matched in one pass over `cards_browse`, a narrow index of the course order and
`search_text`, so no table row is read (GLOB: a case-sensitive match on text
already lower-cased is the fastest substring test SQLite has); the page then
stops at its first `limit` matches. Other filters use their own indexes. Either way every word is checked on the row itself, so
both paths give the same cards.

Search matches every word as a substring of the question, the reference or the
accepted answers as the learner sees them (their edits included), ignoring the
case of ASCII letters: `cards.search_text` holds that text lower-cased, kept by
triggers (migration 4 in `tutor.store.db`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import sqlite_utils

MAX_SEARCH_WORDS = 8
RARE = 2_000  # a search the trigram index finds in at most this many cards takes the fast path


@dataclass(frozen=True)
class BrowseRow:
    id: str
    lesson_id: str
    lesson_title: str
    section_id: str | None
    kind: str
    question: str
    status: str
    state: int
    due: str
    last_review: str | None
    stability: float | None
    difficulty: float | None
    lapses: int
    suspended: bool
    buried_until: str | None
    flagged: bool
    leech: bool
    edited: bool

    def to_dict(self, now: str, answers: list | None = None) -> dict:
        """One card of `tutor cards --json`; `answers` are its latest (verdict, answer)."""
        from tutor.cards.model import schedule_fields

        return {
            "id": self.id,
            "lesson_id": self.lesson_id,
            "lesson": self.lesson_title,
            "section_id": self.section_id,
            "kind": self.kind,
            "question": self.question,
            **schedule_fields(self, now),
            "last_answers": [{"verdict": v, "answer": a} for v, a in answers or []],
        }


COLUMNS = (
    "c.id, c.lesson_id, c.lesson_title, c.section_id, c.kind, "
    "coalesce(e.question, c.question), c.status, c.state, c.due, c.last_review, c.stability, "
    "c.difficulty, c.lapses, c.suspended, c.buried_until, c.flagged, c.leech, "
    "e.card_id IS NOT NULL"
)
ORDER = " ORDER BY c.status, c.lesson_order, c.position, c.id"


def glob_literal(word: str) -> str:
    """`word` as a GLOB pattern matching itself (GLOB has no ESCAPE: brackets do it)."""
    return "".join(f"[{ch}]" if ch in "*?[" else ch for ch in word)


def fold(word: str) -> str:
    """A search word lower-cased the way `cards.search_text` is (SQLite's lower(): ASCII)."""
    return "".join(ch.lower() if ch.isascii() else ch for ch in word)


def _rare_matches(db: sqlite_utils.Database, words: list[str]) -> list[int] | None:
    """The rowids of the cards holding every word, from the trigram index, when there are
    at most RARE of them; None when there are more, or when a word is one the index
    cannot look up: shorter than 3 characters, or holding a LIKE wildcard (an ESCAPE
    clause turns the index off)."""
    if not all(len(w) >= 3 and "%" not in w and "_" not in w for w in words):
        return None
    found = [
        r[0]
        for r in db.execute(
            "SELECT rowid FROM card_search WHERE "
            + " AND ".join("text LIKE ?" for _ in words)
            + f" LIMIT {RARE + 1}",
            [f"%{w}%" for w in words],
        )
    ]
    return found if len(found) <= RARE else None


def browse(
    db: sqlite_utils.Database,
    *,
    now: str,
    search: str | None = None,
    lesson: str | None = None,
    due_before: str | None = None,
    suspended: bool | None = None,
    flagged: bool | None = None,
    leech: bool | None = None,
    buried: bool | None = None,
    status: str | None = "active",
    limit: int | None = 100,
    offset: int = 0,
) -> tuple[list[BrowseRow], int]:
    """(one page of cards in course order, how many match in all).

    `due_before` keeps the cards a review would show before that time (reviewed,
    not suspended, not buried at `now`); the other filters are True/False/None (any).
    """
    where: list[str] = []
    args: list[object] = []

    def arg(value: object) -> str:
        """A numbered parameter (`?N`), so one value can be used twice."""
        args.append(value)
        return f"?{len(args)}"

    if status is not None:
        where.append(f"c.status = {arg(status)}")
    if lesson is not None:
        where.append(f"c.lesson_id = {arg(lesson)}")
    if due_before is not None:
        at = arg(now)
        where.append(
            f"c.last_review IS NOT NULL AND c.suspended = 0 AND c.due < {arg(due_before)} "
            f"AND (c.buried_until IS NULL OR c.buried_until <= {at})"
        )
    for column, value in (("c.suspended", suspended), ("c.flagged", flagged), ("c.leech", leech)):
        if value is not None:  # a literal, so the small partial indexes can serve it
            where.append(f"{column} = {int(bool(value))}")
    if buried is not None:
        at = arg(now)
        where.append(
            f"(c.buried_until IS NOT NULL AND c.buried_until > {at})"
            if buried
            else f"(c.buried_until IS NULL OR c.buried_until <= {at})"
        )
    words = [fold(w) for w in (search or "").split()[:MAX_SEARCH_WORDS]]
    rare = _rare_matches(db, words) if words else None
    if rare is not None:
        where.append(f"c.rowid IN (SELECT value FROM json_each({arg(json.dumps(rare))}))")
    for word in words:  # on every row, the trigram path's candidates too
        where.append(f"c.search_text GLOB {arg('*' + glob_literal(word) + '*')}")
    clause = (" WHERE " + " AND ".join(where)) if where else ""
    # A common search with no other filter is one pass over cards_browse alone; a rare
    # one reads its few rows by rowid, and a filter its own index (the lesson, the due
    # queue, the small partial indexes of suspended, flagged, leech, buried cards):
    # SQLite's planner picks those.
    filtered = any(v is not None for v in (lesson, due_before, suspended, flagged, leech, buried))
    scan = words and rare is None and not filtered
    source = "cards AS c INDEXED BY cards_browse" if scan else "cards AS c"
    total = db.execute(f"SELECT count(*) FROM {source}{clause}", args).fetchone()[0]
    sql = f"SELECT {COLUMNS} FROM {source} LEFT JOIN card_edits AS e ON e.card_id = c.id"
    sql += clause + ORDER
    if limit is not None:
        sql += f" LIMIT {arg(limit)} OFFSET {arg(offset)}"
    elif offset:
        sql += f" LIMIT -1 OFFSET {arg(offset)}"
    raw = db.execute(sql, args).fetchall() if total else []
    rows = [
        BrowseRow(
            *r[:13],
            suspended=bool(r[13]),
            buried_until=r[14],
            flagged=bool(r[15]),
            leech=bool(r[16]),
            edited=bool(r[17]),
        )
        for r in raw
    ]
    return rows, total
