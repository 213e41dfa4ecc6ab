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
    from tutor.course import Course, QuizItem
    from tutor.grade import Grade
    from tutor.grading.examples import Example
    from tutor.index import Manifest, Progress
    from tutor.library import LibraryReport
    from tutor.store.backup import Backup, RestoreReport
    from tutor.store.browse import BrowseRow
    from tutor.store.reviews import HistoryRow
    from tutor.study.schedule import OptimizeResult
    from tutor.study.session import Session
    from tutor.study.stats import Stats
    from tutor.study.undo import UndoResult

Notify = Callable[[str], None]


@dataclass(frozen=True)
class Schedule:
    new_per_day: int
    desired_retention: float
    fitted: bool  # the learner's own FSRS parameters (tutor optimize), not the defaults
    daily_goal: int = 20  # reviews a day; the streak counts the days it was met
    leech_lapses: int = 8  # lapses that make a card a leech (0: off)
    freeze_every: int = 7  # goal-met days of a streak that earn a streak freeze
    freeze_max: int = 2  # streak freezes banked at most (0: none)

    def to_dict(self) -> dict:
        return {
            "new_per_day": self.new_per_day,
            "desired_retention": self.desired_retention,
            "fitted_parameters": self.fitted,
            "daily_goal": self.daily_goal,
            "leech_lapses": self.leech_lapses,
            "freeze_every": self.freeze_every,
            "freeze_max": self.freeze_max,
        }


@dataclass(frozen=True)
class CardPage:
    """One page of the card browser: the rows, how many matched, their latest answers."""

    cards: list[BrowseRow]
    total: int
    answers: dict[str, list[tuple[str | None, str | None]]]  # id -> [(verdict, answer)]


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
        self._item_map: dict[str, QuizItem] | None = None  # the course's quiz items by id
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
    def read_only(self) -> bool:
        """Whether the learner's database could only be opened read-only (a read-only
        data folder): lessons, stats and questions work; nothing is recorded."""
        from tutor.store import is_read_only

        return is_read_only(self.db)

    def _check_writable(self, what: str) -> None:
        """A one-line refusal before a write that a read-only data folder cannot take."""
        if self.read_only:
            raise TutorError(
                f"{self.db_path.parent}: the data folder is read-only, so {what}; "
                "make it writable (or point TUTOR_HOME at another folder)"
            )

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

        if self.read_only:  # the cards stay as they were last synced
            return []
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

    def lesson_id(self, name: str) -> str:
        """The id of the lesson with cards that `name` means: its id, or its title as
        `tutor stats` prints it (an imported deck "my-deck" is `csv-my-deck`)."""
        lessons = self.lessons_with_cards()
        if name in {lid for lid, _ in lessons}:
            return name
        wanted = name.casefold().strip()
        titled = [lid for lid, title in lessons if (title or "").casefold().strip() == wanted]
        if len(titled) == 1:
            return titled[0]
        shown = ", ".join(lid for lid, _ in lessons[:6]) + (", …" if len(lessons) > 6 else "")
        raise TutorError(
            f"no lesson {name!r} with cards (give a lesson id or the title `tutor stats` "
            f"shows; ids: {shown or 'none yet'})"
        )

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

        self._check_writable("cards cannot be imported")
        return import_csv(self.db, path, now=self.clock())

    def import_anki(self, path: Path) -> ImportReport:
        """Import an Anki package (.apkg/.colpkg) as cards of their own (`tutor.cards.anki`)."""
        from tutor.cards.anki import import_anki

        self._check_writable("cards cannot be imported")
        return import_anki(self.db, path, now=self.clock())

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

        self._check_writable("reviews cannot be recorded")
        if lesson:
            lesson = self.lesson_id(lesson)
        if ids is None and lesson and section:
            ids = queue.section_ids(self.db, self.clock(), lesson, section, cram=cram, limit=limit)
        return Session(
            self.db,
            mode,
            lesson=lesson,
            limit=limit,
            cram=cram,
            clock=self.clock,
            ids=ids,
            examples=self.card_examples,
        )

    def stats(self, now: datetime | None = None) -> Stats:
        from tutor.study.stats import compute_stats

        return compute_stats(self.db, now or self.clock())

    def review_history(self, days: int, now: datetime | None = None) -> list[tuple[str, int]]:
        """[(ISO date, reviews)] for the last `days` days (the stats screen's heatmap)."""
        from tutor.study.stats import reviews_per_day

        return reviews_per_day(self.db, now or self.clock(), days)

    def schedule(
        self,
        *,
        new_per_day: int | None = None,
        retention: float | None = None,
        daily_goal: int | None = None,
        leech_lapses: int | None = None,
        freeze_every: int | None = None,
        freeze_max: int | None = None,
    ) -> Schedule:
        """The review settings, after changing the ones given."""
        from tutor.study import goal, schedule

        changes = (new_per_day, retention, daily_goal, leech_lapses, freeze_every, freeze_max)
        if any(value is not None for value in changes):
            self._check_writable("the settings cannot be changed")
        if new_per_day is not None:
            schedule.set_new_per_day(self.db, new_per_day)
        if retention is not None:
            schedule.set_desired_retention(self.db, retention)
        if daily_goal is not None:
            goal.set_daily_goal(self.db, daily_goal)
        if leech_lapses is not None:
            schedule.set_leech_lapses(self.db, leech_lapses)
        if freeze_every is not None or freeze_max is not None:
            goal.set_freezes(self.db, every=freeze_every, most=freeze_max)
        return Schedule(
            schedule.new_per_day(self.db),
            schedule.desired_retention(self.db),
            schedule.has_fitted_parameters(self.db),
            goal.daily_goal(self.db),
            schedule.leech_lapses(self.db),
            goal.freeze_every(self.db),
            goal.freeze_max(self.db),
        )

    def optimize(self) -> OptimizeResult:
        from tutor.study.schedule import optimize

        self._check_writable("fitted parameters cannot be saved")
        return optimize(self.db)

    # ------------------------------------------------------------ study tools

    def undo(self) -> UndoResult:
        """Take back the latest review of today (works across restarts; see `study.undo`)."""
        from tutor.study.undo import undo_last_review

        self._check_writable("a review cannot be undone")
        return undo_last_review(self.db, self.clock())

    def card(self, card_id: str) -> StudyCard:
        """One card (the learner's edit laid over the course's text), or a one-line error."""
        from tutor.store.cards import get_card

        card = get_card(self.db, card_id)
        if card is None:
            raise TutorError(f"no card {card_id!r} (tutor cards lists the ids)")
        return card

    def card_history(self, card_id: str) -> list[HistoryRow]:
        """Every review of a card, oldest first; undone ones are kept and marked."""
        from tutor.store.reviews import card_history

        self.card(card_id)
        return card_history(self.db, card_id)

    def browse(
        self,
        *,
        search: str | None = None,
        lesson: str | None = None,
        due: bool = False,
        suspended: bool | None = None,
        flagged: bool | None = None,
        leech: bool | None = None,
        buried: bool | None = None,
        retired: bool = False,
        limit: int | None = 100,
        offset: int = 0,
        answers: int = 3,
    ) -> CardPage:
        """Cards matching every filter given, in course order, `limit` at a time.

        `due`: what a review would show today; `search`: every word, in the
        question, reference or accepted answers; `answers`: how many of each
        listed card's latest answers to include.
        """
        from tutor.store.browse import browse
        from tutor.store.reviews import last_answers
        from tutor.study.clock import day_end, iso

        now = self.clock()
        if lesson is not None and lesson not in {lid for lid, _ in self.lessons_with_cards()}:
            raise TutorError(f"no lesson {lesson!r} with cards (see `tutor stats` for lesson ids)")
        rows, total = browse(
            self.db,
            now=iso(now),
            search=search,
            lesson=lesson,
            due_before=iso(day_end(now)) if due else None,
            suspended=suspended,
            flagged=flagged,
            leech=leech,
            buried=buried,
            status=None if retired else "active",
            limit=limit,
            offset=offset,
        )
        recent = last_answers(self.db, [r.id for r in rows], answers) if answers and rows else {}
        return CardPage(rows, total, recent)

    def _mark(self, ids: list[str], what: str) -> list[str]:
        from tutor.store.holds import known_ids

        self._check_writable(f"cards cannot be {what}")
        if not ids:
            raise TutorError("give at least one card id (tutor cards lists them)")
        unknown = [i for i in ids if i not in known_ids(self.db, ids)]
        if unknown:
            raise TutorError(f"no card {unknown[0]!r} (tutor cards lists the ids)")
        return ids

    def suspend(self, ids: list[str], on: bool = True) -> int:
        """Suspend (or unsuspend) cards: never scheduled until unsuspended. How many changed."""
        from tutor.store.holds import set_suspended

        return set_suspended(self.db, self._mark(ids, "suspended"), on)

    def bury(self, ids: list[str], on: bool = True) -> int:
        """Bury cards until the learner's next midnight (or unbury them). How many changed."""
        from tutor.store.holds import set_buried
        from tutor.study.clock import day_end, iso

        until = iso(day_end(self.clock())) if on else None
        return set_buried(self.db, self._mark(ids, "buried"), until)

    def flag(self, ids: list[str], on: bool = True) -> int:
        """Flag cards for later (or take the flag off). How many changed."""
        from tutor.store.holds import set_flagged

        return set_flagged(self.db, self._mark(ids, "flagged"), on)

    def edit_card(
        self,
        card_id: str,
        *,
        question: str | None = None,
        answer: str | None = None,
        accept: list[str] | None = None,
    ) -> StudyCard:
        """Store the learner's version of a card's text; it survives course re-syncs."""
        from tutor.cards.edit import check_edit
        from tutor.store.edits import save_edit
        from tutor.study.clock import iso

        self._check_writable("the card cannot be edited")
        card = self.card(card_id)
        fields = check_edit(card, question=question, answer=answer, accept=accept)
        save_edit(self.db, card_id, at=iso(self.clock()), **fields)
        return self.card(card_id)

    def revert_card(self, card_id: str) -> StudyCard:
        """Drop the learner's edit: the card shows the course's text again."""
        from tutor.store.edits import drop_edit

        self._check_writable("the card cannot be changed")
        self.card(card_id)
        drop_edit(self.db, card_id)
        return self.card(card_id)

    def leech_notice(self, card_id: str, lapses: int) -> str:
        """What to tell the learner, once, when a review makes `card_id` a leech."""
        from tutor.study.leech import leech_notice

        return leech_notice(self.card(card_id), lapses)

    def backups(self) -> list[Backup]:
        """The backups in the data dir, newest first."""
        from tutor.store.backup import list_backups

        return list_backups(self.db_path)

    def backup(self, *, keep: int | None = None) -> Backup:
        """Back up the database now (SQLite's online backup API); `keep` sets how many stay."""
        from tutor.store.backup import MAX_KEEP, SETTING_KEEP, make_backup
        from tutor.store.db import set_setting

        self._check_writable("no backup can be recorded")
        if keep is not None:
            if not 1 <= keep <= MAX_KEEP:
                raise TutorError(f"backups to keep must be 1 to {MAX_KEEP}, not {keep}")
            set_setting(self.db, SETTING_KEEP, keep)
        return make_backup(self.db.conn, self.db_path, reason="manual")

    def restore(self, source: Path | str, progress=None) -> RestoreReport:
        """Replace the learner's data with a backup (checked first; the current file is
        backed up before it is replaced). This facade's connection stays usable."""
        from tutor.store import migrate
        from tutor.store.backup import restore

        self._check_writable("no backup can be restored")
        report = restore(self.db_path, source, progress=progress)
        if self._db is not None:
            migrate(self._db)  # an older backup's schema is brought up to date
        return report

    def setting(self, key: str, default: Any = None) -> Any:
        from tutor.store import get_setting

        return get_setting(self.db, key, default)

    def set_setting(self, key: str, value: Any) -> None:
        from tutor.store import set_setting

        if not self.read_only:  # a preference (the theme): not worth an error
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

        if not self.read_only:
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
        self,
        progress: Notify | None = None,
        index_progress: Progress | None = None,
        notice: Notify | None = None,
    ) -> Answerer:
        """The model host: encoder + course index (+ notes index), loaded once.

        Its `warnings` say what the answers leave out (a damaged notes index).
        """
        if self._answerer is None:
            with self._lock:
                if self._answerer is None:
                    from tutor.answer import Answerer

                    self._answerer = Answerer.load(
                        progress=progress,
                        course_dir=None if self.bundled else self.course_dir,
                        index_progress=index_progress,
                        notice=notice,
                    )
        return self._answerer

    def ask(self, question: str, previous: str | None = None) -> Answer:
        """The course sentences that answer `question`, with their sources; a
        follow-up ("and why?") takes its topic from `previous`, the last question."""
        from tutor.answer import check_question

        check_question(question)  # a bad question fails before the model loads
        return self.answerer().ask(question, previous=previous)

    def grade(self, question: str, reference: str, answer: str, **options: Any) -> Grade:
        """Grade one answer (`tutor.grade.grade`'s options: kind, accept, choices, source)."""
        from tutor.grade import grade

        return grade(question, reference, answer, **options)

    def grade_many(self, rows: Iterable[dict | Exception]) -> Iterable[Grade | Exception]:
        from tutor.grade import grade_many

        return grade_many(rows)

    def card_examples(self, card: StudyCard) -> list[Example]:
        """The labelled answers the grader weighs for `card`: the learner's own
        corrections first, then the quiz file's `examples`, then (bundled course
        only) the labelled learner answers shipped with it."""
        from tutor.cards.sync import BUNDLED
        from tutor.grading import examples as E
        from tutor.store import examples as stored

        out = [E.Example(a, label, "learner") for a, label in stored.for_card(self.db, card.id)]
        if card.origin == self.origin:
            item = self._items().get(card.id)
            if item is not None:
                out += [E.Example(e["answer"], e["label"], "teacher") for e in item.examples]
        if card.origin == BUNDLED:
            out += E.bundled(card.id)
        seen: set[str] = set()
        return [e for e in out if not (e.text in seen or seen.add(e.text))]

    def _items(self) -> dict[str, QuizItem]:
        if self._item_map is None:
            self._item_map = {item.id: item for item in self.course.items}
        return self._item_map

    # ---------------------------------------------------- indexes and notes

    def index_notes(
        self, folders: list[Path], progress: Progress | None = None
    ) -> tuple[LibraryReport, SyncReport | None]:
        """Add folders of notes to the library (or refresh it), then their cards."""
        from tutor.cards.sync import sync_library
        from tutor.library import library_problem, roots, update_library

        folder = paths.library_index_dir()
        if not paths.writable(folder):
            raise TutorError(f"{folder}: read-only, so the notes index cannot be updated")
        if not folders and not roots() and library_problem() is None:
            raise TutorError(
                "the library is empty: give a folder of notes, e.g. tutor index ~/notes"
            )
        report = update_library(list(folders), progress)
        self._answerer = None  # the next question sees the new notes
        cards = None if self.read_only else sync_library(self.db, now=self.clock())
        return report, cards

    def build_course_index(self, progress: Progress | None = None) -> Manifest:
        """Rebuild the bundled course's index in `index/` (after editing `content/`)."""
        from tutor.index import build_course_index

        folder = paths.bundled_index_dir()
        if not paths.writable(folder) or not paths.writable(folder.parent):
            raise TutorError(f"{folder}: read-only, so the course index cannot be rebuilt there")
        return build_course_index(self.course, paths.bundled_index_dir(), progress)

    # ------------------------------------------------------------- the demos

    def demos(self) -> list[dict]:
        from tutor.demos.terminal import demo_list

        return demo_list()
