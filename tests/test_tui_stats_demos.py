"""Pilot and snapshot tests for the stats and demos screens.

Stats run on the small course of test_tui_support with reviews recorded in the real
store at fixed times (and a fixed clock for the screen, in UTC), so the plots and
the heatmap are the same on every run. The demo test runs the real `mlp` demo in
its quick size on the CPU (or the GPU when there is one).
"""

from __future__ import annotations

import random
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from test_tui_support import make_app, ready, screen_text, tui_env, wait_for, write_course
from textual.widgets import ProgressBar
from textual_plotext import PlotextPlot

from tui.screens.demos import DemosScreen
from tui.screens.stats import StatsScreen
from tutor import store
from tutor.study import schedule

pytestmark = pytest.mark.anyio

NOW = datetime(2026, 3, 18, 15, 30, tzinfo=UTC)
SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((120, 40), id="120x40")]


@pytest.fixture(scope="module")
def template_db(tmp_path_factory) -> Path:
    """The small course's cards and three weeks of reviews, ending at NOW."""
    from tutor.cards.sync import sync_cards
    from tutor.course import load_course

    root = tmp_path_factory.mktemp("stats-template")
    course = load_course(write_course(root / "course"))
    db = store.connect(root / "tutor.db")
    sync_cards(db, course, now=NOW - timedelta(days=30))
    store.set_setting(db, "goal.daily_reviews", 1)  # the streak: days with a review
    ids = sorted(r[0] for r in db.execute("SELECT id FROM cards"))
    random.seed(7)  # fsrs fuzzes intervals with `random`: the same forecast every run
    for k in range(24):
        when = NOW - timedelta(days=21) + timedelta(days=k * 0.9)
        rating = 1 if k % 5 == 0 else 3
        schedule.record_review(db, ids[k % len(ids)], rating, now=when, duration_ms=4000 + k * 100)
    db.conn.close()
    return root / "tutor.db"


@pytest.fixture
def env(tmp_path, monkeypatch, template_db) -> tuple[Path, Path]:
    course, data = tui_env(tmp_path, monkeypatch)  # the learner's day: UTC (conftest)
    shutil.copy(template_db, data / "tutor.db")
    return course, data


async def open_stats(pilot) -> StatsScreen:
    await ready(pilot)
    pilot.app.push_screen(StatsScreen(clock=lambda: NOW))
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, StatsScreen))
    screen = pilot.app.screen
    await wait_for(pilot, lambda: screen.stats is not None)
    await pilot.pause(0.2)
    screen.show_plots()  # drawn again at their final size
    await pilot.pause(0.2)
    return screen


async def test_open_stats_from_home(env):
    course, data = env
    app = make_app(course, data)
    async with app.run_test(size=(100, 40)) as pilot:
        await ready(pilot)
        await pilot.press("s")
        await wait_for(pilot, lambda: isinstance(app.screen, StatsScreen))
        screen = app.screen
        await wait_for(pilot, lambda: screen.stats is not None)
        await pilot.pause()
        assert screen.stats.reviews_total == 24
        text = screen_text(app)
        for part in ("Today", "Activity", "Reviews per day", "Due forecast", "Mastery by lesson"):
            assert part in text
        # course text shows literally, never as markup
        assert "Alpha [bold]not bold[/]" in text
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, StatsScreen))


async def test_stats_numbers_at_a_fixed_time(env):
    course, data = env
    app = make_app(course, data)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_stats(pilot)
        s = screen.stats
        assert s.reviews_total == 24
        assert sum(n for _, n in s.reviews_per_day) == 24
        assert sum(n for _, n in screen.history) == 24
        assert [ls.lesson_id for ls in s.lessons] == ["alpha", "beta"]
        text = screen_text(app)
        assert "24 reviews in all" in text
        assert "retention" in text
        plot = screen.query_one("#reviews-plot", PlotextPlot)
        assert plot.size.height > 5


@pytest.mark.parametrize("size", SIZES)
def test_stats_snapshot(snap_compare, env, size):
    course, data = env
    app = make_app(course, data)
    assert snap_compare(app, terminal_size=size, run_before=open_stats)


@pytest.mark.parametrize("size", SIZES)
def test_demos_list_snapshot(snap_compare, tmp_path, monkeypatch, size):
    app = make_app(*tui_env(tmp_path, monkeypatch))

    async def open_demos(pilot):
        await ready(pilot)
        pilot.app.open("demos")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, DemosScreen))
        await pilot.pause()

    assert snap_compare(app, terminal_size=size, run_before=open_demos)


def test_each_demo_belongs_to_a_lesson_of_the_bundled_course():
    from tui.screens.demos import demo_for_lesson
    from tutor import paths
    from tutor.course import load_course
    from tutor.demos import DEMOS

    course = load_course(paths.content_dir())
    for demo in DEMOS.values():
        assert course.lesson(demo.lesson_id) is not None, demo.name
        assert demo_for_lesson(demo.lesson_id) is demo
    assert demo_for_lesson("no-such-lesson") is None


async def test_demo_runs_live_then_asks_questions(tmp_path, monkeypatch):
    app = make_app(*tui_env(tmp_path, monkeypatch))
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        app.open("demos", quick=True)
        await wait_for(pilot, lambda: isinstance(app.screen, DemosScreen))
        screen = app.screen
        await pilot.press("enter")  # the first demo: mlp
        await wait_for(pilot, lambda: screen.demo is not None)  # may finish at once: no "running"
        assert screen.demo.name == "mlp"
        await wait_for(pilot, lambda: screen.state == "questions", timeout=180)
        # the plots were redrawn while it trained, not only at the start and the end
        assert any(0 < step < total for step, total in screen.drawn), screen.drawn
        plot = screen.query_one("#loss-plot", PlotextPlot)
        assert plot.display
        assert 2 <= len(screen.questions) <= 3
        await wait_for(pilot, lambda: screen.questions[0].prompt[:30] in screen_text(app))
        for q in screen.questions:
            await pilot.press(str(q.choices.index(q.answer) + 1))  # the right choice
            await wait_for(pilot, lambda: screen.state == "answered")
            await wait_for(pilot, lambda: "Correct" in screen_text(app))
            await pilot.press("enter")
        await wait_for(pilot, lambda: screen.state == "finished")
        n = len(screen.questions)
        await wait_for(pilot, lambda: f"{n} of {n} right" in screen_text(app))


async def test_demo_stop_key_cancels_the_run(tmp_path, monkeypatch):
    app = make_app(*tui_env(tmp_path, monkeypatch))
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        # opened for one demo (as the lesson reader does): it starts at once, full size;
        # the RNN demo takes long enough to be stopped on any machine
        app.open("demos", demo="rnn")
        await wait_for(pilot, lambda: isinstance(app.screen, DemosScreen))
        screen = app.screen
        await wait_for(pilot, lambda: screen.demo is not None)
        assert screen.demo.name == "rnn"
        await wait_for(
            pilot, lambda: any(0 < s < t for s, t in screen.drawn), timeout=180
        )  # it is training
        await pilot.press("s")
        await wait_for(pilot, lambda: screen.state == "finished", timeout=60)
        progress = screen.query_one("#run-progress", ProgressBar)
        assert progress.progress < progress.total  # it stopped before the end
        assert not screen.questions
        await wait_for(pilot, lambda: "stopped" in screen_text(app))
        await pilot.press("escape")  # back to where it was opened from
        await wait_for(pilot, lambda: not isinstance(app.screen, DemosScreen))


async def test_run_the_demo_from_a_lesson_without_one_lists_the_demos(tmp_path, monkeypatch):
    from tui.screens.lesson import LessonScreen

    app = make_app(*tui_env(tmp_path, monkeypatch))
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        app.open_lesson("alpha")
        await wait_for(pilot, lambda: isinstance(app.screen, LessonScreen))
        await pilot.press("d")
        await wait_for(pilot, lambda: isinstance(app.screen, DemosScreen))
        screen = app.screen
        await pilot.pause()
        assert screen.state == "list" and screen.demo is None
        assert "Backpropagation" in screen_text(app)
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, LessonScreen))
