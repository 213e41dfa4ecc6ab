"""What the home screen shows, gathered in one place (and off the UI thread).

`load_summary` is the single function that feeds the home screen's numbers:
today's due and new counts, the streak, a 30-day forecast, per-lesson mastery and
the place to continue from. The numbers come from `tutor.srs` / `tutor.stats`;
whatever those modules cannot give (not installed, no cards yet) stays at zero
rather than stopping the home screen from opening.
"""

from __future__ import annotations

import importlib
import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from tutor.progress import Place, last_place

if TYPE_CHECKING:
    import sqlite_utils

    from tutor.course import Course

FORECAST_DAYS = 30
log = logging.getLogger(__name__)


@dataclass
class HomeSummary:
    due: int = 0
    new: int = 0
    streak: int = 0
    forecast: list[int] = field(default_factory=lambda: [0] * FORECAST_DAYS)
    mastery: dict[str, float] = field(default_factory=dict)  # lesson id -> 0..1
    reviewed_today: int = 0
    place: Place | None = None
    cards: bool = False  # whether spaced repetition data is available at all


def _module(name: str):
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


def load_summary(db: sqlite_utils.Database, course: Course) -> HomeSummary:
    summary = HomeSummary(place=last_place(db))
    if summary.place and course.lesson(summary.place.lesson_id) is None:
        summary.place = None
    stats = _module("tutor.stats")
    if stats is not None and hasattr(stats, "home"):
        try:
            _from_stats(summary, stats.home(db, course))
        except Exception:  # noqa: BLE001 — the home screen must open regardless
            log.exception("tutor.stats.home failed")
    return summary


def _from_stats(summary: HomeSummary, data) -> None:
    """Copy the fields of whatever `tutor.stats.home` returns (object or dict)."""

    def get(name, default=None):
        if isinstance(data, dict):
            return data.get(name, default)
        return getattr(data, name, default)

    summary.cards = True
    summary.due = int(get("due", 0) or 0)
    summary.new = int(get("new", 0) or 0)
    summary.streak = int(get("streak", 0) or 0)
    summary.reviewed_today = int(get("reviewed_today", 0) or 0)
    forecast = list(get("forecast", []) or [])[:FORECAST_DAYS]
    summary.forecast = [int(n) for n in forecast] + [0] * (FORECAST_DAYS - len(forecast))
    summary.mastery = {str(k): float(v) for k, v in (get("mastery", {}) or {}).items()}
