"""Learning statistics for `tutor stats` and the TUI's stats screen.

`compute_stats(db, now) -> Stats` (plain data; `Stats.to_dict()` is what
`tutor stats --json` prints; the CLI formats the plain-text report):

- `due_today`: reviewed cards due by the end of the learner's (local) day;
  `new_today`: new cards still available today (daily limit minus new cards already
  introduced, capped by the unseen cards left); `reviews_today`.
- `reviews_per_day`: [(ISO date, count)] for the last `days` (30) local days, oldest
  first, zeros included; cram reviews count as reviews.
- `retention`: true retention over the last 30 days — the share of reviews of cards
  that were in the Review state (not learning steps, not cram) that were not rated
  Again; None with no such review. `retention_reviews` is how many there were.
- `streak_days`: consecutive local days on which the daily goal (`daily_goal`
  reviews, `tutor.study.goal`) was met, ending today (or yesterday, while today's
  goal is still open); `goal_met_today`. `streak_freezes`: freezes banked now (one per
  `goal.freeze_every` goal-met days of the streak, at most `goal.freeze_max`);
  `streak_frozen_days`: missed days in the streak that a freeze bridged.
- `cards_suspended`, `cards_buried` (now), `cards_flagged`, `cards_leeches`: active
  cards the learner set aside; suspended and buried cards are not in `due_today`.
- `forecast`: [(ISO date, count)] of cards falling due on each of the next 30 days
  (overdue cards count on today).
- `lessons`: per-lesson `LessonStats(lesson_id, title, cards, seen, due, mastery)`;
  mastery is the mean FSRS retrievability of the lesson's active cards (unseen = 0).
- `time_today_ms`, `time_30d_ms`: time spent answering; `reviews_total`: all reviews.

The queries live in `tutor.store.stats`; only SQLite and numpy are imported.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from fsrs import State

from tutor.store import stats as queries
from tutor.study import clock, goal, schedule
from tutor.study.queue import new_introduced_today

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
    cards_suspended: int = 0
    cards_buried: int = 0
    cards_flagged: int = 0
    cards_leeches: int = 0
    due_today: int = 0
    new_today: int = 0
    new_introduced_today: int = 0
    new_per_day: int = schedule.DEFAULT_NEW_PER_DAY
    reviews_today: int = 0
    reviews_total: int = 0
    reviews_per_day: list[tuple[str, int]] = field(default_factory=list)
    retention: float | None = None
    retention_reviews: int = 0
    desired_retention: float = schedule.DEFAULT_RETENTION
    streak_days: int = 0
    streak_freezes: int = 0
    streak_frozen_days: int = 0
    daily_goal: int = goal.DEFAULT_DAILY_GOAL
    goal_met_today: bool = False
    forecast: list[tuple[str, int]] = field(default_factory=list)
    lessons: list[LessonStats] = field(default_factory=list)
    time_today_ms: int = 0
    time_30d_ms: int = 0

    def to_dict(self) -> dict:
        data = asdict(self)
        data["reviews_per_day"] = [{"date": d, "reviews": n} for d, n in self.reviews_per_day]
        data["forecast"] = [{"date": d, "due": n} for d, n in self.forecast]
        return data


def _lessons(db: sqlite_utils.Database, now: datetime, end_today: datetime) -> list[LessonStats]:
    """Per-lesson counts, and mastery from the one forgetting curve (`schedule.memory`)."""
    recall: dict[str, float] = defaultdict(float)
    for _card, lesson_id, r in schedule.memory(db, now):
        recall[lesson_id] += r
    rows = sorted(queries.lesson_rows(db, clock.iso(end_today)), key=lambda r: (r[2], r[0]))
    return [
        LessonStats(lesson_id, title, cards, seen, due, recall[lesson_id] / cards)
        for lesson_id, title, _order, cards, seen, due in rows
    ]


def reviews_per_day(db: sqlite_utils.Database, now: datetime, days: int) -> list[tuple[str, int]]:
    """[(ISO date, reviews)] for the last `days` local days, oldest first (for a heatmap)."""
    first = clock.local_day(now) - timedelta(days=days - 1)
    rows = queries.reviews_and_time_per_day(db, clock.day_bounds(first, days))
    return [((first + timedelta(days=i)).isoformat(), n) for i, (n, _ms) in enumerate(rows)]


def compute_stats(db: sqlite_utils.Database, now: datetime, *, days: int = WINDOW_DAYS) -> Stats:
    now = now.astimezone(UTC)
    end_today = clock.day_end(now)
    today = clock.local_day(now)
    stats = Stats(now=clock.iso(now), today=today.isoformat())

    by_status = queries.cards_by_status(db)
    stats.cards_active = by_status.pop("active", 0)
    stats.cards_retired = sum(by_status.values())
    stats.cards_unseen = queries.unseen_count(db)
    stats.due_today = queries.due_before(db, clock.iso(end_today), clock.iso(now))
    held = queries.held_counts(db, clock.iso(now))
    stats.cards_suspended = held["suspended"]
    stats.cards_buried = held["buried"]
    stats.cards_flagged = held["flagged"]
    stats.cards_leeches = held["leeches"]
    stats.new_per_day = schedule.new_per_day(db)
    stats.new_introduced_today = new_introduced_today(db, now)
    stats.new_today = max(
        0, min(stats.new_per_day - stats.new_introduced_today, stats.cards_unseen)
    )
    stats.desired_retention = schedule.desired_retention(db)

    # reviews and time per local day over the window (oldest first)
    first = today - timedelta(days=days - 1)
    rows = queries.reviews_and_time_per_day(db, clock.day_bounds(first, days))
    stats.reviews_per_day = [
        ((first + timedelta(days=i)).isoformat(), count) for i, (count, _ms) in enumerate(rows)
    ]
    stats.reviews_today = rows[-1][0]
    stats.time_today_ms = rows[-1][1]
    stats.time_30d_ms = sum(ms for _, ms in rows)
    stats.reviews_total = queries.review_total(db)

    # true retention: reviews of Review-state cards (not cram) in the window
    n, passed = queries.retention_counts(
        db, clock.iso(now - timedelta(days=days)), clock.iso(end_today), int(State.Review)
    )
    stats.retention_reviews = n
    stats.retention = (passed / n) if n else None

    stats.daily_goal = goal.daily_goal(db)
    stats.goal_met_today = stats.reviews_today >= stats.daily_goal
    streak = goal.goal_streak_status(db, now, stats.daily_goal)
    stats.streak_days = streak.days
    stats.streak_freezes = streak.freezes
    stats.streak_frozen_days = streak.frozen_days

    # forecast of due cards per local day; overdue cards count on today
    ahead = clock.day_bounds(today, days)
    ahead[0] = ("", ahead[0][1])
    stats.forecast = [
        ((today + timedelta(days=i)).isoformat(), count)
        for i, count in enumerate(queries.due_per_day(db, ahead))
    ]

    # per-lesson mastery: mean retrievability, unseen cards counted as 0
    stats.lessons = _lessons(db, now, end_today)
    return stats
