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
`undo()` takes back the latest review of the day (`tutor.study.undo`) and puts that
card first in the queue, so the learner answers it again at once; a review of this
session that is undone leaves the summary too. A card suspended or buried while
queued is passed over. A rating that makes a card a leech comes back as
`ReviewResult.leech` (the card is suspended in the same transaction).
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
from tutor.study.clock import iso, utcnow
from tutor.study.undo import UndoResult, undo_last_review

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


def stored_answer(sub: Submission) -> str:
    """What the review log keeps: for a choice picked by number or letter ("2", "b"),
    the choice's text, which still means something after the choices are reshuffled."""
    card, answer = sub.card, sub.answer.strip()
    if card.kind != "mcq" or not card.choices or len(answer) != 1 or not answer.isascii():
        return sub.answer
    index = int(answer) - 1 if answer.isdigit() else ord(answer.lower()) - ord("a")
    return card.choices[index] if 0 <= index < len(card.choices) else sub.answer


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
        examples: Callable[[StudyCard], list] | None = None,
    ):
        if mode not in MODES:
            raise SessionError(f"unknown session mode {mode!r} (use one of {', '.join(MODES)})")
        self.db = db
        self.mode = mode
        self.lesson = lesson
        self.cram = cram
        self.clock = clock
        self.scheduler = schedule.scheduler(db)
        self.leech_at = schedule.leech_lapses(db)
        # a card's labelled answers for the grader (`Tutor.card_examples`)
        self.examples = examples
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
        self._queue: list[str] = queue.space_siblings(db, list(ids))
        self._learning: list[tuple[datetime, str]] = []  # (due, card id), review mode only
        self.current: StudyCard | None = None
        self.pending: Submission | None = None
        self._shown_at: float | None = None
        self._summary = SessionSummary(mode=mode, cram=cram)
        self._rated: dict[int, Submission] = {}  # review id -> what was rated, for undo
        # Two sessions on one data dir (two terminals) build the same queue; a card
        # reviewed since this one started, and not by it, is passed over, not reviewed
        # twice with the schedule going to whichever wrote last.
        self._started_iso = iso(now)
        self._rated_ids: set[str] = set()

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
            if card is not None and self._reviewed_elsewhere(card):
                continue
            if card is not None and card.schedulable_at(iso(self.clock())):
                self.current = card
                self._shown_at = time.monotonic()
                return card

    def _reviewed_elsewhere(self, card: StudyCard) -> bool:
        """Reviewed (rescheduled) since this session began, by another session."""
        return (
            not self.cram
            and card.last_review is not None
            and card.last_review > self._started_iso
            and card.id not in self._rated_ids
        )

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
            **({"examples": self.examples(card)} if self.examples and card.kind == "short" else {}),
        )
        suggested = schedule.suggest_rating(result.verdict, duration_ms, card.kind)
        self.pending = Submission(card, text, result, suggested, max(0, int(duration_ms)))
        return self.pending

    def override(self, verdict: str) -> Submission:
        """The learner's verdict instead of the grader's ("I was right" / "that was
        wrong"), before rating: the suggested rating follows it, and the answer is
        kept at once as a labelled example of this card (`tutor.store.examples`),
        so the next answer like it is graded the same way."""
        from dataclasses import replace

        from tutor.grading.examples import LABELS
        from tutor.store import examples as stored

        sub = self.pending
        if sub is None:
            raise SessionError("there is no graded answer to correct")
        if verdict not in LABELS:
            raise SessionError(f"verdict must be one of {', '.join(LABELS)}, not {verdict!r}")
        if sub.card.kind == "short" and sub.answer.strip():
            stored.add(self.db, sub.card.id, sub.answer, verdict, iso(self.clock()))
        said = {"correct": "correct", "partial": "partly right", "incorrect": "not right"}[verdict]
        rest = sub.grade.feedback.split("\n")[1:]
        grade = replace(
            sub.grade,
            verdict=verdict,
            correct=verdict == "correct",
            # the grader's reason gives way; the reference and the source stay
            feedback="\n".join([f"You marked this answer {said}."] + rest),
            evidence={**sub.grade.evidence, "overridden_from": sub.grade.verdict},
        )
        suggested = schedule.suggest_rating(verdict, sub.duration_ms, sub.card.kind)
        self.pending = replace(sub, grade=grade, suggested=suggested)
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
            answer=stored_answer(sub),
            verdict=sub.grade.verdict,
            score=sub.grade.score,
            suggested=sub.suggested,
            cram=self.cram,
            sched=self.scheduler,
            leech_at=self.leech_at,
        )
        self._rated[result.review_id] = sub
        self._rated_ids.add(sub.card.id)
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

    def undo(self) -> UndoResult:
        """Take back the day's latest review (committed) and show its card next.

        The card on screen, if any, goes back to the queue behind it. Raises
        `tutor.study.undo.UndoError` when there is nothing to undo today.
        """
        if self.pending is not None:
            raise SessionError("rate (or skip) the answered card before undoing")
        result = undo_last_review(self.db, self.clock())
        if self.current is not None:
            self._queue.insert(0, self.current.id)
            self.current = None
        self._learning = [(due, i) for due, i in self._learning if i != result.card_id]
        self._queue = [result.card_id] + [i for i in self._queue if i != result.card_id]
        sub = self._rated.pop(result.review_id, None)
        if sub is not None:
            s = self._summary
            s.reviewed -= 1
            s.verdicts[sub.grade.verdict] -= 1
            s.ratings[schedule.RATING_NAMES[result.rating]] -= 1
            s.time_ms -= sub.duration_ms
            s.verdicts += Counter()  # drop the zero counts
            s.ratings += Counter()
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
