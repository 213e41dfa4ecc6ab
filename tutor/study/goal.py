"""The daily goal: how many reviews a day the learner means to do, and the streak of
days it was met.

Why reviews and not minutes: a review is what the log counts exactly, and the
learner sees the count move with every card. Every review that stands counts
(cram ones too: practice is practice); undone reviews do not. The streak counts
consecutive days of the learner's own time zone on which the goal was met,
ending today, or yesterday while today's goal is still open.

Streak freezes, as daily learners know them: every `goal.freeze_every` (7) goal-met
days of a streak earn one freeze, at most `goal.freeze_max` (2) banked. A day the goal
was missed is bridged by a banked freeze, which is spent: the streak lives on but the
frozen day does not add to it. A missed day with no freeze banked ends the streak (and
so the bank, which only a streak fills). Today never spends one: its goal is still
open until the day ends.

Nothing is stored: the streak, the bank and the frozen days are derived from the
review log each time, walking the days in order (`walk_streak`), so no counter can
drift, and an undone review or a changed setting is reflected at once. The walk only
needs the days since the last break that no bank could have bridged: more than
`freeze_max` missed days in a row always end a streak, so the log is read backwards
(`freeze_max` + 1 empty days past the first review at the most) until such a run.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
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
SETTING_FREEZE_EVERY = "goal.freeze_every"  # goal-met days of a streak that earn a freeze
DEFAULT_FREEZE_EVERY = 7
SETTING_FREEZE_MAX = "goal.freeze_max"  # freezes banked at most (0: no freezes)
DEFAULT_FREEZE_MAX = 2
MAX_FREEZE_EVERY = 365
MAX_FREEZE_MAX = 30


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


def _setting(db: sqlite_utils.Database, key: str, default: int, lo: int, hi: int) -> int:
    try:
        return min(hi, max(lo, int(get_setting(db, key, default))))
    except (TypeError, ValueError):
        return default


def freeze_every(db: sqlite_utils.Database) -> int:
    return _setting(db, SETTING_FREEZE_EVERY, DEFAULT_FREEZE_EVERY, 1, MAX_FREEZE_EVERY)


def freeze_max(db: sqlite_utils.Database) -> int:
    return _setting(db, SETTING_FREEZE_MAX, DEFAULT_FREEZE_MAX, 0, MAX_FREEZE_MAX)


def set_freezes(
    db: sqlite_utils.Database, *, every: int | None = None, most: int | None = None
) -> None:
    """Change how freezes are earned (`every` goal-met days) and banked (`most`)."""
    if every is not None:
        if not 1 <= int(every) <= MAX_FREEZE_EVERY:
            raise TutorError(
                f"a freeze is earned every 1 to {MAX_FREEZE_EVERY} goal days, not {every}"
            )
        set_setting(db, SETTING_FREEZE_EVERY, int(every))
    if most is not None:
        if not 0 <= int(most) <= MAX_FREEZE_MAX:
            raise TutorError(f"at most 0 to {MAX_FREEZE_MAX} freezes can be banked, not {most}")
        set_setting(db, SETTING_FREEZE_MAX, int(most))


@dataclass(frozen=True)
class Streak:
    days: int = 0  # goal-met days in the current streak (frozen days not counted)
    freezes: int = 0  # freezes banked now
    frozen_days: int = 0  # missed days inside the current streak that a freeze bridged


def walk_streak(days: Iterable[bool], every: int, most: int) -> Streak:
    """The streak after a run of days, oldest first (True: the goal was met)."""
    streak = banked = frozen = 0
    for met in days:
        if met:
            streak += 1
            if streak % every == 0 and banked < most:
                banked += 1
        elif banked:
            banked -= 1
            frozen += 1
        else:
            streak = frozen = 0
    return Streak(streak, banked, frozen)


def goal_streak_status(
    db: sqlite_utils.Database,
    now: datetime,
    goal: int,
    *,
    every: int | None = None,
    most: int | None = None,
) -> Streak:
    """The streak of goal-met days ending today (or yesterday, while today is open),
    with the freezes banked and spent (see the module docstring)."""
    every = freeze_every(db) if every is None else every
    most = freeze_max(db) if most is None else most
    today = clock.local_day(now)
    block = 64
    newest_first: list[bool] = []
    misses = 0  # missed days in a row, reading backwards
    met_today = False
    day = today
    while misses <= most:
        bounds = clock.day_bounds(day - timedelta(days=block - 1), block)[::-1]  # newest first
        flags = queries.days_meeting_goal(db, bounds, goal)
        if day == today:
            met_today, flags = flags[0], flags[1:]  # an open day never spends a freeze
        for met in flags:
            newest_first.append(met)
            misses = 0 if met else misses + 1
            if misses > most:
                break  # no bank bridges this run: the streak starts after it
        day -= timedelta(days=block)
    if met_today:
        newest_first.insert(0, True)
    return walk_streak(reversed(newest_first), every, most)


def goal_streak(db: sqlite_utils.Database, now: datetime, goal: int) -> int:
    """Consecutive local days with at least `goal` reviews, ending today (or yesterday),
    missed days bridged by banked freezes."""
    return goal_streak_status(db, now, goal).days
