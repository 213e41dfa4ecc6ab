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
- `time_today_ms`, `time_30d_ms`, `time_total_ms`: time spent answering.

Only SQLite and numpy are imported: no torch, no sentence-transformers.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
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
    time_total_ms: int = 0

    def to_dict(self) -> dict:
        data = asdict(self)
        data["reviews_per_day"] = [{"date": d, "reviews": n} for d, n in self.reviews_per_day]
        data["forecast"] = [{"date": d, "due": n} for d, n in self.forecast]
        return data


def _local_date_sql(column: str) -> str:
    return f"date({column}, 'localtime')"


def _days(start: date, count: int) -> list[str]:
    return [(start + timedelta(days=i)).isoformat() for i in range(count)]


def _streak(db: sqlite_utils.Database, now: datetime) -> int:
    today = srs.local_day(now)
    window = 64
    while True:
        since = srs.day_start(now) - timedelta(days=window)
        days = {
            r[0]
            for r in db.execute(
                f"SELECT DISTINCT {_local_date_sql('reviewed_at')} FROM reviews "
                "WHERE reviewed_at >= ? AND reviewed_at < ?",
                [srs.iso(since), srs.iso(srs.day_end(now))],
            )
        }
        day = today if today.isoformat() in days else today - timedelta(days=1)
        streak = 0
        while day.isoformat() in days:
            streak += 1
            day -= timedelta(days=1)
        if streak < window - 1:
            return streak
        window *= 4


def _mastery(db: sqlite_utils.Database, now: datetime) -> dict[str, float]:
    """{lesson id: mean retrievability} over active cards, vectorised with numpy."""
    import numpy as np

    rows = db.execute(
        "SELECT lesson_id, stability, julianday(last_review) FROM cards "
        "WHERE status = 'active' AND last_review IS NOT NULL"
    ).fetchall()
    if not rows:
        return {}
    lessons, stab, last = zip(*rows, strict=True)
    r = srs.retrievability(
        np.array(stab, dtype=np.float64),
        srs._julian(now) - np.array(last, dtype=np.float64),
        srs.parameters(db),
    )
    names, inverse = np.unique(np.array(lessons, dtype=object), return_inverse=True)
    sums = np.bincount(inverse, weights=r, minlength=len(names))
    return {str(n): float(s) for n, s in zip(names, sums, strict=True)}


def compute_stats(db: sqlite_utils.Database, now: datetime, *, days: int = WINDOW_DAYS) -> Stats:
    now = now.astimezone(UTC)
    start_today = srs.day_start(now)
    end_today = srs.day_end(now)
    today = srs.local_day(now)
    stats = Stats(now=srs.iso(now), today=today.isoformat())

    for status, count in db.execute("SELECT status, count(*) FROM cards GROUP BY status"):
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

    # reviews per day and time over the window
    since = start_today - timedelta(days=days - 1)
    per_day = dict.fromkeys(_days(since.astimezone().date(), days), 0)
    time_by_day: dict[str, int] = {}
    for day, count, ms in db.execute(
        f"SELECT {_local_date_sql('reviewed_at')} AS d, count(*), coalesce(sum(duration_ms), 0) "
        "FROM reviews WHERE reviewed_at >= ? AND reviewed_at < ? GROUP BY d",
        [srs.iso(since), srs.iso(end_today)],
    ):
        if day in per_day:
            per_day[day] = count
            time_by_day[day] = ms
    stats.reviews_per_day = list(per_day.items())
    stats.reviews_today = per_day.get(today.isoformat(), 0)
    stats.time_today_ms = int(time_by_day.get(today.isoformat(), 0))
    stats.time_30d_ms = int(sum(time_by_day.values()))
    total, total_ms = db.execute(
        "SELECT count(*), coalesce(sum(duration_ms), 0) FROM reviews"
    ).fetchone()
    stats.reviews_total, stats.time_total_ms = total, int(total_ms)

    # true retention: reviews of Review-state cards (not cram) in the window
    n, passed = db.execute(
        "SELECT count(*), coalesce(sum(rating > 1), 0) FROM reviews "
        "WHERE reviewed_at >= ? AND reviewed_at < ? AND cram = 0 AND state_before = ?",
        [srs.iso(now - timedelta(days=days)), srs.iso(end_today), int(State.Review)],
    ).fetchone()
    stats.retention_reviews = n
    stats.retention = (passed / n) if n else None

    stats.streak_days = _streak(db, now)

    # forecast of due cards per day
    forecast = dict.fromkeys(_days(today, days), 0)
    horizon = srs.day_end(now) + timedelta(days=days - 1)
    for day, count in db.execute(
        f"SELECT max({_local_date_sql('due')}, ?) AS d, count(*) FROM cards INDEXED BY cards_queue "
        "WHERE status = 'active' AND last_review IS NOT NULL AND due < ? GROUP BY d",
        [today.isoformat(), srs.iso(horizon)],
    ):
        if day in forecast:
            forecast[day] += count
    stats.forecast = list(forecast.items())

    # per-lesson mastery
    sums = _mastery(db, now)
    for lesson_id, title, cards, seen, due in db.execute(
        "SELECT lesson_id, max(lesson_title), count(*), count(last_review), "
        "coalesce(sum(last_review IS NOT NULL AND due < ?), 0) "
        "FROM cards WHERE status = 'active' GROUP BY lesson_id ORDER BY min(lesson_order)",
        [srs.iso(end_today)],
    ):
        stats.lessons.append(
            LessonStats(lesson_id, title, cards, seen, due, sums.get(lesson_id, 0.0) / cards)
        )
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
        f"in 30 days, {_minutes(stats.time_total_ms)} in all ({stats.reviews_total} reviews)"
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
