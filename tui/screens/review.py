"""The daily review (and, through `QuizScreen`, the quiz): one card at a time.

The screen drives a `tutor.study.session.Session` (from `Tutor.session`) exactly
as its docstring says:

    question  → the learner types an answer (Enter), or picks a choice with 1-4
    grading   → `session.submit` runs in a thread worker (a short answer loads the
                ONNX sentence model on first use: about half a second)
    feedback  → verdict, reference answer, explanation and the teaching passage;
                1-4 rate (Again/Hard/Good/Easy), Enter accepts the suggested rating
    rated     → `session.rate` commits the review to SQLite *before* the next card
                is shown, so quitting at any moment (esc, q, ctrl+q, a closed
                terminal) loses nothing that was rated
    done      → a summary: right and wrong, ratings, time, when the next card is due

Between cards, ctrl+z (or u when the answer box is not focused) undoes the last
review of the day and shows that card again; after answering, ! suspends the
card, - buries it until tomorrow (neither records the answer), * flags it. A
rating that makes a card a leech says so once, with the passage that teaches it.

An empty answer means "I don't know": it is graded (incorrect) and shows the answer.
Cram mode (`c` when nothing is due, or `cram=True`) goes over every card and logs the
reviews without rescheduling anything.
"""

from __future__ import annotations

import time

from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Footer, Header, Input, Markdown, OptionList, ProgressBar, Static
from textual.widgets.option_list import Option

from tui.workers import thread_work
from tutor.errors import TutorError
from tutor.study.clock import describe_wait
from tutor.study.feedback import verdict_parts
from tutor.study.schedule import RATING_NAMES

RATING_LABELS = {int(rating): name for rating, name in RATING_NAMES.items()}
VERDICT_STYLES = {
    "correct": ("✓ Correct", "bold $text-success"),
    "partial": ("◐ Partly right", "bold $text-warning"),
    "incorrect": ("✕ Not quite", "bold $text-error"),
}
MAX_SOURCE_CHARS = 1_200  # the teaching passage is cut here (the lesson has the rest)


def keys_content(*pairs: tuple[str, str]) -> Content:
    """'enter back  ·  c cram' as styled content."""
    parts: list = []
    for i, (key, label) in enumerate(pairs):
        if i:
            parts.append(("  ·  ", "dim"))
        parts += [(key, "bold $accent"), f" {label}"]
    return Content.assemble(*parts)


class ReviewScreen(Screen):
    """Today's review queue; `QuizScreen` is the same loop over a quiz's cards."""

    CSS_PATH = "review.tcss"
    MODE = "review"

    BINDINGS = [
        Binding("escape", "leave", "Back"),
        Binding("q", "leave", "Quit", show=False),
        Binding("enter", "accept", "Accept", show=False, tooltip="Accept the suggested rating"),
        Binding("ctrl+s", "skip", "Skip card"),
        Binding("c", "cram", "Cram", show=False),
        Binding("o", "open_source", "Open lesson", show=False),
        Binding("1", "number(1)", "Again", show=False, tooltip="Rate Again (or pick choice 1)"),
        Binding("2", "number(2)", "Hard", show=False, tooltip="Rate Hard (or pick choice 2)"),
        Binding("3", "number(3)", "Good", show=False, tooltip="Rate Good (or pick choice 3)"),
        Binding("4", "number(4)", "Easy", show=False, tooltip="Rate Easy (or pick choice 4)"),
        Binding(
            "ctrl+z,u",
            "undo",
            "Undo",
            show=False,
            tooltip="Undo the last review and answer that card again",
        ),  # fmt: skip
        Binding(
            "exclamation_mark",
            "hold('suspend')",
            "Suspend",
            show=False,
            key_display="!",
            tooltip="Suspend this card (after answering; no review is recorded)",
        ),  # fmt: skip
        Binding(
            "minus",
            "hold('bury')",
            "Bury",
            show=False,
            key_display="-",
            tooltip="Bury this card until tomorrow (after answering)",
        ),  # fmt: skip
        Binding(
            "y",
            "override('correct')",
            "I was right",
            show=False,
            tooltip="Mark your answer right; the grader grades it so next time (short answers)",
        ),  # fmt: skip
        Binding(
            "n",
            "override('incorrect')",
            "That was wrong",
            show=False,
            tooltip="Mark your answer wrong; the grader grades it so next time (short answers)",
        ),  # fmt: skip
        Binding(
            "asterisk",
            "flag",
            "Flag",
            show=False,
            key_display="*",
            tooltip="Flag this card for later, or take the flag off",
        ),  # fmt: skip
    ]

    COMMANDS_HERE = [
        (
            "I was right",
            "Mark this answer correct; it is graded so next time",
            "override('correct')",
        ),
        (
            "That was wrong",
            "Mark this answer wrong; it is graded so next time",
            "override('incorrect')",
        ),
        ("Undo the last review", "Take it back and answer that card again", "undo"),
        ("Suspend this card", "Never schedule it until unsuspended", "hold('suspend')"),
        ("Bury this card until tomorrow", "Hide it for the rest of the day", "hold('bury')"),
        ("Flag this card", "Mark it for later (or take the flag off)", "flag"),
        ("Skip this card", "Move on without recording a review", "skip"),
        ("Cram", "Go over every card without changing the schedule", "cram"),
        ("Open the lesson of this card", "Show the passage that teaches this card", "open_source"),
    ]

    def __init__(
        self,
        *,
        lesson_id: str | None = None,
        section_id: str | None = None,
        cram: bool = False,
        limit: int | None = None,
        ids: list[str] | None = None,
    ) -> None:
        super().__init__()
        self.lesson_id = lesson_id
        self.section_id = section_id
        self.cram = cram
        self.limit = limit
        self._ids = ids
        self.session = None
        self.state = "loading"  # loading | question | grading | feedback | done | empty
        self.submission = None
        self.number = 0  # cards shown so far
        self._started = time.monotonic()
        self._shown_at = time.monotonic()
        self._token = 0  # bumps with every card, so a late grade never lands on another
        self._last_recorded: Content | None = None

    # ------------------------------------------------------------------ layout

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="progress-row"):
            yield Static(Content(""), id="progress-text")
            yield ProgressBar(total=1, show_eta=False, show_percentage=False, id="progress")
        with VerticalScroll(id="review-body"):
            yield Static(Content(""), id="recorded")
            with Vertical(id="card", classes="card"):
                yield Static(Content("Loading the cards…"), id="question")
                yield OptionList(id="choices")
                yield Input(
                    placeholder="Type your answer · Enter with nothing shows the answer",
                    id="answer",
                    max_length=5_000,
                )
            yield Static(Content(""), id="status")
            with Vertical(id="feedback"):
                yield Static(Content(""), id="verdict")
                # a grid, so a long answer wraps under itself, not under its label
                with Grid(id="reference"):
                    for name, label in (
                        ("yours", "Your answer"),
                        ("answer", "Answer"),
                        ("why", "Why"),
                    ):
                        yield Static(Content.styled(label, "bold"), classes=f"ref-label ref-{name}")
                        yield Static(Content(""), id=f"ref-{name}", classes=f"ref-{name}")
                with Vertical(id="source", classes="card"):
                    yield Markdown(id="source-text", open_links=False)
            yield Static(Content(""), id="summary", classes="card")
        yield Static(Content(""), id="rating-bar")
        yield Footer()

    def on_mount(self) -> None:
        self.title = self.heading()
        for selector in ("#choices", "#answer", "#feedback", "#summary", "#rating-bar"):
            self.query_one(selector).display = False
        self.start_session()

    def heading(self) -> str:
        name = "Cram" if self.cram else ("Quiz" if self.MODE == "quiz" else "Daily review")
        if self.lesson_id and self.app.course is not None:
            lesson = self.app.course.lesson(self.lesson_id)
            if lesson is not None:
                section = lesson.section(self.section_id or "")
                if section is None:
                    return f"{name}: {lesson.title}"
                # by number, not by title: "Quiz: How do I stop my model from
                # overfitting?" gave away the cloze whose answer is "overfitting"
                number = lesson.sections.index(section) + 1
                return f"{name}: {lesson.title}, section {number} of {len(lesson.sections)}"
        return name

    # ----------------------------------------------------------------- session

    def start_session(self) -> None:
        if self.app.db is None:
            self.show_empty("The store is not open yet; try again in a moment.")
            return
        try:
            self.session = self.app.tutor.session(
                self.MODE,
                lesson=self.lesson_id,
                section=self.section_id,
                limit=self.limit,
                cram=self.cram,
                ids=None if self._ids is None else list(self._ids),
            )
        except TutorError as exc:
            self.show_empty(str(exc))
            return
        self._started = time.monotonic()
        self.number = 0
        self.title = self.heading()
        self.show_next()
        if self.session.current is not None and any(
            c.kind == "short" for c in [self.session.current, *self.session.cards()]
        ):
            self.app.action_load_model()  # while the learner reads the first question

    def total(self) -> int:
        s = self.session
        if s is None:
            return 0
        return s.done + s.remaining + (1 if s.current is not None else 0)

    def show_progress(self) -> None:
        total = max(self.total(), 1)
        done = self.session.done if self.session else 0
        mode = "cram · " if self.cram else ""
        text = Content.assemble(
            (f"{mode}card {min(self.number, total)} of {total}", "bold"),
            (f"  ·  {done} done", "$text-muted"),
        )
        self.query_one("#progress-text", Static).update(text)
        bar = self.query_one("#progress", ProgressBar)
        bar.update(total=total, progress=done)

    def show_next(self) -> None:
        """Show the next card, or the summary when the session is over."""
        session = self.session
        card = session.next_card()
        self._token += 1
        self.submission = None
        if card is None:
            self.finish()
            return
        self.number += 1
        self.state = "question"
        self._shown_at = time.monotonic()
        self.show_progress()
        recorded = self.query_one("#recorded", Static)
        recorded.update(self._last_recorded or Content(""))
        recorded.display = self._last_recorded is not None
        self.query_one("#card").border_title = Content(card.lesson_title)  # never markup
        question = Content(card.question)
        if card.is_new:
            question = Content.assemble(("new  ", "bold $text-accent"), question)
        self.query_one("#question", Static).update(question)
        self.query_one("#feedback").display = False
        self.query_one("#summary").display = False
        self.query_one("#card").display = True
        self.set_status(None)
        choices = self.query_one("#choices", OptionList)
        answer = self.query_one("#answer", Input)
        if card.kind == "mcq" and card.choices:
            choices.set_options(
                Option(Content.assemble((f"{i}  ", "bold $accent"), text), id=str(i))
                for i, text in enumerate(card.choices, start=1)
            )
            # nothing highlighted: the Enter that accepted the last rating, pressed
            # twice, must not answer this card with its first choice
            choices.highlighted = None
            choices.display = True
            choices.disabled = False
            answer.display = False
            choices.focus()
        else:
            choices.display = False
            answer.display = True
            answer.disabled = False
            answer.value = ""
            answer.focus()
        self.show_rating_bar()
        self.refresh_bindings()
        self.query_one("#review-body", VerticalScroll).scroll_home(animate=False)

    def set_status(self, text: Content | None) -> None:
        status = self.query_one("#status", Static)
        status.update(text or Content(""))
        status.display = text is not None

    # ------------------------------------------------------------ answering

    def on_key(self, event: events.Key) -> None:
        """On a multiple-choice card, a typed letter is an attempt to answer, not a
        command: without this, typing "supervised" there undid the last review at
        its "u" and left the screen at a "q". A text card's answer box takes the
        letters itself; ctrl+z, esc and the digits still work here."""
        card = self.session.current if self.session else None
        if (
            self.state == "question"
            and card is not None
            and card.kind == "mcq"
            and event.character
            and event.character.isalpha()
        ):
            event.stop()
            event.prevent_default()
            self.set_status(
                Content.styled(
                    f"Pick a choice with its number, 1 to {len(card.choices)}, "
                    "or with the arrows and Enter.",
                    "$text-warning",
                )
            )

    @on(Input.Submitted, "#answer")
    def answer_typed(self, event: Input.Submitted) -> None:
        event.stop()
        self.submit(event.value)

    @on(OptionList.OptionSelected, "#choices")
    def choice_picked(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.submit(str(event.option.id))

    def submit(self, answer: str) -> None:
        if self.state != "question" or self.session is None:
            return
        from tutor.study.session import check_answer

        try:
            check_answer(answer)
        except TutorError as exc:
            self.set_status(Content.styled(str(exc), "$text-error"))
            return
        self.state = "grading"
        duration_ms = int((time.monotonic() - self._shown_at) * 1000)
        self.query_one("#answer", Input).disabled = True
        self.query_one("#choices", OptionList).disabled = True
        card = self.session.current
        wait = "grading…"
        if card is not None and card.kind == "short" and not self.app.tutor.model_loaded:
            wait = "grading… (loading the sentence model the first time)"
        self.set_status(Content.styled(wait, "italic $text-muted"))
        self.refresh_bindings()
        self.grade(answer, duration_ms, self._token)

    @thread_work("grade")
    def grade(self, answer: str, duration_ms: int, token: int) -> None:
        try:
            sub = self.session.submit(answer, duration_ms, grader=self.app.tutor.grade)
        except Exception as exc:  # noqa: BLE001 — one line for the learner, never a crash
            message = str(exc) if isinstance(exc, TutorError) else f"{type(exc).__name__}: {exc}"
            self.app.call_from_thread(self.grade_failed, message, token)
            return
        self.app.call_from_thread(self.show_feedback, sub, token)

    def grade_failed(self, message: str, token: int) -> None:
        if token != self._token or not self.is_attached:
            return
        self.state = "question"
        self.set_status(Content.styled(f"Could not grade: {message}", "$text-error"))
        answer = self.query_one("#answer", Input)
        answer.disabled = False
        self.query_one("#choices", OptionList).disabled = False
        (answer if answer.display else self.query_one("#choices")).focus()
        self.refresh_bindings()

    def show_feedback(self, sub, token: int) -> None:
        if token != self._token or not self.is_attached:
            return
        self.submission = sub
        self.state = "feedback"
        card = sub.card
        self.set_status(None)
        label, style = VERDICT_STYLES.get(sub.grade.verdict, (sub.grade.verdict, "bold"))
        # the grader's reason without its own verdict word ("✕ Not quite  Not quite: …"),
        # and no score: the grader's P(correct) reads as a mark ("✓ Correct 44%")
        _, why = verdict_parts(sub.grade)
        verdict = Content.styled(label, style)
        if why:
            verdict = Content.assemble(verdict, "  ", (why, "$text-muted"))
        yours = sub.answer
        if card.kind == "mcq" and card.choices and yours.isdigit():
            index = int(yours) - 1
            if 0 <= index < len(card.choices):
                yours = f"{yours}) {card.choices[index]}"
        self.query_one("#verdict", Static).update(verdict)
        self.query_one("#ref-yours", Static).update(
            Content(yours) if yours else Content.styled("(none)", "dim italic")
        )
        self.query_one("#ref-answer", Static).update(Content.styled(card.answer, "$text-success"))
        why_text = card.explanation if card.explanation.strip() != card.answer.strip() else ""
        self.query_one("#ref-why", Static).update(Content(why_text))
        for widget in self.query(".ref-why"):
            widget.display = bool(why_text.strip())
        source = self.query_one("#source", Vertical)
        if card.source_text:
            text = card.source_text.strip()
            if len(text) > MAX_SOURCE_CHARS:
                text = text[:MAX_SOURCE_CHARS].rsplit(" ", 1)[0] + " …"
            self.query_one("#source-text", Markdown).update(text)
            source.border_title = Content(card.source_heading or "From the lesson")
            ref = f"{card.source_ref} · o open" if card.source_ref else "o open"
            source.border_subtitle = Content(ref)
            source.display = True
        else:
            source.display = False
        self.query_one("#feedback").display = True
        # the answer box and the choices make room: "Your answer" says what was given
        self.query_one("#answer").display = False
        self.query_one("#choices").display = False
        self.show_rating_bar()
        self.refresh_bindings()
        body = self.query_one("#review-body", VerticalScroll)
        body.focus()
        self.call_after_refresh(
            body.scroll_to_widget, self.query_one("#feedback"), top=False, animate=False
        )

    def show_rating_bar(self) -> None:
        bar = self.query_one("#rating-bar", Static)
        if self.state != "feedback" or self.submission is None:
            bar.display = False
            return
        suggested = int(self.submission.suggested)
        parts: list = []
        for n, name in RATING_LABELS.items():
            if parts:
                parts.append(("  ", ""))
            style = "bold reverse $accent" if n == suggested else "bold $accent"
            parts += [(f" {n} ", style), (f" {name}", "bold" if n == suggested else "")]
        parts += [("   enter ", "bold $accent"), (f"= {RATING_LABELS[suggested]}", "$text-muted")]
        sub = self.submission
        if sub.card.kind == "short" and sub.answer.strip():
            key, says = (
                ("n", "it was wrong") if sub.grade.verdict == "correct" else ("y", "I was right")
            )
            parts += [(f"   {key} ", "bold $accent"), (says, "$text-muted")]
        bar.update(Content.assemble(*parts))
        bar.display = True

    # --------------------------------------------------------------- rating

    def action_number(self, n: int) -> None:
        if self.state == "feedback":
            self.rate(n)
        elif self.state == "question" and self.session and self.session.current:
            card = self.session.current
            if card.kind == "mcq" and 1 <= n <= len(card.choices):
                self.submit(str(n))

    def action_accept(self) -> None:
        if self.state == "feedback":
            self.rate(None)
        elif self.state in ("done", "empty"):
            self.app.pop_screen()

    def rate(self, rating: int | None) -> None:
        """Commit the review (before anything else is shown), then the next card."""
        if self.session is None or self.submission is None:
            return
        try:
            result = self.session.rate(rating)
        except TutorError as exc:
            self.notify(f"The review was not saved: {exc}", severity="error", markup=False)
            return
        name = RATING_NAMES[result.rating]
        if result.cram:
            note = f"Recorded: {name} (cram: the schedule is unchanged)."
        else:
            note = (
                f"Recorded: {name}. Next review {describe_wait(result.interval.total_seconds())}."
            )
        self._last_recorded = Content.styled(note, "$text-muted")
        self.submission = None
        if result.leech:  # told once: the review that made it a leech
            self.notify(
                self.app.tutor.leech_notice(result.card_id, result.lapses),
                title="A leech",
                severity="warning",
                timeout=20,
                markup=False,
            )
        self.show_next()

    def action_skip(self) -> None:
        if self.session is None or self.state not in ("question", "feedback"):
            return
        self.session.skip()
        self._last_recorded = Content.styled("Skipped (nothing recorded).", "$text-muted")
        self.show_next()

    # ------------------------------------------------------------------ end

    def finish(self) -> None:
        self.state = "done"
        session = self.session
        summary = session.summary()
        self.query_one("#card").display = False
        self.query_one("#feedback").display = False
        self.query_one("#recorded").display = False
        self.set_status(None)
        if summary.reviewed == 0 and summary.skipped == 0:
            self.show_empty()
            return
        now = self.app.tutor.clock()
        due = self.app.tutor.next_due()
        minutes = (time.monotonic() - self._started) / 60
        right = summary.verdicts.get("correct", 0)
        partial = summary.verdicts.get("partial", 0)
        wrong = summary.verdicts.get("incorrect", 0)
        rows: list = [
            ("Session over\n\n", "bold"),
            (f"{summary.reviewed:>4}", "bold"),
            f" card{'' if summary.reviewed == 1 else 's'} rated",
        ]
        if summary.skipped:
            rows += [f", {summary.skipped} skipped"]
        rows += [
            "\n",
            (f"{right:>4}", "bold $text-success"),
            " right   ",
            (f"{partial}", "bold $text-warning"),
            " partly   ",
            (f"{wrong}", "bold $text-error"),
            " wrong\n",
        ]
        ratings = "  ".join(
            f"{name} {summary.ratings.get(name, 0)}" for name in RATING_LABELS.values()
        )
        rows += [("     ratings: ", "$text-muted"), ratings, "\n"]
        rows += [(f"{minutes:>4.1f}", "bold"), " min in this session\n"]
        if session.cram:
            rows += [("     cram: no card was rescheduled\n", "$text-muted")]
        if due is not None:
            when = describe_wait((due - now).total_seconds())
            rows += [("     next card due ", "$text-muted"), (when, "bold"), "\n"]
        rows += ["\n", keys_content(("enter", "back"), ("c", "cram every card"))]
        summary_widget = self.query_one("#summary", Static)
        summary_widget.border_title = "Summary"
        summary_widget.update(Content.assemble(*rows))
        summary_widget.display = True
        self.show_progress()
        self.show_rating_bar()
        self.refresh_bindings()
        self.query_one("#review-body").focus()
        self.app.refresh_summary()

    def show_empty(self, message: str | None = None) -> None:
        self.state = "empty"
        self.query_one("#card").display = False
        self.query_one("#progress-text", Static).update(Content.styled(self.heading(), "bold"))
        if message is None:
            count = self.app.tutor.card_count() if self.app.db is not None else 0
            if count == 0:
                message = (
                    "There are no review cards yet. They are made from the course as it "
                    "loads (see the home screen); come back in a moment."
                )
            elif self.MODE == "review":
                message = "Nothing is due right now. Well done!"
            else:
                message = "No cards to quiz on here."
        text = Content.assemble(
            (message, ""),
            "\n\n",
            keys_content(("c", "cram: go over every card anyway"), ("esc", "back")),
        )
        summary_widget = self.query_one("#summary", Static)
        summary_widget.border_title = Content(self.heading())
        summary_widget.update(text)
        summary_widget.display = True
        self.refresh_bindings()
        self.query_one("#review-body").focus()

    # -------------------------------------------------------------- actions

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        if action == "undo":
            return self.session is not None and self.state in ("question", "done", "empty")
        if action in ("hold", "flag"):
            return self.state in ("question", "feedback") and self._shown_card() is not None
        if action == "skip":
            return self.state in ("question", "feedback")
        if action == "accept":
            return self.state in ("feedback", "done", "empty")
        if action == "cram":
            return self.state in ("done", "empty")
        if action == "open_source":
            return self.state == "feedback"
        if action == "override":
            sub = self.submission
            return (
                self.state == "feedback"
                and sub is not None
                and sub.card.kind == "short"
                and bool(sub.answer.strip())
                and sub.grade.verdict != parameters[0]
            )
        return True

    def action_override(self, verdict: str) -> None:
        """The learner's verdict instead of the grader's: the suggested rating follows,
        and the answer is kept as a labelled example of this card for the grader."""
        if not self.check_action("override", (verdict,)):
            return
        try:
            sub = self.session.override(verdict)
        except TutorError as exc:
            self.notify(f"Not kept: {exc}", severity="error", markup=False)
            return
        self.show_feedback(sub, self._token)

    def _shown_card(self):
        if self.session is None:
            return None
        return self.submission.card if self.submission else self.session.current

    def action_undo(self) -> None:
        """Take back today's latest review; that card is shown again at once."""
        if self.state == "feedback":
            self.notify("Rate this card (or skip it) first, then undo.", markup=False)
            return
        if self.session is None or self.state not in ("question", "done", "empty"):
            return
        shown = self.session.current is not None
        try:
            result = self.session.undo()
        except TutorError as exc:
            self.notify(str(exc), markup=False)
            return
        self.number = max(0, self.number - (2 if shown else 1))
        name = RATING_NAMES[result.rating]
        self._last_recorded = Content.styled(f"Undone: {name}. Answer it again.", "$text-muted")
        self.show_next()
        self.app.refresh_summary()

    def action_hold(self, what: str) -> None:
        """Suspend or bury the card on screen and move on (its answer is not recorded)."""
        card = self._shown_card()
        if card is None or self.state not in ("question", "feedback"):
            return
        try:
            if what == "suspend":
                self.app.tutor.suspend([card.id])
                note = "Suspended: it is not scheduled until you unsuspend it (card browser)."
            else:
                self.app.tutor.bury([card.id])
                note = "Buried until tomorrow."
        except TutorError as exc:
            self.notify(str(exc), severity="error", markup=False)
            return
        self.session.skip()
        self._last_recorded = Content.styled(note, "$text-muted")
        self.show_next()

    def action_flag(self) -> None:
        card = self._shown_card()
        if card is None:
            return
        try:
            flagged = not self.app.tutor.card(card.id).flagged
            self.app.tutor.flag([card.id], flagged)
        except TutorError as exc:
            self.notify(str(exc), severity="error", markup=False)
            return
        self.notify("Flagged for later." if flagged else "Flag taken off.", markup=False)

    def action_cram(self) -> None:
        if self.state not in ("done", "empty"):
            return
        self.cram = True
        self._ids = None
        self._last_recorded = None
        self.start_session()

    def action_open_source(self) -> None:
        card = self.submission.card if self.submission else None
        if card is not None and self.app.course and self.app.course.lesson(card.lesson_id):
            self.app.open_lesson(card.lesson_id, card.section_id)

    def save_pending(self) -> str | None:
        """Record an answer that was graded but not rated yet, with the suggested rating.

        Leaving (esc, q) or quitting (ctrl+q, which the app routes here) right after
        the verdict used to drop that answer silently. Returns the rating's name,
        or None when there was nothing to record.
        """
        if self.state != "feedback" or self.session is None or self.submission is None:
            return None
        try:
            result = self.session.rate(None)
        except TutorError as exc:
            self.notify(f"The review was not saved: {exc}", severity="error", markup=False)
            return None
        self.submission = None
        self.state = "question"  # nothing pending any more; the screen is closing
        return RATING_NAMES[result.rating]

    def action_leave(self) -> None:
        """Back to where the learner came from; every rated card is already saved, and an
        answer still waiting for its rating is recorded as suggested."""
        saved = self.save_pending()
        if saved is not None:
            self.app.notify(f"Your last answer was recorded as {saved} (the suggested rating).")
        if self.session is not None and self.state != "done":
            self.session.put_back()
        self._token += 1
        self.app.pop_screen()
        self.app.refresh_summary()
