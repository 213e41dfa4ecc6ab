"""The plain-terminal study driver for `tutor quiz` and `tutor review`, and the stats report.

`run_plain` shows a `tutor.study.session.Session` in a plain terminal or reads
piped answers, one per line; the TUI drives the same Session. Imported only by
the commands that study, so `tutor --help` stays quick.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import BinaryIO

from fsrs import Rating

from tutor.cards.model import StudyCard
from tutor.errors import TutorError
from tutor.study import schedule
from tutor.study.clock import describe_wait
from tutor.study.feedback import verdict_line
from tutor.study.leech import leech_notice
from tutor.study.session import AnswerError, Session, SessionSummary, Submission
from tutor.study.stats import Stats
from tutor.text import clean_markdown

READ_LIMIT = 64 * 1024  # bytes read per line; longer lines are drained and refused
RATE_LINE = re.compile(r"^\s*rate\s*:\s*(\S+)\s*$", re.I)
# after an answer, the learner's own verdict on it ("I was right" / "that was wrong")
MARK_LINE = re.compile(r"^\s*mark\s*:\s*(correct|partial|incorrect)\s*$", re.I)
LETTERS = "abcdef"
EXCERPT_CHARS = 320  # of the teaching chunk, shown after answering
TITLE_CHARS = 36  # of a lesson title in the stats report, so a line fits 80 columns


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
    # the verdict once, in words: no "Correct (44%)", whose probability reads as a mark
    rest = sub.grade.feedback.split("\n")[1:]
    lines = [verdict_line(sub.grade), *rest]
    if card.explanation and card.explanation not in sub.grade.feedback:
        lines.append(f"Why: {card.explanation}")
    if card.source_heading:
        lines.append(f"Learn more: {card.source_heading} ({card.source_ref})")
    if card.source_text:
        excerpt = " ".join(clean_markdown(card.source_text).split())
        if len(excerpt) > EXCERPT_CHARS:
            excerpt = excerpt[:EXCERPT_CHARS].rsplit(" ", 1)[0] + " …"
        lines.append(f"  {excerpt}")
    return "\n".join(lines)


def describe_result(result: schedule.ReviewResult) -> str:
    name = schedule.RATING_NAMES[result.rating]
    if result.cram:
        return f"Recorded: {name} (cram: schedule unchanged)."
    return f"Recorded: {name}. Next review {describe_wait(result.interval.total_seconds())}."


def run_plain(
    session: Session,
    stdin: BinaryIO,
    write: Callable[[str], None],
    *,
    interactive: bool,
    ask: Callable[[str], str | None] | None = None,
) -> SessionSummary:
    """Drive a session in a plain terminal or from piped lines (see `tutor review --help`).

    Piped: each line is one answer; the suggested rating is recorded unless the next
    line is `rate: N` (1-4 or again/hard/good/easy). A `mark: correct|partial|incorrect`
    line right after a short answer overrules the grader (kept for that card). A line `/skip` skips the card,
    `/undo` takes back the last review (and shows that card again), `/quit` ends
    the session. Each review is committed before "Recorded" is written.
    Interactive: `ask(prompt)` reads the answer and then the rating (Enter = suggested;
    y / n at that prompt: "I was right" / "that was wrong").
    """
    pushed: list[bytes | AnswerError | None] = []

    def next_line() -> bytes | AnswerError | None:
        return pushed.pop() if pushed else read_line(stdin)

    total = session.remaining
    number = 0
    ended = False  # end of input at the rating prompt: record that answer, then stop
    while (card := session.next_card()) is not None:
        number += 1
        total = max(total, number + session.remaining)
        write(format_card(card, number, total))
        started = time.monotonic()
        if interactive and ask is not None:
            reply = ask("Your answer")  # None: end of input (Ctrl+D)
            try:
                raw: bytes | AnswerError | None = (
                    None if reply is None else reply.encode("utf-8", "surrogateescape")
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
        if command == b"/undo":
            try:
                undone = session.undo()  # the card shown goes back behind the undone one
            except TutorError as exc:
                write(f"error: {exc}")
                session.put_back()
                number -= 1
            else:
                write(f"Undone: {schedule.RATING_NAMES[undone.rating]}; that card again.")
                number = max(0, number - 2)
            continue
        duration = int((time.monotonic() - started) * 1000) if interactive else 0
        try:
            sub = session.submit(raw, duration)
        except AnswerError as exc:
            write(f"error: {exc}")
            session.skip()
            continue
        write(format_feedback(sub))
        suggested = f"{int(sub.suggested)} {schedule.RATING_NAMES[sub.suggested]}"
        rating: Rating | None = None
        if interactive and ask is not None:
            while True:
                mark = _mark_hint(sub)
                reply = ask(f"Rating 1 Again, 2 Hard, 3 Good, 4 Easy{mark} [Enter = {suggested}]")
                if reply is None:  # Ctrl+D: keep the answer (suggested rating), then stop
                    ended = True
                    break
                if not reply.strip():
                    break
                if mark and reply.strip().lower() in ("y", "n"):
                    sub = session.override(
                        "correct" if reply.strip().lower() == "y" else "incorrect"
                    )
                    write(format_feedback(sub))
                    suggested = f"{int(sub.suggested)} {schedule.RATING_NAMES[sub.suggested]}"
                    continue
                try:
                    rating = schedule.parse_rating(reply)
                    break
                except schedule.ReviewError as exc:
                    write(f"error: {exc}")
        else:
            write(f"Suggested rating: {suggested}")
            following = next_line()
            marked = isinstance(following, bytes) and MARK_LINE.match(
                following.decode("utf-8", "replace")
            )
            if marked and _mark_hint(sub):
                sub = session.override(marked.group(1).lower())
                write(format_feedback(sub))
                following = next_line()
            match = None
            if isinstance(following, bytes):
                match = RATE_LINE.match(following.decode("utf-8", "replace"))
            if match:
                try:
                    rating = schedule.parse_rating(match.group(1))
                except schedule.ReviewError as exc:
                    write(f"error: {exc}; using the suggested rating")
            else:
                pushed.append(following)
        result = session.rate(rating)
        write(describe_result(result))
        if result.leech:
            write(leech_notice(card, result.lapses))
        if ended:
            break
    return session.summary()


def _mark_hint(sub) -> str:
    """The prompt's offer to overrule the grader, for a non-empty short answer."""
    if sub.card.kind != "short" or not sub.answer.strip():
        return ""
    return ", n it was wrong" if sub.grade.verdict == "correct" else ", y I was right"


def _minutes(ms: int) -> str:
    minutes = ms / 60000
    return f"{minutes:.0f} min" if minutes >= 10 else f"{minutes:.1f} min"


def _freezes(stats: Stats) -> str:
    """', 1 streak freeze banked (2 missed days bridged)', or '' with neither."""
    n, bridged = stats.streak_freezes, stats.streak_frozen_days
    if not (n or bridged):
        return ""
    text = f", {n} streak freeze{'s' if n != 1 else ''} banked"
    if bridged:
        text += f" ({bridged} missed day{'s' if bridged != 1 else ''} bridged)"
    return text


def format_stats(stats: Stats) -> str:
    """A plain-text report (no markup) for the terminal."""
    lines = [
        f"Today ({stats.today}): {stats.due_today} due, {stats.new_today} new "
        f"(limit {stats.new_per_day}/day), {stats.reviews_today} reviewed, "
        f"{_minutes(stats.time_today_ms)}",
        f"Cards: {stats.cards_active} active ({stats.cards_unseen} not seen yet), "
        f"{stats.cards_retired} retired",
        f"Streak: {stats.streak_days} day{'s' if stats.streak_days != 1 else ''} "
        f"meeting the daily goal of {stats.daily_goal} reviews "
        f"({stats.reviews_today} today{', met' if stats.goal_met_today else ''})" + _freezes(stats),
    ]
    held = [
        f"{n} {name}"
        for n, name in (
            (stats.cards_suspended, "suspended"),
            (stats.cards_leeches, "leech" if stats.cards_leeches == 1 else "leeches"),
            (stats.cards_buried, "buried until tomorrow"),
            (stats.cards_flagged, "flagged"),
        )
        if n
    ]
    if held:
        lines.append("Set aside: " + ", ".join(held))
    if stats.retention is None:
        lines.append("True retention (30 days): no reviews of mature cards yet")
    else:
        lines.append(
            f"True retention (30 days): {stats.retention:.1%} of {stats.retention_reviews} "
            f"reviews (target {stats.desired_retention:.0%})"
        )
    lines.append(
        f"Time spent: {_minutes(stats.time_today_ms)} today, {_minutes(stats.time_30d_ms)} "
        f"in 30 days ({stats.reviews_total} reviews in all)"
    )
    recent = stats.reviews_per_day[-7:]
    lines.append("Reviews, last 7 days: " + ", ".join(f"{d[5:]} {n}" for d, n in recent))
    week = stats.forecast[:7]
    lines.append("Due, next 7 days: " + ", ".join(f"{d[5:]} {n}" for d, n in week))
    later = sum(n for _, n in stats.forecast[7:])
    lines.append(f"Due in the 23 days after: {later}")
    if stats.lessons:
        lines.append("Mastery by lesson (mean recall probability):")
        width = min(TITLE_CHARS, max(len(ls.title) for ls in stats.lessons))
        for ls in stats.lessons:
            title = ls.title if len(ls.title) <= width else ls.title[: width - 1] + "…"
            bar = "#" * round(ls.mastery * 10)
            lines.append(
                f"  {title:<{width}} {ls.mastery:4.0%} {bar:<10} {ls.seen}/{ls.cards} seen, "
                f"{ls.due} due"
            )
    return "\n".join(lines)
