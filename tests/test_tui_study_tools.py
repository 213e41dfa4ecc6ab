"""Pilot tests for the study tools in the TUI: undo in review, suspend and bury from a
card, the leech notice, the card browser (search, marks, history, edit), backups.

The app runs on the small course of test_tui_support with the real store and the
real card sync; the cards are synced once per module into a template database.
"""

from __future__ import annotations

import shutil
from datetime import timedelta
from pathlib import Path

import pytest
from test_tui_support import make_app, ready, screen_text, tui_env, wait_for, write_course
from textual.widgets import DataTable, Input

from tui.screens.backups import BackupsScreen
from tui.screens.cards import CardScreen, CardsScreen, EditCardScreen
from tui.screens.review import ReviewScreen
from tutor import store
from tutor.store.cards import get_card
from tutor.study import schedule

pytestmark = pytest.mark.anyio


@pytest.fixture(scope="module")
def template_db(tmp_path_factory) -> Path:
    from tutor.cards.sync import sync_cards
    from tutor.course import load_course

    root = tmp_path_factory.mktemp("tools-template")
    db = store.connect(root / "tutor.db")
    sync_cards(db, load_course(write_course(root / "course")))
    db.conn.close()
    return root / "tutor.db"


@pytest.fixture
def env(tmp_path, monkeypatch, template_db) -> tuple[Path, Path]:
    course, data = tui_env(tmp_path, monkeypatch)
    shutil.copy(template_db, data / "tutor.db")
    return course, data


def rows(data: Path, sql: str, args=()) -> list[tuple]:
    db = store.connect(data / "tutor.db", backup=False)
    try:
        return db.execute(sql, args).fetchall()
    finally:
        db.conn.close()


async def open_review(pilot) -> ReviewScreen:
    await ready(pilot)
    pilot.app.open("review")
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, ReviewScreen))
    screen = pilot.app.screen
    await wait_for(pilot, lambda: screen.state in ("question", "empty", "done"))
    return screen


async def answer(pilot, screen: ReviewScreen, text: str) -> None:
    screen.query_one("#answer", Input).value = text
    await pilot.press("enter")
    await wait_for(pilot, lambda: screen.state == "feedback", timeout=120)


async def test_ctrl_z_undoes_the_last_review_and_asks_that_card_again(env):
    course, data = env
    async with make_app(course, data).run_test(size=(100, 30)) as pilot:
        screen = await open_review(pilot)
        first = screen.session.current
        await answer(pilot, screen, first.answer)
        await pilot.press("1")
        await wait_for(pilot, lambda: screen.state == "question")
        assert screen.session.current.id != first.id
        await pilot.press("ctrl+z")  # the answer box has the focus: ctrl+z still works
        await wait_for(pilot, lambda: screen.session.current.id == first.id)
        assert "Undone: Again" in screen_text(pilot.app)
        assert "card 1 of" in screen_text(pilot.app)
        assert rows(data, "SELECT card_id, undone_at IS NOT NULL FROM reviews") == [(first.id, 1)]
        assert rows(data, "SELECT count(*) FROM review_undos") == [(1,)]
        assert get_card(store.connect(data / "tutor.db", backup=False), first.id).is_new


async def test_undo_after_a_restart_from_an_empty_review(env):
    course, data = env
    db = store.connect(data / "tutor.db", backup=False)
    store.set_setting(db, schedule.SETTING_NEW_PER_DAY, 0)  # nothing to review today
    card_id = rows(data, "SELECT id FROM cards ORDER BY id LIMIT 1")[0][0]
    schedule.record_review(db, card_id, 4, now=store.utcnow() - timedelta(minutes=5))
    db.conn.close()
    async with make_app(course, data).run_test(size=(100, 30)) as pilot:
        screen = await open_review(pilot)
        assert screen.state == "empty"
        await pilot.press("u")  # no answer box on screen: plain u works
        await wait_for(pilot, lambda: screen.state == "question")
        assert screen.session.current.id == card_id
    assert rows(data, "SELECT undone_at IS NOT NULL FROM reviews") == [(1,)]


async def test_suspend_and_bury_from_the_feedback_record_nothing_and_move_on(env):
    course, data = env
    async with make_app(course, data).run_test(size=(100, 30)) as pilot:
        screen = await open_review(pilot)
        first = screen.session.current
        await answer(pilot, screen, "no idea")
        await pilot.press("exclamation_mark")
        await wait_for(pilot, lambda: screen.state == "question")
        second = screen.session.current
        assert second.id != first.id and "Suspended" in screen_text(pilot.app)
        await answer(pilot, screen, "no idea")
        await pilot.press("minus")
        await wait_for(pilot, lambda: screen.session.current.id not in (first.id, second.id))
        await pilot.press("asterisk")  # not in feedback: the answer box takes it as text
    marks = dict(
        (r[0], r[1:])
        for r in rows(data, "SELECT id, suspended, buried_until IS NOT NULL FROM cards")
    )
    assert marks[first.id] == (1, 0) and marks[second.id] == (0, 1)
    assert rows(data, "SELECT count(*) FROM reviews") == [(0,)]


async def test_a_leech_is_announced_once_with_its_teaching_passage(env):
    course, data = env
    db = store.connect(data / "tutor.db", backup=False)
    store.set_setting(db, schedule.SETTING_LEECH_LAPSES, 1)
    store.set_setting(db, schedule.SETTING_NEW_PER_DAY, 0)
    card_id = "gen-cloze:alpha:alpha"
    then = store.utcnow() - timedelta(days=60)
    schedule.record_review(db, card_id, 3, now=then)
    schedule.record_review(db, card_id, 3, now=then + timedelta(minutes=10))  # Review, due
    db.conn.close()
    app = make_app(course, data)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_review(pilot)
        assert screen.session.current.id == card_id
        await answer(pilot, screen, "no idea")
        await pilot.press("1")
        await wait_for(pilot, lambda: screen.state in ("done", "question"))
        await pilot.pause()
        notices = [n.message for n in app._notifications]
        leech = [m for m in notices if m.startswith("Leech:")]
        assert len(leech) == 1 and "Alpha [bold]not bold[/]" in leech[0]  # literal, lesson ›
        assert "›" in leech[0]
    assert rows(data, "SELECT leech, suspended FROM cards WHERE id = ?", [card_id]) == [(1, 1)]


async def test_card_browser_searches_marks_opens_and_edits(env):
    course, data = env
    app = make_app(course, data)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await pilot.press("b")  # from home
        await wait_for(pilot, lambda: isinstance(app.screen, CardsScreen))
        screen = app.screen
        await wait_for(pilot, lambda: screen.page is not None)
        total = screen.page.total
        assert total == len(rows(data, "SELECT id FROM cards"))
        await pilot.press("slash")
        await pilot.press(*"beta")
        await wait_for(pilot, lambda: screen.page is not None and screen.page.total < total)
        assert screen.page.cards and all(c.lesson_id == "beta" for c in screen.page.cards)
        table = screen.query_one("#cards-table", DataTable)
        await pilot.press("enter")  # search box → the table
        assert table.has_focus
        card_id = screen.current_id()
        await pilot.press("asterisk")
        await wait_for(pilot, lambda: rows(data, "SELECT flagged FROM cards WHERE id = ?",
                                          [card_id]) == [(1,)])  # fmt: skip
        await pilot.press("f")  # filter: due (none yet) …
        await pilot.press("f", "f")  # … suspended, flagged
        await wait_for(pilot, lambda: screen.filter == "flagged" and screen.page.total == 1)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, CardScreen))
        assert "History (0 reviews)" in screen_text(app) and "flagged" in screen_text(app)
        await pilot.press("e")
        await wait_for(pilot, lambda: isinstance(app.screen, EditCardScreen))
        app.screen.query_one("#edit-question", Input).value = "What is [b]beta[/b], my way?"
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: isinstance(app.screen, CardScreen))
        await pilot.pause()
        assert "What is [b]beta[/b], my way?" in screen_text(app)  # literal, never markup
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, CardsScreen))
    assert rows(data, "SELECT question FROM card_edits WHERE card_id = ?", [card_id]) == [
        ("What is [b]beta[/b], my way?",)
    ]


async def test_restore_a_backup_from_the_palette_screen(env):
    course, data = env
    db = store.connect(data / "tutor.db", backup=False)
    card_id = rows(data, "SELECT id FROM cards ORDER BY id LIMIT 1")[0][0]
    schedule.record_review(db, card_id, 3, now=store.utcnow())
    db.conn.close()
    app = make_app(course, data)
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        app.tutor.backup()
        schedule.record_review(app.tutor.db, card_id, 1, now=store.utcnow())
        app.open("backups")
        await wait_for(pilot, lambda: isinstance(app.screen, BackupsScreen))
        await pilot.pause()
        await pilot.press("enter")
        assert "Press enter again" in screen_text(app)
        await pilot.press("enter")
        await wait_for(pilot, lambda: not isinstance(app.screen, BackupsScreen))
    assert rows(data, "SELECT rating FROM reviews") == [(3,)]


async def test_the_new_screens_and_actions_are_in_help_and_the_palette(env):
    from tui.app import PALETTE

    titles = {entry.title for entry in PALETTE}
    assert {"Browse cards", "Undo the last review", "Back up now", "Restore a backup"} <= titles
    course, data = env
    app = make_app(course, data)
    async with app.run_test(size=(120, 60)) as pilot:
        from tui.screens.help import HelpScreen

        await ready(pilot)
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen))
        shown = "\n".join(str(w.render()) for w in app.screen.query(".help-group, .help-rows"))
        assert "Card browser" in shown and "Undo the last review" in shown
        assert "Suspend the card, or unsuspend it" in shown and "Backups" in shown
