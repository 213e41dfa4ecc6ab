"""Learning statistics for `tutor stats` and the TUI's stats screen.

`compute_stats(db, now) -> Stats` (plain data; `Stats.to_dict()` is what
`tutor stats --json` prints; `format_stats(stats)` is the plain-text report):

- `due_today`: reviewed cards due by the end of the learner's (local) day;
  `new_today`: new cards still available today (daily limit minus new cards already
  introduced, capped by the unseen cards left); `reviews_today`.
- `reviews_per_day`: [(ISO date, count)] for the last `days` (30) local days, oldest
  first, zeros included; cram reviews count as reviews.
- `retention`: true retention over the last 30 days — the share of reviews of cards
  that were in the Review state (not learning steps, not cram) that were not rated
  Again; None with no such review. `retention_reviews` is how many there were.
- `streak_days`: consecutive local days with a review, ending today (or yesterday,
  if nothing has been reviewed yet today).
- `forecast`: [(ISO date, count)] of cards falling due on each of the next 30 days
  (overdue cards count on today).
- `lessons`: per-lesson `LessonStats(lesson_id, title, cards, seen, due, mastery)`;
  mastery is the mean FSRS retrievability of the lesson's active cards (unseen = 0).
- `time_today_ms`, `time_30d_ms`: time spent answering; `reviews_total`: all reviews.

Only SQLite and numpy are imported: no torch, no sentence-transformers.
"""

from __future__ import annotations

import json
import math
import sqlite3
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from fsrs import State

from tutor import srs

if TYPE_CHECKING:
    import sqlite_utils

WINDOW_DAYS = 30


@dataclass
class LessonStats:
    lesson_id: str
    title: str
    cards: int
    seen: int
    due: int
    mastery: float  # mean retrievability of its active cards, unseen counted as 0


@dataclass
class Stats:
    now: str
    today: str
    cards_active: int = 0
    cards_unseen: int = 0
    cards_retired: int = 0
    due_today: int = 0
    new_today: int = 0
    new_introduced_today: int = 0
    new_per_day: int = srs.DEFAULT_NEW_PER_DAY
    reviews_today: int = 0
    reviews_total: int = 0
    reviews_per_day: list[tuple[str, int]] = field(default_factory=list)
    retention: float | None = None
    retention_reviews: int = 0
    desired_retention: float = srs.DEFAULT_RETENTION
    streak_days: int = 0
    forecast: list[tuple[str, int]] = field(default_factory=list)
    lessons: list[LessonStats] = field(default_factory=list)
    time_today_ms: int = 0
    time_30d_ms: int = 0

    def to_dict(self) -> dict:
        data = asdict(self)
        data["reviews_per_day"] = [{"date": d, "reviews": n} for d, n in self.reviews_per_day]
        data["forecast"] = [{"date": d, "due": n} for d, n in self.forecast]
        return data


def _per_day(db: sqlite_utils.Database, sql: str, bounds: list[tuple[str, str]]) -> list[tuple]:
    """Run `sql` (a scalar/row subquery over `b.lo`, `b.hi`) once per day window.

    Each window is an index range scan, so no date is parsed per row and the
    local-day boundaries (daylight saving time included) come from Python.
    """
    return db.execute(
        "WITH b(i, lo, hi) AS (SELECT key, json_extract(value, '$[0]'), "
        "json_extract(value, '$[1]') FROM json_each(?)) "
        f"SELECT b.i, {sql} FROM b ORDER BY b.i",
        [json.dumps(bounds)],
    ).fetchall()


def _streak(db: sqlite_utils.Database, now: datetime) -> int:
    """Consecutive local days with a review, ending today (or yesterday)."""
    today = srs.local_day(now)
    streak, block = 0, 64
    day = today
    first = True
    while True:
        bounds = srs.day_bounds(day - timedelta(days=block - 1), block)[::-1]  # newest first
        flags = _per_day(
            db,
            "EXISTS (SELECT 1 FROM reviews INDEXED BY reviews_window "
            "WHERE reviewed_at >= b.lo AND reviewed_at < b.hi)",
            bounds,
        )
        for i, (_, has) in enumerate(flags):
            if has:
                streak += 1
            elif first and i == 0:
                pass  # nothing yet today: the streak may still run to yesterday
            else:
                return streak
        first = False
        day -= timedelta(days=block)


def _pow_available(db: sqlite_utils.Database) -> bool:
    try:
        db.execute("SELECT pow(2.0, 0.5)").fetchone()
        return True
    except sqlite3.OperationalError:
        db.conn.create_function("pow", 2, math.pow, deterministic=True)
        return False


def _lessons(db: sqlite_utils.Database, now: datetime, end_today: datetime) -> list[LessonStats]:
    """Per-lesson counts and mastery in one pass over a covering index (FSRS curve in SQL)."""
    _pow_available(db)
    decay = -srs.parameters(db)[20]
    factor = 0.9 ** (1 / decay) - 1
    rows = db.execute(
        "SELECT lesson_id, count(*), count(last_review), "
        "coalesce(sum(last_review IS NOT NULL AND due < ?), 0), "
        "coalesce(sum(CASE WHEN last_review IS NULL THEN 0 ELSE "
        "pow(1 + ? * max(0, floor(? - julianday(last_review))) / max(stability, 0.001), ?) "
        "END), 0) FROM cards INDEXED BY cards_lesson_stats "
        "WHERE status = 'active' GROUP BY lesson_id",
        [srs.iso(end_today), factor, srs._julian(now), decay],
    ).fetchall()
    lessons = []
    for lesson_id, cards, seen, due, total in rows:
        title, order = db.execute(
            "SELECT lesson_title, lesson_order FROM cards INDEXED BY cards_lesson "
            "WHERE lesson_id = ? AND status = 'active' LIMIT 1",
            [lesson_id],
        ).fetchone()
        lessons.append((order, LessonStats(lesson_id, title, cards, seen, due, total / cards)))
    return [ls for _, ls in sorted(lessons, key=lambda x: (x[0], x[1].lesson_id))]


def compute_stats(db: sqlite_utils.Database, now: datetime, *, days: int = WINDOW_DAYS) -> Stats:
    now = now.astimezone(UTC)
    end_today = srs.day_end(now)
    today = srs.local_day(now)
    stats = Stats(now=srs.iso(now), today=today.isoformat())

    for status, count in db.execute(
        "SELECT status, count(*) FROM cards INDEXED BY cards_lesson_stats GROUP BY status"
    ):
        if status == "active":
            stats.cards_active = count
        else:
            stats.cards_retired += count
    stats.cards_unseen = db.execute(
        "SELECT count(*) FROM cards INDEXED BY cards_new "
        "WHERE status = 'active' AND last_review IS NULL"
    ).fetchone()[0]
    stats.due_today = db.execute(
        "SELECT count(*) FROM cards INDEXED BY cards_queue "
        "WHERE status = 'active' AND last_review IS NOT NULL AND due < ?",
        [srs.iso(end_today)],
    ).fetchone()[0]
    stats.new_per_day = srs.new_per_day(db)
    stats.new_introduced_today = srs.new_introduced_today(db, now)
    stats.new_today = max(
        0, min(stats.new_per_day - stats.new_introduced_today, stats.cards_unseen)
    )
    stats.desired_retention = srs.desired_retention(db)

    # reviews and time per local day over the window (oldest first)
    first = today - timedelta(days=days - 1)
    bounds = srs.day_bounds(first, days)
    rows = _per_day(
        db,
        "(SELECT count(*) FROM reviews INDEXED BY reviews_window "
        "WHERE reviewed_at >= b.lo AND reviewed_at < b.hi), "
        "(SELECT coalesce(sum(duration_ms), 0) FROM reviews INDEXED BY reviews_window "
        "WHERE reviewed_at >= b.lo AND reviewed_at < b.hi)",
        bounds,
    )
    stats.reviews_per_day = [
        ((first + timedelta(days=i)).isoformat(), count) for i, count, _ in rows
    ]
    stats.reviews_today = rows[-1][1]
    stats.time_today_ms = int(rows[-1][2])
    stats.time_30d_ms = int(sum(r[2] for r in rows))
    # reviews are append-only, so the last id is the number of reviews ever made
    stats.reviews_total = db.execute("SELECT coalesce(max(id), 0) FROM reviews").fetchone()[0]

    # true retention: reviews of Review-state cards (not cram) in the window
    n, passed = db.execute(
        "SELECT count(*), coalesce(sum(rating > 1), 0) FROM reviews INDEXED BY reviews_window "
        "WHERE reviewed_at >= ? AND reviewed_at < ? AND cram = 0 AND state_before = ?",
        [srs.iso(now - timedelta(days=days)), srs.iso(end_today), int(State.Review)],
    ).fetchone()
    stats.retention_reviews = n
    stats.retention = (passed / n) if n else None

    stats.streak_days = _streak(db, now)

    # forecast of due cards per local day; overdue cards count on today
    ahead = srs.day_bounds(today, days)
    ahead[0] = ("", ahead[0][1])
    stats.forecast = [
        ((today + timedelta(days=i)).isoformat(), count)
        for i, count in _per_day(
            db,
            "(SELECT count(*) FROM cards INDEXED BY cards_queue WHERE status = 'active' "
            "AND last_review IS NOT NULL AND due >= b.lo AND due < b.hi)",
            ahead,
        )
    ]

    # per-lesson mastery: mean retrievability, unseen cards counted as 0
    stats.lessons = _lessons(db, now, end_today)
    return stats


def _minutes(ms: int) -> str:
    minutes = ms / 60000
    return f"{minutes:.0f} min" if minutes >= 10 else f"{minutes:.1f} min"


def format_stats(stats: Stats) -> str:
    """A plain-text report (no markup) for the terminal."""
    lines = [
        f"Today ({stats.today}): {stats.due_today} due, {stats.new_today} new "
        f"(limit {stats.new_per_day}/day), {stats.reviews_today} reviewed, "
        f"{_minutes(stats.time_today_ms)}",
        f"Cards: {stats.cards_active} active ({stats.cards_unseen} not seen yet), "
        f"{stats.cards_retired} retired",
        f"Streak: {stats.streak_days} day{'s' if stats.streak_days != 1 else ''}",
    ]
    if stats.retention is None:
        lines.append("True retention (30 days): no reviews of mature cards yet")
    else:
        lines.append(
            f"True retention (30 days): {stats.retention:.1%} of {stats.retention_reviews} "
            f"reviews (target {stats.desired_retention:.0%})"
        )
    lines.append(
        f"Time spent: {_minutes(stats.time_today_ms)} today, {_minutes(stats.time_30d_ms)} "
        f"in 30 days ({stats.reviews_total} reviews in all)"
    )
    recent = stats.reviews_per_day[-7:]
    lines.append("Reviews, last 7 days: " + ", ".join(f"{d[5:]} {n}" for d, n in recent))
    week = stats.forecast[:7]
    lines.append("Due, next 7 days: " + ", ".join(f"{d[5:]} {n}" for d, n in week))
    later = sum(n for _, n in stats.forecast[7:])
    lines.append(f"Due in the 23 days after: {later}")
    if stats.lessons:
        lines.append("Mastery by lesson (mean recall probability):")
        width = max(len(ls.title) for ls in stats.lessons)
        for ls in stats.lessons:
            bar = "#" * round(ls.mastery * 20)
            lines.append(
                f"  {ls.title:<{width}}  {ls.mastery:6.1%}  {bar:<20}  "
                f"{ls.seen}/{ls.cards} seen, {ls.due} due"
            )
    return "\n".join(lines)
