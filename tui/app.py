"""The Textual app: the shell around one `tutor.services.Tutor` (course, store, model).

Start-up is built around one rule: paint first, load later. Importing this module
pulls in Textual and nothing heavy. The course (YAML parsing), the store and the
card sync run in a worker started after the first screen is on the terminal, so
the learner can move around at once; the model (the ONNX encoder and the
indexes, about half a second) loads in another worker. ONNX Runtime releases the
GIL while it computes, so the model lives in this process without stalling the
UI (bench/bench_tui.py measures it); demos, which run torch, train in a child
process (`tutor.demos.process`).

Screens live in their own modules under `tui/screens/` and are registered in one
place, `SCREENS_BY_NAME` below: a name maps to "module:Class", imported only when
the screen is first opened. Each action the learner can take is listed once in
`PALETTE`, which feeds the command palette (ctrl+p) and the help screen.
"""

from __future__ import annotations

import asyncio
import importlib
import os
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.reactive import reactive
from textual.screen import Screen

from tui.commands import LessonsProvider
from tui.workers import thread_work, wait_idle

if TYPE_CHECKING:
    import sqlite_utils

    from tui.summary import HomeSummary
    from tutor.course import Course
    from tutor.services import Tutor

# The screen registry: name -> "module:Class". A screen is constructed with the
# keyword arguments given to `TutorApp.open(name, **kwargs)`. Add a line here to
# add a screen; if its module is not there yet, opening it shows a notification.
SCREENS_BY_NAME: dict[str, str] = {
    "home": "tui.screens.home:HomeScreen",
    "lesson": "tui.screens.lesson:LessonScreen",  # lesson_id, section_id=None
    "chat": "tui.screens.chat:ChatScreen",  # question="", session_id=None
    "sessions": "tui.screens.sessions:SessionsScreen",  # modal, returns a session id
    "help": "tui.screens.help:HelpScreen",
    "review": "tui.screens.review:ReviewScreen",  # the daily review
    "quiz": "tui.screens.quiz:QuizScreen",  # lesson_id=None, section_id=None
    "stats": "tui.screens.stats:StatsScreen",
    "demos": "tui.screens.demos:DemosScreen",
    "glossary": "tui.screens.glossary:GlossaryScreen",  # term=""
    "cards": "tui.screens.cards:CardsScreen",  # search="", filter="all"
    "backups": "tui.screens.backups:BackupsScreen",  # modal: pick a backup to restore
}


# Screens that cannot be built before the course and the store are loaded; the
# others (chat, help) open at once and wait for what they need themselves.
NEEDS_DATA = {"lesson", "review", "quiz", "stats", "sessions", "glossary", "cards", "backups"}
# Screens that show cards wait for the first card sync too: on a fresh data dir,
# `r` pressed at once said "no review cards yet", a second before there were.
NEEDS_CARDS = {"review", "quiz"}


@dataclass(frozen=True)
class PaletteEntry:
    """One action, as the command palette and the help screen show it."""

    title: str
    help: str
    action: str  # a Textual action string, run in the app's namespace


PALETTE: list[PaletteEntry] = [
    PaletteEntry("Home", "Go back to the home screen", "go_home"),
    PaletteEntry("Start the daily review", "Review the cards due today", "open('review')"),
    PaletteEntry("Quiz me", "A quiz across the course", "open('quiz')"),
    PaletteEntry(
        "Cram: review every card without rescheduling",
        "Go over every card; the schedule stays as it is",
        "cram",
    ),
    PaletteEntry("Continue where I left off", "Open the last section you read", "continue"),
    PaletteEntry("Ask the tutor", "Open the chat and ask about the course", "open('chat')"),
    PaletteEntry("New chat", "Start a fresh chat session", "new_chat"),
    PaletteEntry("Resume a chat", "Pick an earlier chat session to continue", "resume_chat"),
    PaletteEntry("Stats", "Reviews, retention and forecast", "open('stats')"),
    PaletteEntry("Demos", "Run small live demos of the models in the course", "open('demos')"),
    PaletteEntry("Glossary", "Every key term with its definition and lesson", "open('glossary')"),
    PaletteEntry("Keys", "Show the help screen with every key", "help"),
    PaletteEntry("Load the model now", "Load the question-answering model", "load_model"),
    PaletteEntry(
        "Browse cards", "Search, open, suspend, bury, flag and edit cards", "open('cards')"
    ),
    PaletteEntry("Undo the last review", "Take back today's latest review", "undo"),
    PaletteEntry("Back up now", "Back up your data (also done daily by itself)", "backup"),
    PaletteEntry("Restore a backup", "Replace your data with an earlier backup", "open('backups')"),
]

HERE = Path(__file__).resolve().parent
DEFAULT_THEME = "textual-dark"
BENCH_ENV = "TUTOR_BENCH_FIRST_PAINT"  # set to a file: write the paint time there and exit


UNMOUNT_WAIT_S = 5.0  # how long quitting waits for worker threads before leaving them


class TutorApp(App[None]):
    """The tutor: home, lessons, chat, and the screens other modules register."""

    TITLE = "tutor"
    # The home screen is the default screen, whose own CSS_PATH Textual does not
    # load, so its styles are listed here; pushed screens carry their own CSS_PATH.
    CSS_PATH = [HERE / "app.tcss", HERE / "screens" / "home.tcss"]
    COMMANDS = App.COMMANDS | {LessonsProvider}
    ENABLE_COMMAND_PALETTE = True

    BINDINGS = [
        Binding("f1,question_mark", "help", "Keys", key_display="?"),
        Binding("ctrl+q", "quit", "Quit", priority=True),
    ]

    model_state: reactive[str] = reactive("idle")
    """idle (not asked for yet) | loading | ready | error | off."""
    model_message: reactive[str] = reactive("")
    summary: reactive[HomeSummary | None] = reactive(None, always_update=True)
    """What the home screen shows; refreshed in a worker."""
    data_state: reactive[str] = reactive("loading")
    """loading | ready | error: the course and the store."""

    def __init__(
        self,
        course_dir: Path | str | None = None,
        data_dir: Path | str | None = None,
        *,
        load_model: bool = True,
        stream_delay: float = 0.012,
    ) -> None:
        """
        Args:
            course_dir: the course folder; the bundled course when None.
            data_dir: where tutor.db lives; $TUTOR_HOME or the platform dir when None.
            load_model: start loading the model right after the first paint. When
                False it loads on the first question instead (tests, snapshots).
            stream_delay: seconds between streamed chunks of an answer.
        """
        super().__init__()
        from tutor import paths
        from tutor.services import Tutor

        self.db_path = Path(data_dir) / "tutor.db" if data_dir else paths.db_path()
        self.tutor: Tutor = Tutor(course_dir, self.db_path)
        self.course_dir = self.tutor.course_dir
        self.autoload_model = load_model
        self.stream_delay = stream_delay
        # Set once loaded (in a worker): screens read them, the facade owns them.
        self.course: Course | None = None
        self.db: sqlite_utils.Database | None = None
        self.data_ready = asyncio.Event()
        self.cards_ready = asyncio.Event()  # set once the first card sync has finished
        self._model_done = asyncio.Event()
        self._started_background = False
        self._bench_file = os.environ.get(BENCH_ENV)
        from tutor.store.db import read_setting_fast

        saved = read_setting_fast(self.db_path, "theme")
        self.theme = saved if saved in self.available_themes else DEFAULT_THEME

    # ----------------------------------------------------------------- start-up

    def get_default_screen(self) -> Screen:
        from tui.screens.home import HomeScreen

        return HomeScreen()

    def on_mount(self) -> None:
        self.theme_changed_signal.subscribe(self, self._save_theme)

    async def on_unmount(self) -> None:
        # Worker threads may still be writing (tui/workers.py): close after them.
        # One still busy after the wait (a demo, a slow model load) keeps the
        # connection; every write is committed, so the process exit closes it safely.
        if await wait_idle(UNMOUNT_WAIT_S):
            self.tutor.close()

    def first_paint(self) -> None:
        """Called by the home screen once it is on the terminal: start the slow work."""
        if self._bench_file:
            Path(self._bench_file).write_text(f"{time.time():.6f}\n")
            self.exit()
            return
        if self._started_background:
            return
        self._started_background = True
        self.load_data()
        if self.autoload_model:
            self.action_load_model()

    @thread_work("data")
    def load_data(self) -> None:
        """Course + store + home summary, then the card sync, off the UI thread."""
        from tutor.errors import TutorError

        try:
            course = self.tutor.course
            db = self.tutor.db
        except TutorError as exc:
            self.call_from_thread(self._data_failed, str(exc))
            return
        except (OSError, ValueError) as exc:
            self.call_from_thread(self._data_failed, f"cannot load the course: {exc}")
            return
        from tui.summary import load_summary

        summary = load_summary(self.tutor)
        self.call_from_thread(self._data_loaded, course, db, summary)

    def _data_loaded(self, course: Course, db: sqlite_utils.Database, summary) -> None:
        self.course = course
        self.db = db
        self.data_state = "ready"
        self.summary = summary
        self.data_ready.set()
        self._sync_cards()
        if course.errors:
            shown = "\n".join(f"{e.path.name}:{e.line}: {e.message}" for e in course.errors[:3])
            more = len(course.errors) - 3
            if more > 0:
                shown += f"\n… and {more} more (run `tutor doctor`)"
            self.notify(
                shown,
                title=f"{len(course.errors)} problem(s) in the course files",
                severity="warning",
                timeout=8,
                markup=False,
            )
        if not course.lessons:
            self.notify(f"No lessons found in {self.course_dir}", severity="error", markup=False)
        if self.tutor.read_only:
            self.notify(
                f"{self.db_path.parent} is read-only: lessons, stats and questions work, "
                "but reviews, chats and your reading place are not saved.",
                title="Read-only data folder",
                severity="warning",
                timeout=12,
                markup=False,
            )

    def _data_failed(self, message: str) -> None:
        self.data_state = "error"
        self.data_ready.set()
        self.cards_ready.set()
        self.notify(message, title="Cannot start", severity="error", timeout=30, markup=False)

    def refresh_summary(self) -> None:
        if self.db is not None and self.course is not None:
            self._refresh_summary()

    @thread_work("summary")
    def _refresh_summary(self) -> None:
        from tui.summary import load_summary

        summary = load_summary(self.tutor)
        self.call_from_thread(setattr, self, "summary", summary)

    def _save_theme(self, theme) -> None:
        if self.db is not None:
            self.tutor.set_setting("theme", theme.name)

    # -------------------------------------------------------------- the model

    def action_load_model(self) -> None:
        """Load the question-answering model in a worker (no-op once started)."""
        if self.model_state in ("loading", "ready"):
            return
        self.model_state = "loading"
        self.model_message = "starting"
        self._model_done.clear()
        self._load_model()

    @thread_work("model")
    def _load_model(self) -> None:
        def progress(message: str) -> None:
            self.call_from_thread(setattr, self, "model_message", message)

        try:
            self.tutor.answerer(progress)
        except ImportError as exc:
            self.call_from_thread(self._model_failed, f"not installed: {exc}")
        except Exception as exc:  # noqa: BLE001 — shown to the learner, never a crash
            self.call_from_thread(self._model_failed, f"{exc.__class__.__name__}: {exc}")
        else:
            self.call_from_thread(self._model_loaded)

    async def action_quit(self) -> None:
        """Quit, first recording an answer that was graded but not yet rated (as
        suggested), so ctrl+q between the verdict and the rating loses nothing."""
        for screen in self.screen_stack:
            save = getattr(screen, "save_pending", None)
            if save is not None:
                save()
        self.exit()

    def call_from_thread(self, callback, *args, **kwargs):
        # a worker finishing while the app shuts down has nobody left to tell
        if not self.is_running:
            return None
        return super().call_from_thread(callback, *args, **kwargs)

    def _model_loaded(self) -> None:
        self.model_message = ""
        self.model_state = "ready"
        self._model_done.set()

    @thread_work("cards")
    def _sync_cards(self) -> None:
        """Bring the review cards in line with the course (cheap when nothing changed).

        It needs no model: key-term vectors for generated multiple-choice cards
        are cached in the database, and the few missing ones are embedded here.
        """
        try:
            self.tutor.sync_cards()
        except Exception as exc:  # noqa: BLE001 — reviews still work with the old cards
            self.call_from_thread(
                self.notify,
                f"Could not update the review cards: {exc}",
                severity="warning",
                markup=False,
            )
        finally:
            self.call_from_thread(self.cards_ready.set)
            self.call_from_thread(self.refresh_summary)  # the home's "…" becomes the counts

    def _model_failed(self, message: str) -> None:
        self.model_message = message
        self.model_state = "error"
        self._model_done.set()
        self.notify(message, title="The model did not load", severity="error", markup=False)

    async def get_answerer(self) -> Tutor:
        """Wait (without blocking the UI) until the model is loaded; start it if needed.

        Returns the facade, whose `ask` and `grade` are then cheap.
        """
        if self.tutor.model_loaded:
            return self.tutor
        if self.model_state in ("idle", "error"):
            self.action_load_model()
        await self._model_done.wait()
        if not self.tutor.model_loaded:
            from tutor.errors import TutorError

            raise TutorError(f"the model is not available ({self.model_message})")
        return self.tutor

    # ------------------------------------------------------------ navigation

    def screen_class(self, name: str) -> type[Screen] | None:
        """The registered screen class, or None when its module is not there (yet)."""
        target = SCREENS_BY_NAME.get(name)
        if target is None:
            return None
        module_name, _, class_name = target.partition(":")
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name and module_name.startswith(exc.name):
                return None
            raise
        return getattr(module, class_name, None)

    def open(self, name: str, **kwargs: Any) -> Screen | None:
        """Push the registered screen `name`, built with `kwargs`."""
        screen_class = self.screen_class(name)
        if screen_class is None:
            self.notify(f"The {name} screen is not available in this build yet.")
            return None
        if name in NEEDS_DATA and self.course is None:
            if self.data_ready.is_set():  # loading failed: the learner was told why
                self.notify("The course could not be loaded.", severity="error")
            else:
                self.when_data_ready(lambda: self.open(name, **kwargs))
            return None
        if name in NEEDS_CARDS and not self.cards_ready.is_set():
            self.when_data_ready(
                lambda: self.open(name, **kwargs),
                ready=self.cards_ready,
                message="Making the review cards from the course… this opens in a moment.",
            )
            return None
        screen = screen_class(**kwargs)
        self.push_screen(screen)
        return screen

    def action_open(self, name: str) -> None:
        self.open(name)

    def action_cram(self) -> None:
        """The review screen in cram mode: every card, nothing rescheduled."""
        self.open("review", cram=True)

    def action_undo(self) -> None:
        """Undo today's latest review: in the review screen it shows that card again;
        elsewhere it says what was undone."""
        undo_here = getattr(self.screen, "action_undo", None)
        if undo_here is not None:
            undo_here()
            return
        if self.db is None:
            self.notify("The store is not open yet; try again in a moment.")
            return
        from tutor.errors import TutorError
        from tutor.study.schedule import RATING_NAMES

        try:
            result = self.tutor.undo()
        except TutorError as exc:
            self.notify(str(exc), markup=False)
            return
        self.notify(
            f"Undone: {RATING_NAMES[result.rating]} on {result.card_id}; it is due again.",
            markup=False,
        )
        self.refresh_summary()

    @thread_work("backup")
    def action_backup(self) -> None:
        """Back up the database now (in a worker: a large file takes a second)."""
        from tutor.errors import TutorError

        try:
            made = self.tutor.backup()
        except TutorError as exc:
            self.call_from_thread(self.notify, str(exc), severity="error", markup=False)
            return
        self.call_from_thread(self.notify, f"Backed up to {made.path}", markup=False)

    def action_help(self) -> None:
        if not isinstance(self.screen, self.screen_class("help")):
            self.open("help")

    def action_go_home(self) -> None:
        while len(self.screen_stack) > 1:
            self.pop_screen()

    def open_lesson(self, lesson_id: str, section_id: str | None = None) -> None:
        """Open a lesson at a section; reuses the reader if it is already on top."""
        from tui.screens.lesson import LessonScreen

        if self.course is None or self.course.lesson(lesson_id) is None:
            self.notify(f"No lesson {lesson_id!r} in this course.", markup=False)
            return
        if isinstance(self.screen, LessonScreen) and self.screen.lesson.id == lesson_id:
            self.screen.go_to_section(section_id)
            return
        self.open("lesson", lesson_id=lesson_id, section_id=section_id)

    def when_data_ready(
        self,
        action: Callable[[], Any],
        *,
        ready: asyncio.Event | None = None,
        message: str = "Loading the course… this opens in a moment.",
    ) -> None:
        """Run `action` now, or once the course and the store have loaded (or once
        `ready` is set: the first card sync)."""
        ready = ready or self.data_ready
        if ready.is_set():
            action()
            return
        from textual.notifications import Notification, Notify

        notice = Notification(message, timeout=self.NOTIFICATION_TIMEOUT)
        self.post_message(Notify(notice))

        async def later() -> None:
            await ready.wait()
            # the toast said "in a moment": once that moment is over it goes, rather
            # than lingering for seconds over the screen it announced
            if notice in self._notifications:
                self._unnotify(notice)
            if self.course is not None:
                action()

        self.run_worker(later(), group="pending", exclusive=True)

    def action_continue(self) -> None:
        if not self.data_ready.is_set():
            self.when_data_ready(self.action_continue)
            return
        place = self.summary.place if self.summary else None
        if place is None:
            if self.course and self.course.lessons:
                self.open_lesson(self.course.lessons[0].id)
            else:
                self.notify("Nothing to continue yet.")
            return
        self.open_lesson(place.lesson_id, place.section_id)

    def open_chat(self, question: str = "", *, new: bool = False) -> None:
        from tui.screens.chat import ChatScreen

        if isinstance(self.screen, ChatScreen):
            if new:
                self.screen.new_session()
            self.screen.prefill(question)
            return
        self.open("chat", question=question, new_session=new)

    def action_new_chat(self) -> None:
        self.open_chat(new=True)

    def action_resume_chat(self) -> None:
        from tui.screens.chat import ChatScreen

        if not isinstance(self.screen, ChatScreen):
            self.open("chat")
        if isinstance(self.screen, ChatScreen):
            self.screen.action_sessions()

    def record_place(self, lesson_id: str, section_id: str) -> None:
        if self.db is not None:
            self.tutor.record_place(lesson_id, section_id)

    # --------------------------------------------------------- command palette

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        # Textual's own "Keys" (its key panel) would sit beside ours, listed twice
        # with different descriptions; ours (every screen's keys) stays
        for command in super().get_system_commands(screen):
            if command.title != "Keys":
                yield command
        for entry in PALETTE:
            yield SystemCommand(entry.title, entry.help, self._runner(entry.action))
        # The screen on top may offer its own commands ("Quiz me on this section").
        # One that the screen refuses right now (no demo for this lesson, nothing to
        # skip) is left out rather than listed to do nothing.
        for title, help_text, action in getattr(screen, "COMMANDS_HERE", ()):
            if "(" not in action and screen.check_action(action, ()) is False:
                continue
            yield SystemCommand(title, help_text, self._runner(action, screen))

    def _runner(self, action: str, namespace: Any = None) -> Callable[[], Any]:
        async def run() -> None:
            await self.run_action(action, namespace or self)

        return run


def run() -> None:
    """Entry point for `tutor` with no arguments."""
    TutorApp().run()
