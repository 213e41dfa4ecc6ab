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
- "review": today's queue from `srs.build_queue` (due cards, lowest retrievability
  first, then new cards up to the daily limit). A card rated into a (re)learning step
  comes back in the same session when its step is due, or early (up to
  `srs.LEARN_AHEAD`) once nothing else is left: FSRS's learning steps.
- "quiz": `limit` cards (default 10) of one lesson or all: due cards, then new cards
  in lesson order, then the least well remembered; reviews are recorded and
  rescheduled like any other.
- `cram=True` (either mode): every card is fair game (lowest retrievability first,
  then unseen); reviews go to the log with cram=1 but no card is rescheduled.

`submit` accepts str or bytes; invalid UTF-8, NUL/control bytes, or more than
`MAX_ANSWER_CHARS` characters raise `AnswerError` (a TutorError with a one-line
message) and leave the card unanswered. `rate` is the only write, and it is one
committed transaction (see `srs.record_review`). `skip` moves on without a review;
`put_back` returns the shown card to the queue (leaving mid-card is not a skip).
`remaining`, `done`, `cards()` (the queued StudyCards) and `summary()` report progress.
Helpers that build id lists for `Session(ids=...)`: `quiz_ids`, `cram_ids`, `weakest_ids`.
Time comes from `clock` (default `store.utcnow`), so tests can simulate days.
"""

from __future__ import annotations

import re
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, BinaryIO

from fsrs import Rating, State

from tutor import srs
from tutor.cards import StudyCard, get_card, get_cards
from tutor.errors import TutorError
from tutor.store import utcnow

if TYPE_CHECKING:
    import sqlite_utils

    from tutor.grade import Grade

MAX_ANSWER_CHARS = 5_000
DEFAULT_QUIZ_SIZE = 10
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


def quiz_ids(
    db: sqlite_utils.Database,
    now: datetime,
    *,
    lesson: str | None = None,
    limit: int = DEFAULT_QUIZ_SIZE,
) -> list[str]:
    """Due cards, then new cards in lesson order, then the least well remembered."""
    ids = srs.due_ids(db, now, lesson=lesson)[:limit]
    if len(ids) < limit:
        ids += srs.new_ids(db, limit - len(ids), lesson=lesson)
    if len(ids) < limit:
        ids += [i for i in weakest_ids(db, now, lesson=lesson, limit=limit) if i not in ids]
    return ids[:limit]


def weakest_ids(
    db: sqlite_utils.Database,
    now: datetime,
    *,
    lesson: str | None = None,
    limit: int | None = None,
) -> list[str]:
    """Reviewed active cards, lowest retrievability first."""
    args: list[object] = [srs._julian(now)]
    sql = (
        "SELECT id FROM cards WHERE status = 'active' AND last_review IS NOT NULL"
        + (" AND lesson_id = ?" if lesson else "")
        + " ORDER BY (? - julianday(last_review)) / max(stability, 0.001) DESC, id"
    )
    if lesson:
        args.insert(0, lesson)
    if limit is not None:
        sql += " LIMIT ?"
        args.append(limit)
    return [r[0] for r in db.execute(sql, args)]


def cram_ids(
    db: sqlite_utils.Database,
    now: datetime,
    *,
    lesson: str | None = None,
    limit: int | None = None,
) -> list[str]:
    """Every active card: the least well remembered first, then the unseen in lesson order."""
    ids = weakest_ids(db, now, lesson=lesson, limit=limit)
    if limit is None or len(ids) < limit:
        args: list[object] = []
        sql = "SELECT id FROM cards WHERE status = 'active' AND last_review IS NULL"
        if lesson:
            sql += " AND lesson_id = ?"
            args.append(lesson)
        sql += " ORDER BY lesson_order, position"
        if limit is not None:
            sql += " LIMIT ?"
            args.append(limit - len(ids))
        ids += [r[0] for r in db.execute(sql, args)]
    return ids


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
        self.scheduler = srs.scheduler(db)
        now = clock()
        if ids is None:
            if cram:
                ids = cram_ids(
                    db,
                    now,
                    lesson=lesson,
                    limit=limit or (DEFAULT_QUIZ_SIZE if mode == "quiz" else None),
                )
            elif mode == "quiz":
                ids = quiz_ids(db, now, lesson=lesson, limit=limit or DEFAULT_QUIZ_SIZE)
            else:
                ids = srs.build_queue(db, now, lesson=lesson).ids
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
        if self._learning and self._learning[0][0] <= now + srs.LEARN_AHEAD:
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
        suggested = srs.suggest_rating(result.verdict, duration_ms, card.kind)
        self.pending = Submission(card, text, result, suggested, max(0, int(duration_ms)))
        return self.pending

    def rate(self, rating: Rating | int | str | None = None) -> srs.ReviewResult:
        """Record the review (the suggested rating unless overridden) and commit it."""
        sub = self.pending
        if sub is None:
            raise SessionError("submit an answer before rating it")
        chosen = sub.suggested if rating is None else srs.parse_rating(rating)
        now = self.clock()
        result = srs.record_review(
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
        s.ratings[srs.RATING_NAMES[chosen]] += 1
        s.time_ms += sub.duration_ms
        if (
            self.mode == "review"
            and not self.cram
            and result.state in (State.Learning, State.Relearning)
            and result.due <= now + srs.LEARN_AHEAD * 3
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


# --- the plain-terminal driver (used by `tutor quiz` and `tutor review`) -----------------

READ_LIMIT = 64 * 1024  # bytes read per line; longer lines are drained and refused
RATE_LINE = re.compile(r"^\s*rate\s*:\s*(\S+)\s*$", re.I)
LETTERS = "abcdef"
EXCERPT_CHARS = 320  # of the teaching chunk, shown after answering


def read_line(stream: BinaryIO, limit: int = READ_LIMIT) -> bytes | AnswerError | None:
    """One line of raw bytes (without the newline), an AnswerError for an over-long
    line (drained, so the next line is read correctly), or None at end of input."""
    line = stream.readline(limit)
    if not line:
        return None
    if not line.endswith(b"\n") and len(line) >= limit:
        size = len(line)
        while True:
            more = stream.readline(limit)
            size += len(more)
            if not more or more.endswith(b"\n"):
                break
        return AnswerError(f"answer is too long ({size:,} bytes); skipped")
    return line.rstrip(b"\r\n")


def format_card(card: StudyCard, number: int, total: int) -> str:
    lines = [f"[{number}/{total}] {card.lesson_title}", card.question]
    lines += [f"  {LETTERS[i]}) {choice}" for i, choice in enumerate(card.choices)]
    return "\n".join(lines)


def format_feedback(sub: Submission) -> str:
    card = sub.card
    lines = [f"{sub.grade.verdict.capitalize()} ({sub.grade.score:.0%})", sub.grade.feedback]
    if card.explanation and card.explanation not in sub.grade.feedback:
        lines.append(f"Why: {card.explanation}")
    if card.source_heading:
        lines.append(f"Learn more: {card.source_heading} ({card.source_ref})")
    if card.source_text:
        excerpt = " ".join(card.source_text.split())
        if len(excerpt) > EXCERPT_CHARS:
            excerpt = excerpt[:EXCERPT_CHARS].rsplit(" ", 1)[0] + " …"
        lines.append(f"  {excerpt}")
    return "\n".join(lines)


def describe_result(result: srs.ReviewResult) -> str:
    name = srs.RATING_NAMES[result.rating]
    if result.cram:
        return f"Recorded: {name} (cram: schedule unchanged)."
    seconds = max(0, (result.due - result.reviewed_at).total_seconds())
    if seconds < 3600:
        when = f"{max(1, round(seconds / 60))} min"
    elif seconds < 86400 * 1.5:
        when = f"{round(seconds / 3600)} h"
    else:
        when = f"{round(seconds / 86400)} days"
    return f"Recorded: {name}. Next review in {when}."


def run_plain(
    session: Session,
    stdin: BinaryIO,
    write: Callable[[str], None],
    *,
    interactive: bool,
    ask: Callable[[str], str] | None = None,
) -> SessionSummary:
    """Drive a session in a plain terminal or from piped lines (see `tutor review --help`).

    Piped: each line is one answer; the suggested rating is recorded unless the next
    line is `rate: N` (1-4 or again/hard/good/easy). A line `/skip` skips the card,
    `/quit` ends the session. Each review is committed before "Recorded" is written.
    Interactive: `ask(prompt)` reads the answer and then the rating (Enter = suggested).
    """
    pushed: list[bytes | AnswerError | None] = []

    def next_line() -> bytes | AnswerError | None:
        return pushed.pop() if pushed else read_line(stdin)

    total = session.remaining
    number = 0
    while (card := session.next_card()) is not None:
        number += 1
        total = max(total, number + session.remaining)
        write(format_card(card, number, total))
        started = time.monotonic()
        if interactive and ask is not None:
            try:
                raw: bytes | AnswerError | None = ask("Your answer").encode(
                    "utf-8", "surrogateescape"
                )
            except UnicodeDecodeError:
                raw = AnswerError("answer is not valid UTF-8 text; skipped")
        else:
            raw = next_line()
        if raw is None:
            session.put_back()
            break
        if isinstance(raw, AnswerError):
            write(f"error: {raw}")
            session.skip()
            continue
        command = raw.strip().lower()
        if command == b"/quit":
            session.put_back()
            break
        if command == b"/skip":
            write("Skipped.")
            session.skip()
            continue
        duration = int((time.monotonic() - started) * 1000) if interactive else 0
        try:
            sub = session.submit(raw, duration)
        except AnswerError as exc:
            write(f"error: {exc}")
            session.skip()
            continue
        write(format_feedback(sub))
        suggested = f"{int(sub.suggested)} {srs.RATING_NAMES[sub.suggested]}"
        rating: Rating | None = None
        if interactive and ask is not None:
            while True:
                reply = ask(f"Rating 1 Again, 2 Hard, 3 Good, 4 Easy [Enter = {suggested}]")
                if not reply.strip():
                    break
                try:
                    rating = srs.parse_rating(reply)
                    break
                except srs.ReviewError as exc:
                    write(f"error: {exc}")
        else:
            write(f"Suggested rating: {suggested}")
            following = next_line()
            match = None
            if isinstance(following, bytes):
                match = RATE_LINE.match(following.decode("utf-8", "replace"))
            if match:
                try:
                    rating = srs.parse_rating(match.group(1))
                except srs.ReviewError as exc:
                    write(f"error: {exc}; using the suggested rating")
            else:
                pushed.append(following)
        result = session.rate(rating)
        write(describe_result(result))
    return session.summary()
