"""Card rows in the learner's database: read, list, upsert/retire, and the queue queries.

The only module that speaks SQL about `cards` (and its `term_vectors` cache).
Domain code (generation, sync, scheduling, the session) calls these functions
with plain values; times are ISO text from `tutor.study.clock.iso`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from tutor.cards.model import StudyCard, SyncReport
from tutor.store.db import write_txn

if TYPE_CHECKING:
    import sqlite_utils

# A card as shown: the learner's edit (`card_edits`) wins over the course's text.
CARD_COLUMNS = (
    "c.id, c.origin, c.source, c.kind, c.lesson_id, c.lesson_title, c.section_id, "
    "coalesce(e.question, c.question), coalesce(e.answer, c.answer), coalesce(e.accept, c.accept), "
    "c.choices, c.explanation, c.chunk_id, c.source_heading, c.source_path, c.source_line, "
    "c.source_text, c.status, c.state, c.due, c.last_review, c.stability, c.difficulty, "
    "c.suspended, c.buried_until, c.flagged, c.lapses, c.leech, e.card_id IS NOT NULL"
)
CARD_FROM = "cards AS c LEFT JOIN card_edits AS e ON e.card_id = c.id"


def get_card(db: sqlite_utils.Database, card_id: str) -> StudyCard | None:
    row = db.execute(f"SELECT {CARD_COLUMNS} FROM {CARD_FROM} WHERE c.id = ?", [card_id]).fetchone()
    return StudyCard.from_row(row) if row else None


def get_cards(db: sqlite_utils.Database, ids: Sequence[str]) -> list[StudyCard]:
    """Cards in the order of `ids` (unknown ids are left out)."""
    rows = db.execute(
        f"SELECT {CARD_COLUMNS} FROM {CARD_FROM} WHERE c.id IN (SELECT value FROM json_each(?))",
        [json.dumps(list(ids))],
    ).fetchall()
    by_id = {r[0]: StudyCard.from_row(r) for r in rows}
    return [by_id[i] for i in ids if i in by_id]


def list_cards(
    db: sqlite_utils.Database,
    *,
    lesson: str | None = None,
    status: str | None = "active",
    origin: str | None = None,
) -> list[StudyCard]:
    where, args = [], []
    for col, value in (("c.lesson_id", lesson), ("c.status", status), ("c.origin", origin)):
        if value is not None:
            where.append(f"{col} = ?")
            args.append(value)
    sql = f"SELECT {CARD_COLUMNS} FROM {CARD_FROM}"
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += " ORDER BY c.lesson_order, c.position, c.id"
    return [StudyCard.from_row(r) for r in db.execute(sql, args)]


def lessons_with_cards(db: sqlite_utils.Database) -> list[tuple[str, str]]:
    """(lesson id, title) of lessons that have active cards, in course order."""
    return [
        (r[0], r[1])
        for r in db.execute(
            "SELECT lesson_id, max(lesson_title) FROM cards WHERE status = 'active' "
            "GROUP BY lesson_id ORDER BY min(lesson_order)"
        )
    ]


TEXT_FIELDS = (
    "source",
    "kind",
    "lesson_id",
    "lesson_title",
    "lesson_order",
    "position",
    "section_id",
    "question",
    "answer",
    "accept",
    "choices",
    "explanation",
    "chunk_id",
    "source_heading",
    "source_path",
    "source_line",
    "source_text",
)


def upsert_rows(
    db: sqlite_utils.Database,
    rows: list[dict],
    origin: str,
    stamp: str,
    *,
    new_state: Callable[[str], dict],
    retire_missing: bool,
    report: SyncReport,
    keep: Sequence[str] = (),
) -> None:
    """Insert/update card rows (one transaction); optionally retire this origin's others
    (except the ids in `keep`: cards whose source is out of reach for now).

    `new_state(card_id)` gives a new card's scheduling columns (fsrs_id, state,
    step, due, fsrs); an existing card keeps its own, so edits never reset progress.
    """
    with write_txn(db) as conn:
        existing = {
            r[0]: r[1:]
            for r in conn.execute(
                f"SELECT id, status, {', '.join(TEXT_FIELDS)} FROM cards WHERE id IN "
                "(SELECT value FROM json_each(?))",
                [json.dumps([r["id"] for r in rows])],
            )
        }
        inserts, updates = [], []
        for row in rows:
            old = existing.get(row["id"])
            if old is None:
                inserts.append(
                    {
                        **row,
                        **new_state(row["id"]),
                        "status": "active",
                        "created_at": stamp,
                        "updated_at": stamp,
                    }
                )
                report.added += 1
                continue
            status, *old_fields = old
            changed = list(old_fields) != [row[f] for f in TEXT_FIELDS]
            if status != "active":
                report.reactivated += 1
            elif changed:
                report.updated += 1
            else:
                report.unchanged += 1
                continue
            updates.append([*(row[f] for f in TEXT_FIELDS), origin, stamp, row["id"]])
        if inserts:
            cols = list(inserts[0])
            conn.executemany(
                f"INSERT INTO cards ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",
                [[r[c] for c in cols] for r in inserts],
            )
        if updates:
            conn.executemany(
                "UPDATE cards SET "
                + ", ".join(f"{f} = ?" for f in TEXT_FIELDS)
                + ", origin = ?, status = 'active', retired_at = NULL, updated_at = ? WHERE id = ?",
                updates,
            )
        if retire_missing:
            cur = conn.execute(
                "UPDATE cards SET status = 'retired', retired_at = ?, updated_at = ? "
                "WHERE origin = ? AND status = 'active' "
                "AND id NOT IN (SELECT value FROM json_each(?))",
                [stamp, stamp, origin, json.dumps([r["id"] for r in rows] + list(keep))],
            )
            report.retired += cur.rowcount


# --- the term-vector cache (distractors for generated multiple-choice cards) -----------


def cached_vectors(db: sqlite_utils.Database, keys: Sequence[str]) -> dict[str, bytes]:
    """{key: float32 bytes} for the keys that are cached."""
    return dict(
        db.execute(
            "SELECT key, vector FROM term_vectors WHERE key IN (SELECT value FROM json_each(?))",
            [json.dumps(list(keys))],
        ).fetchall()
    )


def save_vectors(db: sqlite_utils.Database, rows: Sequence[tuple[str, bytes]]) -> None:
    with write_txn(db) as conn:
        conn.executemany("INSERT OR REPLACE INTO term_vectors VALUES (?, ?)", rows)


# --- counts and queue queries ------------------------------------------------------------


def count_active(db: sqlite_utils.Database) -> int:
    return db.execute("SELECT count(*) FROM cards WHERE status = 'active'").fetchone()[0]


def next_due(db: sqlite_utils.Database) -> str | None:
    """When the earliest reviewed active, unsuspended card falls due (ISO), or None."""
    row = db.execute(
        "SELECT min(due) FROM cards INDEXED BY cards_queue "
        "WHERE status = 'active' AND last_review IS NOT NULL AND suspended = 0"
    ).fetchone()
    return row[0] if row else None


def due_ids(
    db: sqlite_utils.Database,
    *,
    now_julian: float,
    review_due_before: str,
    learning_due_before: str,
    review_state: int,
    lesson: str | None = None,
    now: str | None = None,
) -> list[str]:
    """Reviewed cards due: Review cards before one bound, (re)learning cards before another.

    Never a suspended card, nor one buried past `now` (ISO; None: no bury check).
    Ordered by elapsed/stability descending, which is retrievability ascending
    (the forgetting curve is monotonic in t/S).
    """
    args: list[object] = [now_julian, review_due_before, review_state, learning_due_before, now]
    where = " AND (?5 IS NULL OR buried_until IS NULL OR buried_until <= ?5)"
    if lesson:
        where += " AND lesson_id = ?6"
        args.append(lesson)
    rows = db.execute(
        "SELECT id FROM cards INDEXED BY cards_queue "
        "WHERE status = 'active' AND last_review IS NOT NULL AND suspended = 0 AND due <= ?2 "
        "AND (state = ?3 OR due <= ?4)" + where + " "
        "ORDER BY (?1 - julianday(last_review)) / max(stability, 0.001) DESC, due, id",
        args,
    ).fetchall()
    return [r[0] for r in rows]


NOT_BURIED = " AND (buried_until IS NULL OR buried_until <= ?)"


def unseen_ids(
    db: sqlite_utils.Database,
    limit: int | None = None,
    *,
    lesson: str | None = None,
    now: str | None = None,
) -> list[str]:
    """Never-reviewed active cards in course order (not suspended, not buried at `now`)."""
    args: list[object] = []
    sql = (
        "SELECT id FROM cards INDEXED BY cards_new WHERE status = 'active' AND last_review IS NULL"
        " AND suspended = 0"
    )
    if now is not None:
        sql += NOT_BURIED
        args.append(now)
    if lesson:
        sql += " AND lesson_id = ?"
        args.append(lesson)
    sql += " ORDER BY lesson_order, position"
    if limit is not None:
        sql += " LIMIT ?"
        args.append(limit)
    return [r[0] for r in db.execute(sql, args)]


def unseen_by_lesson(
    db: sqlite_utils.Database, lessons: int, per_lesson: int, *, now: str | None = None
) -> list[list[str]]:
    """Never-reviewed card ids of the first `lessons` lessons that still have some."""
    bury = NOT_BURIED if now is not None else ""
    bury_args = [now] if now is not None else []
    orders = [
        r[0]
        for r in db.execute(
            "SELECT DISTINCT lesson_order FROM cards INDEXED BY cards_new "
            "WHERE status = 'active' AND last_review IS NULL AND suspended = 0"
            + bury
            + " ORDER BY lesson_order LIMIT ?",
            [*bury_args, lessons],
        )
    ]
    return [
        [
            r[0]
            for r in db.execute(
                "SELECT id FROM cards INDEXED BY cards_new WHERE status = 'active' "
                "AND last_review IS NULL AND suspended = 0"
                + bury
                + " AND lesson_order = ? ORDER BY position LIMIT ?",
                [*bury_args, order, per_lesson],
            )
        ]
        for order in orders
    ]


def weakest_ids(
    db: sqlite_utils.Database,
    now_julian: float,
    *,
    lesson: str | None = None,
    limit: int | None = None,
    now: str | None = None,
) -> list[str]:
    """Reviewed active cards, lowest retrievability (highest elapsed/stability) first;
    never a suspended one, nor one buried at `now`."""
    args: list[object] = [now_julian]
    sql = (
        "SELECT id FROM cards WHERE status = 'active' AND last_review IS NOT NULL "
        "AND suspended = 0"
        + (NOT_BURIED if now is not None else "")
        + (" AND lesson_id = ?" if lesson else "")
        + " ORDER BY (? - julianday(last_review)) / max(stability, 0.001) DESC, id"
    )
    if lesson:
        args.insert(0, lesson)
    if now is not None:
        args.insert(0, now)
    if limit is not None:
        sql += " LIMIT ?"
        args.append(limit)
    return [r[0] for r in db.execute(sql, args)]


def memory_rows(
    db: sqlite_utils.Database, ids: Sequence[str] | None = None
) -> list[tuple[str, str, float | None, float | None]]:
    """(id, lesson_id, stability, julianday(last_review)) of the given or all active cards."""
    sql = "SELECT id, lesson_id, stability, julianday(last_review) FROM cards WHERE " + (
        "id IN (SELECT value FROM json_each(?))" if ids is not None else "status = 'active'"
    )
    return db.execute(sql, [json.dumps(list(ids))] if ids is not None else []).fetchall()


def sibling_keys(db: sqlite_utils.Database, ids: Sequence[str]) -> dict[str, str]:
    """{card id: what its siblings share}: the chunk that teaches it (a term's cloze,
    definition and multiple-choice cards, and the authored items on that passage),
    or the card's own id when it names no chunk."""
    rows = db.execute(
        "SELECT id, coalesce(chunk_id, id) FROM cards WHERE id IN (SELECT value FROM json_each(?))",
        [json.dumps(list(ids))],
    )
    return dict(rows.fetchall())
