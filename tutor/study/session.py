"""A quiz or review session: the one loop that the CLI and the TUI both drive.

    session = Session(db, "review")            # or "quiz" (lesson=..., limit=N); cram=True
    while (card := session.next_card()) is not None:
        ...show card.question (and card.choices for 'mcq', labelled a), b), ...)...
        try:
            sub = session.submit(answer_text, duration_ms)   # grades; nothing saved yet
        except AnswerError as exc:                           # too long, binary, not UTF-8
            ...show str(exc) (one line)...; session.skip(); continue
        ...show sub.grade.verdict, sub.grade.feedback, the teaching chunk
           (card.source_heading, card.source_ref, card.source_text) and sub.suggested...
        result = session.rate(chosen or None)   # None = the suggested rating; COMMITS
        ...only now show "recorded" and move on...
    summary = session.summary()

Modes:
- "review": today's queue from `queue.build_queue` (due cards, lowest retrievability
  first, then new cards up to the daily limit). A card rated into a (re)learning step
  comes back in the same session when its step is due, or early (up to
  `queue.LEARN_AHEAD`) once nothing else is left: FSRS's learning steps.
- "quiz": `limit` cards (default 10) of one lesson or all: due cards, then new cards
  in lesson order, then the least well remembered; reviews are recorded and
  rescheduled like any other.
- `cram=True` (either mode): every card is fair game (lowest retrievability first,
  then unseen); reviews go to the log with cram=1 but no card is rescheduled.

`submit` accepts str or bytes; invalid UTF-8, NUL/control bytes, or more than
`MAX_ANSWER_CHARS` characters raise `AnswerError` (a TutorError with a one-line
message) and leave the card unanswered. `rate` is the only write, and it is one
committed transaction (see `schedule.record_review`). `skip` moves on without a review;
`put_back` returns the shown card to the queue (leaving mid-card is not a skip).
`remaining`, `done`, `cards()` (the queued StudyCards) and `summary()` report progress.
Id lists for `Session(ids=...)` come from `tutor.study.queue`. Time comes from
`clock` (default `clock.utcnow`), so tests can simulate days.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from fsrs import Rating, State

from tutor.cards.model import StudyCard
from tutor.errors import TutorError
from tutor.store.cards import get_card, get_cards
from tutor.study import queue, schedule
from tutor.study.clock import utcnow

if TYPE_CHECKING:
    import sqlite_utils

    from tutor.grade import Grade

MAX_ANSWER_CHARS = 5_000
MODES = ("review", "quiz")


class AnswerError(TutorError):
    """An answer the tutor will not grade (too long, binary, not UTF-8)."""


class SessionError(TutorError):
    """The session was driven out of order (e.g. rate before submit)."""


def check_answer(answer: str | bytes) -> str:
    """The answer as text, or AnswerError with a one-line reason."""
    if isinstance(answer, bytes | bytearray):
        if b"\0" in answer:
            raise AnswerError("answer looks like binary data (it contains NUL bytes); skipped")
        try:
            answer = bytes(answer).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise AnswerError(
                f"answer is not valid UTF-8 text (bad byte at position {exc.start}); skipped"
            ) from None
    if not isinstance(answer, str):
        raise AnswerError(f"answer must be text, not {type(answer).__name__}")
    if len(answer) > MAX_ANSWER_CHARS:
        raise AnswerError(
            f"answer is too long ({len(answer):,} characters; the limit is "
            f"{MAX_ANSWER_CHARS:,}); skipped"
        )
    if "\0" in answer or any(ord(c) < 32 and c not in "\t\n\r" for c in answer):
        raise AnswerError("answer contains control characters (binary data?); skipped")
    if "\ufffd" in answer and answer.count("\ufffd") * 4 > len(answer):
        raise AnswerError("answer is mostly undecodable bytes; skipped")
    return answer.strip()


@dataclass
class Submission:
    card: StudyCard
    answer: str
    grade: Grade
    suggested: Rating
    duration_ms: int


@dataclass
class SessionSummary:
    mode: str
    cram: bool
    reviewed: int = 0  # reviews recorded
    skipped: int = 0
    remaining: int = 0
    verdicts: Counter = field(default_factory=Counter)  # correct / partial / incorrect
    ratings: Counter = field(default_factory=Counter)  # "Again" / "Hard" / "Good" / "Easy"
    time_ms: int = 0

    @property
    def correct(self) -> int:
        return self.verdicts.get("correct", 0)

    def to_dict(self) -> dict:
        return {
            "mode": self.mode,
            "cram": self.cram,
            "reviewed": self.reviewed,
            "skipped": self.skipped,
            "remaining": self.remaining,
            "verdicts": dict(self.verdicts),
            "ratings": dict(self.ratings),
            "time_ms": self.time_ms,
        }

    def __str__(self) -> str:
        parts = [f"{self.reviewed} reviewed"]
        if self.reviewed:
            parts.append(f"{self.correct} correct")
        if self.skipped:
            parts.append(f"{self.skipped} skipped")
        if self.remaining:
            parts.append(f"{self.remaining} left")
        parts.append(f"{self.time_ms / 60000:.1f} min")
        return ("Cram: " if self.cram else "") + ", ".join(parts)


class Session:
    """One run through a queue of cards; see the module docstring for the protocol."""

    def __init__(
        self,
        db: sqlite_utils.Database,
        mode: str = "review",
        *,
        lesson: str | None = None,
        limit: int | None = None,
        cram: bool = False,
        clock: Callable[[], datetime] = utcnow,
        ids: list[str] | None = None,
    ):
        if mode not in MODES:
            raise SessionError(f"unknown session mode {mode!r} (use one of {', '.join(MODES)})")
        self.db = db
        self.mode = mode
        self.lesson = lesson
        self.cram = cram
        self.clock = clock
        self.scheduler = schedule.scheduler(db)
        now = clock()
        if ids is None:
            if cram:
                ids = queue.cram_ids(
                    db,
                    now,
                    lesson=lesson,
                    limit=limit or (queue.DEFAULT_QUIZ_SIZE if mode == "quiz" else None),
                )
            elif mode == "quiz":
                size = limit or queue.DEFAULT_QUIZ_SIZE
                ids = queue.quiz_ids(db, now, lesson=lesson, limit=size)
            else:
                ids = queue.build_queue(db, now, lesson=lesson).ids
                if limit:
                    ids = ids[:limit]
        self._queue: list[str] = list(ids)
        self._learning: list[tuple[datetime, str]] = []  # (due, card id), review mode only
        self.current: StudyCard | None = None
        self.pending: Submission | None = None
        self._shown_at: float | None = None
        self._summary = SessionSummary(mode=mode, cram=cram)

    # -- progress --------------------------------------------------------------------

    @property
    def remaining(self) -> int:
        """Cards still to show (including learning cards that will come back)."""
        return len(self._queue) + len(self._learning)

    @property
    def done(self) -> int:
        return self._summary.reviewed + self._summary.skipped

    def peek_ids(self) -> list[str]:
        return list(self._queue)

    # -- the loop -------------------------------------------------------------------------

    def next_card(self) -> StudyCard | None:
        """The next card to show, or None when the session is over."""
        if self.pending is not None:
            raise SessionError("rate (or skip) the answered card before the next one")
        self.current = None
        while True:
            card_id = self._pick()
            if card_id is None:
                return None
            card = get_card(self.db, card_id)
            if card is not None and card.status == "active":
                self.current = card
                self._shown_at = time.monotonic()
                return card

    def _pick(self) -> str | None:
        now = self.clock()
        self._learning.sort()
        if self._learning and self._learning[0][0] <= now:
            return self._learning.pop(0)[1]
        if self._queue:
            return self._queue.pop(0)
        if self._learning and self._learning[0][0] <= now + queue.LEARN_AHEAD:
            return self._learning.pop(0)[1]
        self._learning.clear()
        return None

    def submit(
        self,
        answer: str | bytes,
        duration_ms: int | None = None,
        grader: Callable[..., Grade] | None = None,
    ) -> Submission:
        """Grade the answer to the current card (nothing is saved until `rate`).

        `grader` takes the arguments of `tutor.grade.grade` (the default); the TUI
        passes one that grades in the process that already holds the model.
        """
        if self.current is None:
            raise SessionError("no card is being shown")
        text = check_answer(answer)
        if duration_ms is None:
            started = self._shown_at or time.monotonic()
            duration_ms = int((time.monotonic() - started) * 1000)
        from tutor.grade import grade

        card = self.current
        result = (grader or grade)(
            card.question,
            card.answer,
            text,
            kind=card.kind,
            accept=card.accept,
            choices=card.choices,
        )
        suggested = schedule.suggest_rating(result.verdict, duration_ms, card.kind)
        self.pending = Submission(card, text, result, suggested, max(0, int(duration_ms)))
        return self.pending

    def rate(self, rating: Rating | int | str | None = None) -> schedule.ReviewResult:
        """Record the review (the suggested rating unless overridden) and commit it."""
        sub = self.pending
        if sub is None:
            raise SessionError("submit an answer before rating it")
        chosen = sub.suggested if rating is None else schedule.parse_rating(rating)
        now = self.clock()
        result = schedule.record_review(
            self.db,
            sub.card.id,
            chosen,
            now=now,
            duration_ms=sub.duration_ms,
            answer=sub.answer,
            verdict=sub.grade.verdict,
            score=sub.grade.score,
            suggested=sub.suggested,
            cram=self.cram,
            sched=self.scheduler,
        )
        self.pending = None
        self.current = None
        s = self._summary
        s.reviewed += 1
        s.verdicts[sub.grade.verdict] += 1
        s.ratings[schedule.RATING_NAMES[chosen]] += 1
        s.time_ms += sub.duration_ms
        if (
            self.mode == "review"
            and not self.cram
            and result.state in (State.Learning, State.Relearning)
            and result.due <= now + queue.LEARN_AHEAD * 3
        ):
            self._learning.append((result.due, sub.card.id))
        return result

    def skip(self) -> None:
        """Move on without recording a review (e.g. after an AnswerError)."""
        if self.current is None and self.pending is None:
            return
        self.pending = None
        self.current = None
        self._summary.skipped += 1

    def put_back(self) -> None:
        """Return the shown, unanswered card to the front of the queue (e.g. on quit)."""
        if self.current is not None:
            self._queue.insert(0, self.current.id)
        self.pending = None
        self.current = None

    def summary(self) -> SessionSummary:
        self._summary.remaining = self.remaining
        return self._summary

    def cards(self) -> list[StudyCard]:
        """The cards still queued (for a preview list)."""
        return get_cards(self.db, self._queue)
