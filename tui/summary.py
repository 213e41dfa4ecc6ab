"""What the home screen shows, gathered in one place (and off the UI thread).

`load_summary` is the single function that feeds the home screen's numbers:
today's due and new counts, the daily goal and its streak, a 30-day forecast, per-lesson mastery and
the place to continue from. The numbers come from `Tutor.stats`;
if that fails the numbers stay at zero rather than stopping the home screen from
opening (the error goes to the log).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tutor.services import Tutor
    from tutor.store.progress import Place

FORECAST_DAYS = 30
log = logging.getLogger(__name__)


@dataclass
class HomeSummary:
    due: int = 0
    new: int = 0
    streak: int = 0
    freezes: int = 0  # streak freezes banked (each bridges one missed day)
    forecast: list[int] = field(default_factory=lambda: [0] * FORECAST_DAYS)
    mastery: dict[str, float] = field(default_factory=dict)  # lesson id -> 0..1
    reviewed_today: int = 0
    goal: int = 20  # the daily goal (reviews); the streak counts days it was met
    place: Place | None = None
    cards: bool = False  # whether spaced repetition data is available at all


def load_summary(tutor: Tutor) -> HomeSummary:
    summary = HomeSummary(place=tutor.last_place())
    try:
        result = tutor.stats()
    except Exception:  # noqa: BLE001 — the home screen must open regardless
        log.exception("tutor.study.stats.compute_stats failed")
        return summary
    summary.cards = result.cards_active > 0
    summary.due = result.due_today
    summary.new = result.new_today
    summary.streak = result.streak_days
    summary.freezes = result.streak_freezes
    summary.reviewed_today = result.reviews_today
    summary.goal = result.daily_goal
    counts = [count for _day, count in result.forecast][:FORECAST_DAYS]
    summary.forecast = counts + [0] * (FORECAST_DAYS - len(counts))
    summary.mastery = {ls.lesson_id: ls.mastery for ls in result.lessons}
    return summary
