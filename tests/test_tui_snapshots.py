"""Snapshot tests of the main screens at 80x24 and 120x40 (pytest-textual-snapshot).

The app runs on the small course in test_tui_support with an empty store (the chat
snapshot gets a saved conversation first) and without the model, so every
picture is deterministic. Update with `pytest --snapshot-update` after a
deliberate change, and look at the SVGs before committing them.
"""

from __future__ import annotations

import pytest
from test_tui_support import make_app, ready, tui_env, wait_for
from textual.widgets import Input

from tui.screens.chat import ChatScreen, TutorMessage
from tui.screens.help import HelpScreen
from tui.screens.lesson import LessonScreen
from tutor import store
from tutor.store import chat

SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((120, 40), id="120x40")]


@pytest.mark.parametrize("size", SIZES)
def test_home(snap_compare, tmp_path, monkeypatch, size):
    app = make_app(*tui_env(tmp_path, monkeypatch))
    assert snap_compare(app, terminal_size=size, run_before=ready)


@pytest.mark.parametrize("size", SIZES)
def test_lesson_reader(snap_compare, tmp_path, monkeypatch, size):
    app = make_app(*tui_env(tmp_path, monkeypatch))

    async def open_lesson(pilot):
        await ready(pilot)
        app.open_lesson("beta", "beta-in-software")
        await wait_for(pilot, lambda: isinstance(app.screen, LessonScreen))
        await wait_for(pilot, lambda: app.screen.current == "beta-in-software")
        await pilot.pause()

    assert snap_compare(app, terminal_size=size, run_before=open_lesson)


@pytest.mark.parametrize("size", SIZES)
def test_help(snap_compare, tmp_path, monkeypatch, size):
    from tui.screens import help as help_module

    # only this module's screens: the picture must not change when another
    # screen (review, stats, ...) is registered; test_tui_app checks those appear
    mine = ("Everywhere", "Home", "Lesson reader", "Chat", "An answer in the chat (tab to it)")
    monkeypatch.setattr(help_module, "GROUPS", [g for g in help_module.GROUPS if g[0] in mine])
    app = make_app(*tui_env(tmp_path, monkeypatch))

    async def open_help(pilot):
        await ready(pilot)
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen))
        await pilot.pause()

    assert snap_compare(app, terminal_size=size, run_before=open_help)


@pytest.mark.parametrize("size", SIZES)
def test_chat_with_saved_conversation(snap_compare, tmp_path, monkeypatch, size):
    course, data = tui_env(tmp_path, monkeypatch)
    db = store.connect(data / "tutor.db")
    session = chat.new_session(db)
    chat.add_message(db, session.id, "user", "What is [bold]beta[/]?")
    source = {"lesson_id": "beta", "lesson": "Beta and the second place"}
    chat.add_message(
        db,
        session.id,
        "tutor",
        "Beta is the second letter of the Greek alphabet.",
        [{**source, "section_id": "what-is-beta", "section": "What is beta?"}],
        True,
    )
    chat.add_message(db, session.id, "user", "Who won the 1998 world cup?")
    chat.add_message(
        db,
        session.id,
        "tutor",
        "That isn't covered in the course. The nearest lessons are: Beta and the second place.",
        [{**source, "section_id": "beta-in-software", "section": "Beta in software"}],
        False,
    )
    db.conn.close()
    app = make_app(course, data)

    async def open_chat(pilot):
        await ready(pilot)
        await pilot.press("a")
        await wait_for(pilot, lambda: isinstance(app.screen, ChatScreen))
        await wait_for(pilot, lambda: len(app.screen.query(TutorMessage)) == 2)
        app.screen.query_one(Input).cursor_blink = False  # a blinking cursor is not a change
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()

    assert snap_compare(app, terminal_size=size, run_before=open_chat)
