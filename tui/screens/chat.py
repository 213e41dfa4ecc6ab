"""Chat with the tutor: questions in plain words, answers with their sources.

An answer streams in, then lists the passages it came from as links
("Lesson › Section") that open the reader at that place. A question the course
does not cover gets an honest "not in the course" and the nearest lessons.
Every question and answer is saved in the store (`tutor.chat`), one session at a
time, so a conversation can be scrolled back and resumed later.
"""

from __future__ import annotations

import asyncio
from typing import Any

from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Footer, Header, Input, Markdown, Static

from tui.widgets import Keys, ModelStatus, SourceLink
from tutor.answer import follow_up
from tutor.errors import TutorError

STREAM_WORDS = 3  # words per streamed chunk


def answer_record(answer: Any) -> dict[str, Any]:
    """The parts of a `tutor.answer.Answer` the chat shows and stores.

    Several passages of one section cite as one source: the learner opens sections.
    """
    cited = answer.sources if answer.in_scope else answer.suggestions
    sources, seen = [], set()
    for s in cited:
        if (s.lesson_id, s.section_id) in seen:
            continue
        seen.add((s.lesson_id, s.section_id))
        sources.append(
            {
                "lesson_id": s.lesson_id,
                "lesson": s.lesson,
                "section_id": s.section_id,
                "section": s.section,
                "line": s.line,
                "score": s.score,
            }
        )
    return {
        "text": answer.answer,
        "in_scope": bool(answer.in_scope),
        "sources": sources,
        "read_as": answer.read_as,  # shown, not stored: the question as it was searched
    }


class UserMessage(Static):
    def __init__(self, text: str) -> None:
        super().__init__(Content(text), classes="message user")
        self.border_title = "You"


class TutorMessage(Vertical, can_focus=True):
    """One answer: status while waiting, then the text, its sources and follow-ups."""

    BINDINGS = [
        Binding("l", "show_lesson", "Show the lesson"),
        Binding("z", "quiz", "Quiz me on this"),
    ]

    def __init__(self) -> None:
        super().__init__(classes="message tutor")
        self.border_title = "Tutor"
        self.record: dict[str, Any] | None = None

    def compose(self) -> ComposeResult:
        yield Static(Content("…"), classes="status")
        yield Markdown(classes="body", open_links=False)
        yield Vertical(classes="sources")

    def set_status(self, text: str) -> None:
        if self.is_attached:  # a message removed meanwhile has nobody to tell
            self.query_one(".status", Static).update(Content.styled(text, "italic $text-muted"))

    def fail(self, text: str) -> None:
        if not self.is_attached:
            return
        self.add_class("-error")
        self.border_title = "Tutor"
        self.query_one(".status", Static).update(Content.styled(text, "$text-error"))

    async def show(self, record: dict[str, Any], delay: float = 0.0) -> None:
        """Show an answer; with a delay, stream it in a few words at a time."""
        self.record = record
        if not self.is_attached:
            return
        status = self.query_one(".status", Static)
        if record.get("read_as"):
            status.update(Content.styled(f"read as: {record['read_as']}", "italic $text-muted"))
        else:
            status.display = False
        if not record["in_scope"]:
            self.add_class("-out-of-scope")
            self.border_title = "Not in the course"
        body = self.query_one(".body", Markdown)
        text = record["text"] or "(no answer)"
        if delay > 0:
            stream = Markdown.get_stream(body)
            try:
                words = text.split(" ")
                for i in range(0, len(words), STREAM_WORDS):
                    await stream.write(
                        ("" if i == 0 else " ") + " ".join(words[i : i + STREAM_WORDS])
                    )
                    await asyncio.sleep(delay)
            finally:
                await stream.stop()
        else:
            await body.update(text)
        await self._show_sources(record)

    async def _show_sources(self, record: dict[str, Any]) -> None:
        box = self.query_one(".sources", Vertical)
        sources = record["sources"]
        if not sources:
            return
        heading = "Sources" if record["in_scope"] else "Lessons that come closest"
        widgets: list[Static] = [Static(Content.styled(heading, "bold $text-muted"))]
        for n, s in enumerate(sources, start=1):
            widgets.append(
                SourceLink(
                    n, s["lesson_id"], s["lesson"], s.get("section_id"), s.get("section", "")
                )
            )
        widgets.append(
            Keys(("l ^o", "show the lesson"), ("z ^t", "quiz me on this"), classes="followups")
        )
        await box.mount_all(widgets)

    @property
    def top_source(self) -> dict[str, Any] | None:
        if self.record and self.record["sources"]:
            return self.record["sources"][0]
        return None

    def action_show_lesson(self) -> None:
        self.screen.show_lesson(self)

    def action_quiz(self) -> None:
        self.screen.quiz_on(self)


class ChatScreen(Screen):
    CSS_PATH = "chat.tcss"
    AUTO_FOCUS = "#question"

    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back"),
        Binding("ctrl+o", "show_lesson", "Lesson", tooltip="Show the lesson of the last answer"),
        Binding("ctrl+t", "quiz", "Quiz", tooltip="Quiz me on the last answer's section"),
        Binding("ctrl+n", "new_session", "New", tooltip="Start a new chat"),
        Binding("ctrl+r", "sessions", "History", tooltip="Resume an earlier chat"),
        Binding("pageup", "scroll_log(-1)", "Scroll up", show=False),
        Binding("pagedown", "scroll_log(1)", "Scroll down", show=False),
    ]

    COMMANDS_HERE = [
        ("Show the lesson", "Open the lesson the last answer came from", "show_lesson"),
        ("Quiz me on this", "Questions on the section of the last answer", "quiz"),
    ]

    def __init__(
        self, question: str = "", session_id: int | None = None, new_session: bool = False
    ) -> None:
        super().__init__()
        self.title = "Ask the tutor"
        self._prefill = question
        self.session_id = session_id
        self._start_new = new_session
        self._asked = False  # set by the first question typed on this screen
        self._topic: str | None = None  # the last question answered: follow-ups lean on it
        self._ask_lock = asyncio.Lock()

    def compose(self) -> ComposeResult:
        yield Header()
        # not a tab stop itself: tab from the question goes straight to an answer
        # (pageup / pagedown scroll the log)
        with VerticalScroll(id="log", can_focus=False):
            yield Static(
                Content.assemble(
                    "Ask about anything in the course, in plain words. Answers quote the "
                    "lessons and cite them; ",
                    ("tab", "bold $accent"),
                    " to an answer, ",
                    ("enter", "bold $accent"),
                    " on a source opens it.",
                ),
                id="intro",
            )
        with Vertical(id="ask-bar"):
            yield Input(placeholder="Ask a question…  (enter to send)", id="question", compact=True)
            yield ModelStatus(id="model-status")
        yield Footer()

    def on_mount(self) -> None:
        self.prefill(self._prefill)
        self._load_history()

    # ------------------------------------------------------------- history

    @work(group="history", exclusive=True)
    async def _load_history(self) -> None:
        await self.app.data_ready.wait()
        db = self.app.db
        if db is None:
            return
        if self._start_new or self._asked:
            # a question typed before the history loaded starts a chat of its own,
            # rather than the old messages replacing it on screen
            self.session_id = None if self._start_new else self.session_id
            return
        if self.session_id is None:
            latest = self.app.tutor.chats.latest()
            self.session_id = latest.id if latest else None
        await self._show_session()

    async def _show_session(self) -> None:
        log = self.query_one("#log", VerticalScroll)
        await log.query(".message").remove()
        self._topic = None
        if self.session_id is None:
            self.sub_title = "new chat"
            return
        chats = self.app.tutor.chats
        records = chats.messages(self.session_id)
        session = chats.session(self.session_id)
        self.sub_title = session.title if session else ""
        for message in records:
            if message.role == "user":
                self._topic = message.text  # a resumed chat's follow-ups lean on its last question
                await log.mount(UserMessage(message.text))
            else:
                widget = TutorMessage()
                await log.mount(widget)
                await widget.show(
                    {"text": message.text, "in_scope": message.in_scope, "sources": message.sources}
                )
        log.scroll_end(animate=False)
        log.anchor()

    def new_session(self) -> None:
        self.session_id = None
        self._start_new = True
        self.run_worker(self._show_session(), group="history", exclusive=True)

    def action_new_session(self) -> None:
        self.new_session()
        self.query_one("#question", Input).focus()

    def action_sessions(self) -> None:
        from tui.screens.sessions import SessionsScreen

        if self.app.db is None:
            self.notify("Still opening your data, one moment…")
            return

        def resume(session_id: int | None) -> None:
            if session_id is not None:
                self.session_id = session_id
                self.run_worker(self._show_session(), group="history", exclusive=True)
                self.query_one("#question", Input).focus()

        self.app.push_screen(SessionsScreen(), resume)

    def on_key(self, event: events.Key) -> None:
        """A key typed before the question box has focus goes into it.

        Right after `a` opens this screen, nothing has focus for a moment (the
        screen is still mounting), and the first letters of a question typed at
        once used to be dropped: the whole question, when pasted.
        """
        box = self.query_one("#question", Input)
        if event.is_printable and event.character and self.focused in (None, box):
            event.stop()
            event.prevent_default()
            box.focus()
            box.insert_text_at_cursor(event.character)

    def prefill(self, question: str) -> None:
        box = self.query_one("#question", Input)
        if question:
            box.value = question
            box.cursor_position = len(question)
        box.focus()

    def action_scroll_log(self, direction: int) -> None:
        log = self.query_one("#log", VerticalScroll)
        if direction < 0:
            log.scroll_page_up()
        else:
            log.scroll_page_down()

    # ---------------------------------------------------------------- asking

    @on(Input.Submitted, "#question")
    async def submitted(self, event: Input.Submitted) -> None:
        question = " ".join(event.value.split())
        if not question:
            self.notify("Type a question first.", severity="warning")
            return
        event.input.value = ""
        self._asked = True
        log = self.query_one("#log", VerticalScroll)
        answer_widget = TutorMessage()
        await log.mount_all([UserMessage(question), answer_widget])
        log.scroll_end(animate=False)
        log.anchor()
        self.ask(question, answer_widget)

    @work(group="ask")
    async def ask(self, question: str, widget: TutorMessage) -> None:
        async with self._ask_lock:
            app = self.app
            await app.data_ready.wait()
            self._save("user", question)
            if not app.tutor.model_loaded:
                widget.set_status(
                    "waiting for the model to load… (the first question takes a few seconds)"
                )
            try:
                answerer = await app.get_answerer()
                widget.set_status("searching the course…")
                answer = await asyncio.to_thread(answerer.ask, question, previous=self._topic)
            except TutorError as exc:
                widget.fail(str(exc))
                return
            if answer.in_scope and follow_up(question, self._topic) == question:
                self._topic = answer.read_as or question  # a follow-up keeps the topic it leans on
            record = answer_record(answer)
            self._save("tutor", record["text"], record["sources"], record["in_scope"])
            await widget.show(record, delay=app.stream_delay)

    def _save(self, role: str, text: str, sources=None, in_scope: bool = True) -> None:
        db = self.app.db
        if db is None or self.app.tutor.read_only:  # a read-only data folder: shown, not kept
            return
        chats = self.app.tutor.chats
        if self.session_id is None:
            self.session_id = chats.new().id
            self._start_new = False
        chats.add(self.session_id, role, text, sources, in_scope)
        if role == "user":
            session = chats.session(self.session_id)
            if session:
                self.sub_title = session.title

    # ------------------------------------------------------------- follow-ups

    def _last_answer(self) -> TutorMessage | None:
        answers = [w for w in self.query(TutorMessage) if w.record and w.record["sources"]]
        return answers[-1] if answers else None

    def show_lesson(self, widget: TutorMessage | None) -> None:
        source = widget.top_source if widget else None
        if source is None:
            self.notify("No answer with a source yet.")
            return
        self.app.open_lesson(source["lesson_id"], source.get("section_id"))

    def quiz_on(self, widget: TutorMessage | None) -> None:
        source = widget.top_source if widget else None
        if source is None:
            self.notify("No answer with a source yet.")
            return
        self.app.open("quiz", lesson_id=source["lesson_id"], section_id=source.get("section_id"))

    def action_show_lesson(self) -> None:
        self.show_lesson(self._last_answer())

    def action_quiz(self) -> None:
        self.quiz_on(self._last_answer())

    def on_source_link_open(self, event: SourceLink.Open) -> None:
        self.app.open_lesson(event.lesson_id, event.section_id)
