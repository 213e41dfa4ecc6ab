"""Streak freezes (issue 15): one earned per `goal.freeze_every` goal-met days, at most
`goal.freeze_max` banked, a missed day bridged by one; all derived from the review log.
Real SQLite, the real course sync, the CLI through click."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from click.testing import CliRunner
from test_cards import write_course

from tutor import store
from tutor.cli import cli
from tutor.errors import TutorError
from tutor.services import Tutor
from tutor.study import goal, schedule
from tutor.study.goal import Streak, walk_streak
from tutor.study.stats import compute_stats

T0 = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
MET, MISS = True, False


class Clock:
    def __init__(self, now: datetime = T0):
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def tutor(tmp_path, tutor_home):
    t = Tutor(write_course(tmp_path / "course"), tutor_home / "tutor.db", clock=Clock())
    t.sync_cards()
    t.schedule(daily_goal=1)
    yield t
    t.close()


def review_days(tutor, days_ago: list[int], now: datetime = T0) -> None:
    """One standing review on each of these days before `now` (0: that day itself)."""
    card = tutor.cards()[0].id
    for k in days_ago:
        schedule.record_review(tutor.db, card, 3, now=now - timedelta(days=k), cram=True)


def test_the_walk_earns_spends_and_caps_freezes():
    assert walk_streak([MET] * 7 + [MISS] + [MET] * 2, 7, 2) == Streak(9, 0, 1)
    assert walk_streak([MET] * 6 + [MISS] + [MET] * 2, 7, 2) == Streak(2, 0, 0)
    assert walk_streak([MET] * 30, 7, 2) == Streak(30, 2, 0)  # 4 earned, 2 banked
    assert walk_streak([MET] * 14 + [MISS, MISS] + [MET], 7, 2) == Streak(15, 0, 2)
    assert walk_streak([MET] * 14 + [MISS] * 3 + [MET], 7, 2) == Streak(1, 0, 0)
    assert walk_streak([MET] * 14 + [MISS], 7, 0) == Streak(0, 0, 0)  # freezes off
    # a frozen day keeps the count toward the next freeze: 7 goal days, not 7 in a row
    assert walk_streak([MET] * 7 + [MISS] + [MET] * 7, 7, 2) == Streak(14, 1, 1)


def test_a_missed_day_is_bridged_by_a_banked_freeze(tutor):
    review_days(tutor, [9, 8, 7, 6, 5, 4, 3, 1])  # 7 goal days, day 2 missed, yesterday met
    stats = compute_stats(tutor.db, T0)
    assert (stats.streak_days, stats.streak_freezes, stats.streak_frozen_days) == (8, 0, 1)
    assert not stats.goal_met_today  # today is still open: the streak runs to yesterday


def test_without_a_banked_freeze_a_missed_day_ends_the_streak(tutor):
    review_days(tutor, [8, 7, 6, 5, 4, 3, 1])  # only 6 goal days before the miss
    stats = compute_stats(tutor.db, T0)
    assert (stats.streak_days, stats.streak_freezes, stats.streak_frozen_days) == (1, 0, 0)
    tutor.schedule(freeze_every=3)  # a setting: 3 goal days earn one (two by the miss)
    stats = compute_stats(tutor.db, T0)
    assert (stats.streak_days, stats.streak_freezes, stats.streak_frozen_days) == (7, 1, 1)


def test_freezes_are_capped_and_two_misses_need_two(tutor):
    review_days(tutor, list(range(30, 2, -1)))  # 28 goal days: 4 earned, 2 banked
    assert compute_stats(tutor.db, T0 - timedelta(days=2)).streak_freezes == 2
    # days 2 and 1 missed: both bridged, none left
    stats = compute_stats(tutor.db, T0)
    assert (stats.streak_days, stats.streak_freezes, stats.streak_frozen_days) == (28, 0, 2)
    tutor.schedule(freeze_max=1)
    assert compute_stats(tutor.db, T0).streak_days == 0  # the second miss ends it
    tutor.schedule(freeze_max=0)  # freezes off: the first miss ends it (as before freezes)
    assert compute_stats(tutor.db, T0 - timedelta(days=1)).streak_days == 0


def test_today_not_yet_met_spends_no_freeze(tutor):
    review_days(tutor, [7, 6, 5, 4, 3, 2, 1])
    stats = compute_stats(tutor.db, T0)
    assert (stats.streak_days, stats.streak_freezes, stats.streak_frozen_days) == (7, 1, 0)
    late = T0.replace(hour=23, minute=59)
    assert compute_stats(tutor.db, late).streak_freezes == 1  # the day is not over yet
    tomorrow = T0 + timedelta(days=1)  # T0's day ended without a review: a freeze bridged it
    stats = compute_stats(tutor.db, tomorrow)
    assert (stats.streak_days, stats.streak_freezes, stats.streak_frozen_days) == (7, 0, 1)
    review_days(tutor, [0], now=tomorrow)  # meeting today's goal adds to the streak at once
    stats = compute_stats(tutor.db, tomorrow)
    assert (stats.streak_days, stats.streak_freezes, stats.goal_met_today) == (8, 0, True)


def test_an_undone_review_takes_its_day_back(tutor):
    review_days(tutor, [6, 5, 4, 3, 2, 1, 0])  # the 7th goal day is today
    assert compute_stats(tutor.db, T0).streak_freezes == 1
    tutor.undo()
    stats = compute_stats(tutor.db, T0)
    assert (stats.streak_days, stats.streak_freezes) == (6, 0)


def test_freeze_settings_are_checked(tutor):
    with pytest.raises(TutorError, match="every 1 to"):
        tutor.schedule(freeze_every=0)
    with pytest.raises(TutorError, match="at most 0 to"):
        tutor.schedule(freeze_max=-1)
    settings = tutor.schedule(freeze_every=5, freeze_max=3).to_dict()
    assert (settings["freeze_every"], settings["freeze_max"]) == (5, 3)
    assert (goal.freeze_every(tutor.db), goal.freeze_max(tutor.db)) == (5, 3)


def test_stats_command_shows_the_freezes():
    runner = CliRunner()
    assert runner.invoke(cli, ["stats", "--json"]).exit_code == 0  # the bundled course's cards
    db = store.connect()
    store.set_setting(db, "goal.daily_reviews", 1)
    card = db.execute("SELECT id FROM cards WHERE status = 'active' LIMIT 1").fetchone()[0]
    now = store.utcnow()
    for k in (9, 8, 7, 6, 5, 4, 3, 1):
        schedule.record_review(db, card, 3, now=now - timedelta(days=k), cram=True)
    db.conn.close()
    data = json.loads(runner.invoke(cli, ["stats", "--json"]).stdout)
    assert (data["streak_days"], data["streak_freezes"], data["streak_frozen_days"]) == (8, 0, 1)
    text = runner.invoke(cli, ["stats"]).stdout
    assert "Streak: 8 days" in text and "0 streak freezes banked (1 missed day bridged)" in text
    result = runner.invoke(cli, ["schedule", "--freeze-max", "0"])
    assert result.exit_code == 0 and "Streak freezes:    off" in result.stdout
    data = json.loads(runner.invoke(cli, ["stats", "--json"]).stdout)
    assert (data["streak_days"], data["streak_freezes"]) == (1, 0)


@pytest.mark.anyio
async def test_home_shows_the_banked_freezes(tmp_path, monkeypatch):
    from test_tui_support import make_app, ready, tui_env

    course, data = tui_env(tmp_path, monkeypatch)
    t = Tutor(course, data / "tutor.db")
    t.sync_cards()
    t.schedule(daily_goal=1)
    review_days(t, list(range(8, 0, -1)), now=store.utcnow())  # 8 goal days: one freeze
    t.close()
    app = make_app(course, data)
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await pilot.pause(0.2)
        counts = str(app.screen.query_one("#counts").render())
    assert "8-day streak ❄1 · 0/1" in counts
