"""The one front door to the library: every workflow the CLI, the TUI and the tests use.

    tutor = Tutor()                       # the bundled course, the learner's data dir
    tutor = Tutor(course_dir=..., db_path=...)
    tutor.sync_cards()                    # cards match the course (and the notes)
    session = tutor.session("review")     # a Session over today's queue
    answer = tutor.ask("what is dropout?")
    result = tutor.grade(question, reference, answer_text)
    figures = tutor.stats()

Why a facade: before it, the CLI and the TUI each assembled these workflows from
low-level modules, so card sync had four entry points and the review screen held
SQL. Now each workflow is written once, here; the faces only present it.

Everything is opened lazily and cheaply: constructing a `Tutor` reads nothing,
`course` parses the lesson files on first use, `db` opens the SQLite file on
first use, and the model host (`answerer`) loads the ONNX encoder and the
indexes only when a question is first asked (about half a second). The model
runs in this process: ONNX Runtime releases the GIL while it computes, so a
worker thread of the TUI can call `ask` and `grade` without stalling the UI.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tutor import paths
from tutor.errors import TutorError

if TYPE_CHECKING:
    import sqlite_utils

    from tutor.answer import Answer, Answerer
    from tutor.cards.exchange import ImportReport
    from tutor.cards.model import StudyCard, SyncReport
    from tutor.course import Course
    from tutor.grade import Grade
    from tutor.index import Manifest, Progress
    from tutor.library import LibraryReport
    from tutor.study.schedule import OptimizeResult
    from tutor.study.session import Session
    from tutor.study.stats import Stats

Notify = Callable[[str], None]


@dataclass(frozen=True)
class Schedule:
    new_per_day: int
    desired_retention: float
    fitted: bool  # the learner's own FSRS parameters (tutor optimize), not the defaults

    def to_dict(self) -> dict:
        return {
            "new_per_day": self.new_per_day,
            "desired_retention": self.desired_retention,
            "fitted_parameters": self.fitted,
        }


class Tutor:
    """A course, the learner's database and the model host, opened on first use."""

    def __init__(
        self,
        course_dir: Path | str | None = None,
        db_path: Path | str | None = None,
        *,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.bundled = course_dir is None
        self.course_dir = Path(course_dir).expanduser() if course_dir else paths.content_dir()
        self._db_path = Path(db_path) if db_path else None
        self._course: Course | None = None
        self._db: sqlite_utils.Database | None = None
        self._answerer: Answerer | None = None
        self._lock = threading.Lock()
        if clock is None:
            from tutor.study.clock import utcnow

            clock = utcnow
        self.clock = clock

    # ---------------------------------------------------------------- opening

    @property
    def db_path(self) -> Path:
        return self._db_path or paths.db_path()

    @property
    def course(self) -> Course:
        """The course, parsed on first use; a broken lesson is in `course.errors`."""
        if self._course is None:
            from tutor.course import load_course

            if not self.course_dir.is_dir():
                what = "no such folder" if not self.course_dir.exists() else "not a folder"
                raise TutorError(f"{self.course_dir}: {what} (give a course folder)")
            self._course = load_course(self.course_dir)
        return self._course

    @property
    def db(self) -> sqlite_utils.Database:
        """The learner's database (created or migrated on first use)."""
        if self._db is None:
            from tutor import store

            self._db = store.connect(self.db_path)
        return self._db

    @property
    def origin(self) -> str:
        """Where this course's cards come from (`course` for the bundled one)."""
        from tutor.cards.sync import course_origin

        return course_origin(self.course_dir)

    def close(self) -> None:
        if self._db is not None:
            self._db.conn.close()
            self._db = None

    # ------------------------------------------------------------------- cards

    def cards_need_sync(self) -> bool:
        """Whether the course changed since its cards were last made (a sync will do work)."""
        from tutor.cards.sync import course_fingerprint
        from tutor.store import get_setting

        fingerprint = get_setting(self.db, f"cards.fingerprint.{self.origin}")
        return fingerprint != course_fingerprint(self.course)

    def sync_cards(self, *, notes: bool | None = None) -> list[SyncReport]:
        """Bring the cards in line with the course (and, for the bundled course, the notes).

        Cheap when nothing changed (a fingerprint of the files); otherwise it
        generates cards and takes key-term vectors from the learner's cache or the
        bundled index, embedding only those neither has (none, for the bundled course).
        """
        from tutor.cards.sync import sync_cards, sync_library

        reports = [
            sync_cards(self.db, self.course, self.origin, now=self.clock(), seed=self._term_seed)
        ]
        if notes if notes is not None else self.bundled:
            library = sync_library(self.db, now=self.clock())
            if library is not None:
                reports.append(library)
        return reports

    def _term_seed(self, keys: list[str]) -> dict[str, bytes]:
        """Key-term vectors stored in the bundled index (looked up by the hash of the text
        embedded, so a stale index can only miss, never mislead)."""
        if not (paths.bundled_index_dir() / "chunks.sqlite").exists():
            return {}
        from tutor.index import IndexStore

        store = IndexStore(paths.bundled_index_dir())
        try:
            return store.term_vectors(keys)
        finally:
            store.close()

    def lessons_with_cards(self) -> list[tuple[str, str]]:
        from tutor.store.cards import lessons_with_cards

        return lessons_with_cards(self.db)

    def cards(self, *, lesson: str | None = None, status: str | None = "active") -> list[StudyCard]:
        from tutor.store.cards import list_cards

        return list_cards(self.db, lesson=lesson, status=status)

    def card_count(self) -> int:
        from tutor.store.cards import count_active

        return count_active(self.db)

    def next_due(self) -> datetime | None:
        """When the earliest reviewed card falls due (None when nothing is scheduled)."""
        from tutor.store.cards import next_due
        from tutor.study.clock import parse_iso

        due = next_due(self.db)
        return parse_iso(due) if due else None

    def export_anki(self, path: Path, *, include_retired: bool = False) -> int:
        from tutor.cards.exchange import export_anki

        return export_anki(self.db, path, include_retired=include_retired)

    def export_csv(self, path: Path, *, include_retired: bool = False) -> int:
        from tutor.cards.exchange import export_csv

        return export_csv(self.db, path, include_retired=include_retired)

    def import_csv(self, path: Path) -> ImportReport:
        from tutor.cards.exchange import import_csv

        return import_csv(self.db, path, now=self.clock())

    # ---------------------------------------------------------------- studying

    def session(
        self,
        mode: str = "review",
        *,
        lesson: str | None = None,
        section: str | None = None,
        limit: int | None = None,
        cram: bool = False,
        ids: list[str] | None = None,
    ) -> Session:
        """A quiz or review session (see `tutor.study.session`).

        `lesson` must have cards; `section` narrows a quiz to the cards that test
        that section of the lesson (the whole lesson when none does).
        """
        from tutor.study import queue
        from tutor.study.session import Session

        if lesson and lesson not in {lid for lid, _ in self.lessons_with_cards()}:
            raise TutorError(f"no lesson {lesson!r} with cards (see `tutor stats` for lesson ids)")
        if ids is None and lesson and section:
            ids = queue.section_ids(self.db, self.clock(), lesson, section, cram=cram, limit=limit)
        return Session(
            self.db, mode, lesson=lesson, limit=limit, cram=cram, clock=self.clock, ids=ids
        )

    def stats(self, now: datetime | None = None) -> Stats:
        from tutor.study.stats import compute_stats

        return compute_stats(self.db, now or self.clock())

    def review_history(self, days: int, now: datetime | None = None) -> list[tuple[str, int]]:
        """[(ISO date, reviews)] for the last `days` days (the stats screen's heatmap)."""
        from tutor.study.stats import reviews_per_day

        return reviews_per_day(self.db, now or self.clock(), days)

    def schedule(
        self, *, new_per_day: int | None = None, retention: float | None = None
    ) -> Schedule:
        """The review settings, after changing the ones given."""
        from tutor.study import schedule

        if new_per_day is not None:
            schedule.set_new_per_day(self.db, new_per_day)
        if retention is not None:
            schedule.set_desired_retention(self.db, retention)
        return Schedule(
            schedule.new_per_day(self.db),
            schedule.desired_retention(self.db),
            schedule.has_fitted_parameters(self.db),
        )

    def optimize(self) -> OptimizeResult:
        from tutor.study.schedule import optimize

        return optimize(self.db)

    def setting(self, key: str, default: Any = None) -> Any:
        from tutor.store import get_setting

        return get_setting(self.db, key, default)

    def set_setting(self, key: str, value: Any) -> None:
        from tutor.store import set_setting

        set_setting(self.db, key, value)

    # --------------------------------------------------- reading and chatting

    def glossary(self, term: str | None = None) -> list:
        """Every key term once (`tutor.glossary.Entry`), or the entries matching `term`."""
        from tutor import glossary

        entries = glossary.build(self.course)
        return entries if term is None else glossary.lookup(entries, term)

    def record_place(self, lesson_id: str, section_id: str) -> None:
        """Remember where the learner is reading ("Continue where I left off")."""
        from tutor.store.progress import record_open

        record_open(self.db, lesson_id, section_id)

    def last_place(self):
        """The last section opened that still exists in the course, or None."""
        from tutor.store.progress import last_place

        place = last_place(self.db)
        if place and self.course.lesson(place.lesson_id) is None:
            return None
        return place

    @property
    def chats(self):
        """The chat history (`tutor.store.chat.ChatHistory`)."""
        from tutor.store.chat import ChatHistory

        return ChatHistory(self.db)

    # ------------------------------------------------------------- the model

    @property
    def model_loaded(self) -> bool:
        return self._answerer is not None

    def answerer(
        self, progress: Notify | None = None, index_progress: Progress | None = None
    ) -> Answerer:
        """The model host: encoder + course index (+ notes index), loaded once."""
        if self._answerer is None:
            with self._lock:
                if self._answerer is None:
                    from tutor.answer import Answerer

                    self._answerer = Answerer.load(
                        progress=progress,
                        course_dir=None if self.bundled else self.course_dir,
                        index_progress=index_progress,
                    )
        return self._answerer

    def ask(self, question: str) -> Answer:
        """The course sentences that answer `question`, with their sources."""
        from tutor.answer import check_question

        check_question(question)  # a bad question fails before the model loads
        return self.answerer().ask(question)

    def grade(self, question: str, reference: str, answer: str, **options: Any) -> Grade:
        """Grade one answer (`tutor.grade.grade`'s options: kind, accept, choices, source)."""
        from tutor.grade import grade

        return grade(question, reference, answer, **options)

    def grade_many(self, rows: Iterable[dict | Exception]) -> Iterable[Grade | Exception]:
        from tutor.grade import grade_many

        return grade_many(rows)

    # ---------------------------------------------------- indexes and notes

    def index_notes(
        self, folders: list[Path], progress: Progress | None = None
    ) -> tuple[LibraryReport, SyncReport | None]:
        """Add folders of notes to the library (or refresh it), then their cards."""
        from tutor.cards.sync import sync_library
        from tutor.library import roots, update_library

        if not folders and not roots():
            raise TutorError(
                "the library is empty: give a folder of notes, e.g. tutor index ~/notes"
            )
        report = update_library(list(folders), progress)
        self._answerer = None  # the next question sees the new notes
        return report, sync_library(self.db, now=self.clock())

    def build_course_index(self, progress: Progress | None = None) -> Manifest:
        """Rebuild the bundled course's index in `index/` (after editing `content/`)."""
        from tutor.index import build_course_index

        return build_course_index(self.course, paths.bundled_index_dir(), progress)

    # ------------------------------------------------------------- the demos

    def demos(self) -> list[dict]:
        from tutor.demos.terminal import demo_list

        return demo_list()
