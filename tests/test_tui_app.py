"""Pilot tests for the app's flows: start, home, lesson reader, help, palette, quit.

They drive the real app on a small course in tmp_path with a real SQLite store;
the question-answering model is not loaded here (see test_tui_chat.py for that).
"""

from __future__ import annotations

import pytest
from test_tui_support import make_app, ready, screen_text, tui_env, wait_for
from textual.widgets import OptionList

from tui.screens.help import HelpScreen
from tui.screens.home import HomeScreen
from tui.screens.lesson import LessonScreen
from tutor import store
from tutor.store import progress

pytestmark = pytest.mark.anyio


async def test_start_shows_home_with_lessons_and_quits(tmp_path, monkeypatch):
    course, data = tui_env(tmp_path, monkeypatch)
    app = make_app(course, data)
    async with app.run_test(size=(80, 24)) as pilot:
        assert isinstance(app.screen, HomeScreen)
        await ready(pilot)
        lessons = app.screen.query_one("#lessons", OptionList)
        assert [lessons.get_option_at_index(i).id for i in range(lessons.option_count)] == [
            "alpha",
            "beta",
        ]
        assert app.model_state == "idle"  # nothing heavy was loaded
        await pilot.press("ctrl+q")
        await pilot.pause()
    assert app.return_code == 0


async def test_open_lesson_navigate_sections_and_continue(tmp_path, monkeypatch):
    course, data = tui_env(tmp_path, monkeypatch)
    app = make_app(course, data)
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        await pilot.press("enter")  # first lesson in the list
        await wait_for(pilot, lambda: isinstance(app.screen, LessonScreen))
        screen = app.screen
        await wait_for(pilot, lambda: screen.current == "what-is-alpha")
        await pilot.press("n")
        await wait_for(pilot, lambda: screen.current == "why-alpha-matters")
        await pilot.press("p")
        await wait_for(pilot, lambda: screen.current == "what-is-alpha")
        await pilot.press("n", "n")
        await wait_for(pilot, lambda: screen.current == "alpha-in-practice")
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, HomeScreen))
        await wait_for(pilot, lambda: app.summary and app.summary.place is not None)
        assert app.summary.place.section_id == "alpha-in-practice"
        await pilot.press("c")  # continue where I left off
        await wait_for(pilot, lambda: isinstance(app.screen, LessonScreen))
        await wait_for(pilot, lambda: app.screen.current == "alpha-in-practice")
    db = store.connect(data / "tutor.db")
    assert progress.last_place(db).section_id == "alpha-in-practice"


async def test_lesson_and_titles_render_markup_literally(tmp_path, monkeypatch):
    course, data = tui_env(tmp_path, monkeypatch)
    app = make_app(course, data)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        assert "[bold]not bold[/]" in screen_text(app)  # home: the lesson title
        app.open_lesson("alpha", "what-is-alpha")
        await wait_for(pilot, lambda: isinstance(app.screen, LessonScreen))
        await wait_for(pilot, lambda: app.screen.current == "what-is-alpha")
        await pilot.pause()
        text = screen_text(app)
        assert "Literal text: [bold]not bold[/] and" in text  # the section body
        assert "[link=x]not a link." in text


async def test_help_screen_lists_keys_of_each_screen(tmp_path, monkeypatch):
    course, data = tui_env(tmp_path, monkeypatch)
    app = make_app(course, data)
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen))
        text = " ".join(str(w.render()) for w in app.screen.query(".help-rows"))
        for words in (
            "Review",
            "Ask the tutor about this section",
            "Quiz me on this section",
            "Next §",
            "Start a new chat",
            "Show the lesson",
        ):
            assert words in text, words
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, HomeScreen))


async def test_command_palette_opens_a_section(tmp_path, monkeypatch):
    course, data = tui_env(tmp_path, monkeypatch)
    app = make_app(course, data)
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"beta in software")
        await pilot.pause(0.5)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, LessonScreen))
        assert app.screen.lesson.id == "beta"
        await wait_for(pilot, lambda: app.screen.current == "beta-in-software")


async def test_every_palette_entry_runs(tmp_path, monkeypatch):
    """Each palette action runs without error (missing screens only notify)."""
    from tui import app as app_module

    course, data = tui_env(tmp_path, monkeypatch)
    app = make_app(course, data)
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        for entry in app_module.PALETTE:
            if entry.action == "load_model":
                continue  # loading the model is the chat test's business
            await app.run_action(entry.action)
            await pilot.pause()
            app.action_go_home()
            await pilot.pause()
            assert isinstance(app.screen, HomeScreen), entry.title


async def test_unregistered_module_notifies_instead_of_crashing(tmp_path, monkeypatch):
    from tui import app as app_module

    monkeypatch.setitem(app_module.SCREENS_BY_NAME, "review", "tui.screens.nope:Nope")
    course, data = tui_env(tmp_path, monkeypatch)
    app = make_app(course, data)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await ready(pilot)
        await pilot.press("r")
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)
        assert any("review screen" in n.message for n in app._notifications)


async def test_theme_choice_is_saved(tmp_path, monkeypatch):
    course, data = tui_env(tmp_path, monkeypatch)
    app = make_app(course, data)
    async with app.run_test() as pilot:
        await ready(pilot)
        app.theme = "nord"
        await pilot.pause()
    assert store.get_setting(store.connect(data / "tutor.db"), "theme") == "nord"
    again = make_app(course, data)
    assert again.theme == "nord"


async def test_course_errors_are_a_warning_not_a_crash(tmp_path, monkeypatch):
    course, data = tui_env(tmp_path, monkeypatch)
    (course / "03-broken.md").write_text("no front matter [bold]here\n", encoding="utf-8")
    app = make_app(course, data)
    async with app.run_test(notifications=True) as pilot:
        await ready(pilot)
        assert len(app.course.lessons) == 2
        messages = [n for n in app._notifications if n.severity == "warning"]
        assert messages and "03-broken.md:1" in messages[0].message
        assert not messages[0].markup


async def test_chat_history_is_resumed_and_sessions_can_be_switched(tmp_path, monkeypatch):
    from tui.screens.chat import ChatScreen, TutorMessage, UserMessage
    from tui.screens.sessions import SessionsScreen
    from tutor.store import chat

    course, data = tui_env(tmp_path, monkeypatch)
    db = store.connect(data / "tutor.db")
    first = chat.new_session(db)
    chat.add_message(db, first.id, "user", "What is [bold]alpha[/] [link=x]?")
    chat.add_message(db, first.id, "tutor", "The first letter.", [], True)
    app = make_app(course, data)
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await pilot.press("a")
        await wait_for(pilot, lambda: isinstance(app.screen, ChatScreen))
        screen = app.screen
        await wait_for(pilot, lambda: len(screen.query(UserMessage)) == 1)
        assert screen.session_id == first.id
        assert len(screen.query(TutorMessage)) == 1
        assert "What is [bold]alpha[/] [link=x]?" in screen_text(app)  # never parsed as markup
        await pilot.press("ctrl+n")
        await wait_for(pilot, lambda: len(screen.query(UserMessage)) == 0)
        assert screen.session_id is None
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: isinstance(app.screen, SessionsScreen))
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.screen is screen)
        await wait_for(pilot, lambda: len(screen.query(UserMessage)) == 1)
        assert screen.session_id == first.id


async def test_missing_course_folder_is_a_message_not_a_crash(tmp_path, monkeypatch):
    _, data = tui_env(tmp_path, monkeypatch)
    app = make_app(tmp_path / "no-such-course", data)
    async with app.run_test(notifications=True) as pilot:
        await ready(pilot)
        assert app.data_state == "error"
        assert any(n.severity == "error" for n in app._notifications)
        assert "could not be loaded" in screen_text(app)
        await pilot.press("enter", "c", "r")  # nothing to open, nothing breaks
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)


async def test_cram_from_the_palette_opens_the_review_in_cram_mode(tmp_path, monkeypatch):
    from tui import app as app_module
    from tui.screens.review import ReviewScreen

    entry = next(e for e in app_module.PALETTE if e.title.startswith("Cram"))
    app = make_app(*tui_env(tmp_path, monkeypatch))
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await app.run_action(entry.action)
        await wait_for(pilot, lambda: getattr(app.screen, "session", None) is not None)
        assert isinstance(app.screen, ReviewScreen)
        assert app.screen.cram and app.screen.session.cram
        assert "Cram" in app.screen.title
