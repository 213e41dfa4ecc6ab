"""The daily goal: how many reviews a day the learner means to do, and the streak of
days it was met.

Why reviews and not minutes: a review is what the log counts exactly, and the
learner sees the count move with every card. Every review that stands counts
(cram ones too: practice is practice); undone reviews do not. The streak counts
consecutive days of the learner's own time zone on which the goal was met,
ending today, or yesterday while today's goal is still open.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from tutor.errors import TutorError
from tutor.store import get_setting, set_setting
from tutor.store import stats as queries
from tutor.study import clock

if TYPE_CHECKING:
    import sqlite_utils

SETTING_DAILY_GOAL = "goal.daily_reviews"
DEFAULT_DAILY_GOAL = 20
MAX_DAILY_GOAL = 10_000


def daily_goal(db: sqlite_utils.Database) -> int:
    value = get_setting(db, SETTING_DAILY_GOAL, DEFAULT_DAILY_GOAL)
    try:
        return min(MAX_DAILY_GOAL, max(1, int(value)))
    except (TypeError, ValueError):
        return DEFAULT_DAILY_GOAL


def set_daily_goal(db: sqlite_utils.Database, value: int) -> None:
    if not 1 <= int(value) <= MAX_DAILY_GOAL:
        raise TutorError(f"the daily goal must be 1 to {MAX_DAILY_GOAL:,} reviews, not {value}")
    set_setting(db, SETTING_DAILY_GOAL, int(value))


def goal_streak(db: sqlite_utils.Database, now: datetime, goal: int) -> int:
    """Consecutive local days with at least `goal` reviews, ending today (or yesterday)."""
    streak, block = 0, 64
    day = clock.local_day(now)
    first = True
    while True:
        bounds = clock.day_bounds(day - timedelta(days=block - 1), block)[::-1]  # newest first
        for i, met in enumerate(queries.days_meeting_goal(db, bounds, goal)):
            if met:
                streak += 1
            elif first and i == 0:
                pass  # today's goal is still open: the streak may still run to yesterday
            else:
                return streak
        first = False
        day -= timedelta(days=block)
