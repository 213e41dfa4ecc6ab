"""The chat flow with the real Answerer: the real model, the real index, the real store.

Ask a question, see the answer with cited sources, open the lesson a source
points to, get an honest "not in the course", and find the conversation again
in a new app. Slow (it loads sentence-transformers), so marked `slow`.
"""

from __future__ import annotations

import pytest
from test_tui_support import make_app, ready, screen_text, wait_for
from textual.widgets import Input

from tui.screens.chat import ChatScreen, TutorMessage, UserMessage
from tui.screens.lesson import LessonScreen
from tui.screens.sessions import SessionsScreen
from tui.widgets import SourceLink
from tutor import store
from tutor.store import chat

pytestmark = [pytest.mark.anyio, pytest.mark.slow]

MODEL_TIMEOUT = 900  # a stale bundled index is rebuilt on first load


async def ask(pilot, question: str) -> TutorMessage:
    screen = pilot.app.screen
    assert isinstance(screen, ChatScreen)
    box = screen.query_one("#question", Input)
    box.value = question
    box.focus()
    await pilot.press("enter")
    await wait_for(pilot, lambda: len(screen.query(TutorMessage)) > 0)
    widget = list(screen.query(TutorMessage))[-1]
    await wait_for(
        pilot,
        lambda: widget.record is not None or widget.has_class("-error"),
        timeout=MODEL_TIMEOUT,
    )
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    return widget


async def test_ask_see_sources_open_lesson_and_resume(tmp_path, monkeypatch):
    data = tmp_path / "home"
    monkeypatch.setenv("TUTOR_HOME", str(data))
    app = make_app(None, data, stream_delay=0.001)  # the bundled course and its index
    async with app.run_test(size=(100, 40)) as pilot:
        await ready(pilot)
        await pilot.press("a")
        await wait_for(pilot, lambda: isinstance(app.screen, ChatScreen))
        chat_screen = app.screen

        answer = await ask(pilot, "What is a large model?")
        assert not answer.has_class("-error"), answer.query_one(".status").render()
        assert answer.record["in_scope"] is True
        assert answer.record["text"]
        links = list(answer.query(SourceLink))
        assert links, "an in-scope answer cites its sources"
        assert app.course.lesson(links[0].lesson_id) is not None
        assert " › " in str(links[0].render())
        assert app.model_state == "ready"

        # the first source opens the lesson at that section
        top = answer.top_source
        await pilot.press("ctrl+o")
        await wait_for(pilot, lambda: isinstance(app.screen, LessonScreen))
        assert app.screen.lesson.id == top["lesson_id"]
        if app.screen.lesson.section(top["section_id"]):
            await wait_for(pilot, lambda: app.screen.current == top["section_id"])
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is chat_screen)

        # a follow-up takes the last question's topic, and says how it was read
        more = await ask(pilot, "give an example")
        assert more.record["in_scope"] is True
        assert more.record["read_as"].startswith("What is a large model")
        assert "read as: What is a large model" in str(more.query_one(".status").render())

        outside = await ask(pilot, "How do I bake sourdough bread at home?")
        assert outside.record is not None, outside.query_one(".status").render()
        assert outside.record["in_scope"] is False, outside.record
        assert outside.has_class("-out-of-scope")
        assert "not covered" in outside.record["text"] or "isn't" in outside.record["text"]

        # markup in a question is shown as typed, never interpreted
        typed = "Is [bold]dropout[/] a [link=x]regularizer?"
        await ask(pilot, typed)
        assert any(str(w.render()) == typed for w in chat_screen.query(UserMessage))
        assert typed in screen_text(app)

    db = store.connect(data / "tutor.db")
    session = chat.latest_session(db)
    saved = chat.messages(db, session.id)
    assert [m.role for m in saved] == ["user", "tutor"] * 4
    assert saved[1].sources and saved[1].in_scope
    assert saved[3].in_scope  # the follow-up
    assert not saved[5].in_scope

    # a new app resumes the conversation: history is kept per session
    again = make_app(None, data)
    async with again.run_test(size=(100, 40)) as pilot:
        await ready(pilot)
        again.open_chat()
        await wait_for(pilot, lambda: isinstance(again.screen, ChatScreen))
        screen = again.screen
        await wait_for(pilot, lambda: len(screen.query(UserMessage)) == 4)
        assert screen.session_id == session.id
        restored = list(screen.query(TutorMessage))[0]
        assert restored.query(SourceLink)
        # start a new chat, then pick the old one from the history list
        await pilot.press("ctrl+n")
        await wait_for(pilot, lambda: len(screen.query(UserMessage)) == 0)
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: isinstance(again.screen, SessionsScreen))
        await pilot.press("enter")
        await wait_for(pilot, lambda: len(screen.query(UserMessage)) == 4)


async def test_a_question_asked_before_the_course_has_loaded_is_answered(tmp_path, monkeypatch):
    """Regression: a question typed in the first ~1.5 s lost its answer widget when the
    chat history arrived (NoMatches '.status' on TutorMessage) and the app crashed."""
    data = tmp_path / "home"
    monkeypatch.setenv("TUTOR_HOME", str(data))
    earlier = store.connect(data / "tutor.db")
    old = chat.new_session(earlier)
    chat.add_message(earlier, old.id, "user", "an old question")
    earlier.conn.close()
    app = make_app(None, data, stream_delay=0.0)
    async with app.run_test(size=(100, 40)) as pilot:
        app.open_chat("what does dropout do?")  # before data_ready: no waiting here
        await wait_for(pilot, lambda: isinstance(app.screen, ChatScreen))
        assert not app.data_ready.is_set(), "the question must race the course loading"
        await pilot.press("enter")
        screen = app.screen
        await wait_for(pilot, lambda: len(screen.query(TutorMessage)) == 1)
        widget = screen.query_one(TutorMessage)
        await wait_for(pilot, lambda: widget.record is not None, timeout=MODEL_TIMEOUT)
        assert widget.record["in_scope"] and widget.is_attached
        assert "an old question" not in screen_text(app)  # a chat of its own
        assert app.is_running
