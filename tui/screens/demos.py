"""Demos: small real trainings of the models the course teaches, drawn live.

The list shows every demo in `tutor.demos.DEMOS`; Enter runs one. The demo trains
in a child process (`tutor.demos.process.run_in_child`, so torch never holds this
process's GIL); a thread worker reads its events and hands the UI a copy of its
state at most every `DRAW_EVERY` seconds, so the plots (textual-plotext) and the
latest picture (decision boundary, samples, attention heatmaps, drawn by
`tutor.demos.render`) update live without flooding the screen. `s` (or Esc) stops
a run: the demo's cancel event is set and it ends at its next step.

After a run that finished, its final numbers appear above the plots and two or
three multiple-choice questions about what it showed are asked and graded like
any card (`Tutor.grade(kind="mcq")`). The questions sit below the run, outside
its scroll, so the plot or picture a question is about (`DemoQuestion.look_at`)
stays on screen while the learner answers, even at 80x24; keys 1-9 (and 0 for a
tenth) pick a choice. `t` runs the attention demo on a sentence the learner types.

`DemosScreen(demo=None, lesson_id=None, quick=False)`: with `demo` (or a
`lesson_id` that a demo teaches) the demo starts at once: the lesson reader's
"Run the demo" opens it that way.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Footer, Header, Input, OptionList, ProgressBar, Static
from textual.widgets.option_list import Option
from textual_plotext import PlotextPlot

from tui.workers import thread_work
from tutor.demos import DEMOS, Demo, DemoQuestion

DRAW_EVERY = 0.15  # seconds between redraws while a demo runs
MAX_SERIES = 6  # lines per plot


def demo_for_lesson(lesson_id: str | None) -> Demo | None:
    """The demo that shows what lesson `lesson_id` teaches, if there is one."""
    return next((d for d in DEMOS.values() if d.lesson_id == lesson_id), None)


def split_series(history: dict[str, list[float]]) -> tuple[dict, dict]:
    """(losses, the rest): two plots' worth of metric curves."""
    losses = {k: v for k, v in history.items() if "loss" in k}
    rest = {k: v for k, v in history.items() if k not in losses}
    accuracy = {k: v for k, v in rest.items() if "acc" in k}
    return losses, (accuracy or rest)


def curve_steps(values: list[float], steps: list[int] | None) -> list[int]:
    """The x of each value: the step it was measured at, or 1, 2, … when unknown.

    A validation loss measured at 6 of 300 steps was drawn at x = 1..6, squeezed
    into the start of the plot where nobody could see it (walk-through #17).
    """
    if steps and len(steps) == len(values) and len(set(steps)) == len(steps):
        return list(steps)
    return list(range(1, len(values) + 1))


class DemosScreen(Screen):
    CSS_PATH = "demos.tcss"
    AUTO_FOCUS = "#demo-list"

    BINDINGS = [
        Binding("escape", "back", "Back"),
        Binding("s", "stop", "Stop", tooltip="Stop the running demo"),
        Binding("r", "rerun", "Run again"),
        Binding("t", "sentence", "Your sentence", tooltip="Run the attention demo on your text"),
        Binding("enter", "next_question", "Next", show=False),
        # every choice by number: the attention questions offer 6 layers, the CNN's 10 digits
        *(Binding(str(n % 10), f"pick({n})", f"Answer {n}", show=False) for n in range(1, 11)),
    ]

    def __init__(
        self, *, demo: str | None = None, lesson_id: str | None = None, quick: bool = False
    ) -> None:
        super().__init__()
        chosen = DEMOS.get(demo or "") or demo_for_lesson(lesson_id)
        self.autostart = chosen
        self.quick = quick
        self.demo: Demo | None = None
        self.state = "list"  # list | running | stopping | questions | answered | finished
        self.cancel = threading.Event()
        self.history: dict[str, list[float]] = {}
        self.steps: list[int] = []
        self.result: dict[str, Any] | None = None
        self.questions: list[DemoQuestion] = []
        self.question_index = 0
        self.right = 0
        self.drawn: list[tuple[int, int]] = []  # (step, total) of each redraw: tests read it
        self.options: dict[str, Any] = {}  # for the demo's run: the attention demo's text

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="demos-body"):
            options: list[Option | None] = []
            for n, d in DEMOS.items():
                if options:
                    options.append(None)  # a separator line
                options.append(
                    Option(
                        Content.assemble((d.title, "bold"), "\n", (d.summary, "$text-muted")), id=n
                    )
                )
            demo_list = OptionList(*options, id="demo-list")
            demo_list.border_title = "Demos"
            demo_list.border_subtitle = "enter run"
            yield demo_list
            with Vertical(id="run-column"):
                with VerticalScroll(id="run-view"):
                    with Horizontal(id="run-head"):
                        yield Static(Content(""), id="run-status")
                        yield ProgressBar(total=1, show_eta=False, id="run-progress")
                    yield Static(Content(""), id="final")
                    with Horizontal(id="plots"):
                        yield PlotextPlot(id="loss-plot")
                        yield PlotextPlot(id="other-plot")
                    yield Static(Content(""), id="picture")
                yield Input(
                    placeholder="A sentence for the attention demo · enter runs it · esc back",
                    id="sentence",
                    max_length=500,
                )
                with Vertical(id="quiz", classes="card") as quiz:
                    quiz.border_title = "What did it show?"
                    yield Static(Content(""), id="quiz-question")
                    yield OptionList(id="quiz-choices")
                    yield Static(Content(""), id="quiz-feedback")
        yield Footer()

    def on_mount(self) -> None:
        self.title = "Demos"
        self.query_one("#run-column").display = False
        self.query_one("#sentence").display = False
        if self.autostart is not None:
            self.start(self.autostart)

    # ----------------------------------------------------------------- running

    @on(OptionList.OptionSelected, "#demo-list")
    def demo_chosen(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        demo = DEMOS.get(str(event.option.id))
        if demo is not None:
            self.options = {}  # from the list: the demo as it comes (its own sentence)
            self.start(demo)

    def start(self, demo: Demo, **options: Any) -> None:
        if self.state in ("running", "stopping"):
            return
        if demo is not self.demo or options:
            self.options = options  # "run again" keeps the sentence it was given
        self.demo = demo
        self.state = "running"
        self.cancel = threading.Event()
        self.history, self.steps, self.result = {}, [], None
        self.questions, self.question_index, self.right = [], 0, 0
        self.title = demo.title
        self.sub_title = "quick run" if self.quick else ""
        self.query_one("#demo-list").display = False
        self.query_one("#run-column").display = True
        self.query_one("#sentence").display = False
        view = self.query_one("#run-view", VerticalScroll)
        view.scroll_home(animate=False)
        self.query_one("#quiz").display = False
        self.query_one("#final").display = False
        self.query_one("#picture", Static).update(Content(""))
        for selector in ("#loss-plot", "#other-plot"):
            plot = self.query_one(selector, PlotextPlot)
            plot.plt.clear_data()
            plot.plt.clear_figure()
            plot.refresh()
        self.set_status("starting (the first demo loads torch: a few seconds)…")
        self.query_one("#run-progress", ProgressBar).update(total=1, progress=0)
        view.focus()
        self.refresh_bindings()
        self.run_demo(demo, self.cancel, dict(self.options))

    def set_status(self, text: str, style: str = "$text-muted") -> None:
        # the demo's title is in the header; this line says what is happening
        self.query_one("#run-status", Static).update(Content.styled(text, style))

    @thread_work("demo")
    def run_demo(self, demo: Demo, cancel: threading.Event, options: dict[str, Any]) -> None:
        from tutor.demos.render import DemoView

        view = DemoView(demo.name, demo.title)
        last_draw = 0.0
        mid_run = False  # the first step is always drawn, however fast the demo runs
        try:
            from tutor.demos.process import run_in_child

            for event in run_in_child(demo.name, quick=self.quick, cancel=cancel, **options):
                view.update(event)
                now = time.monotonic()
                first_step = not mid_run and 0 < view.step < view.total
                if event.kind in ("start", "done") or first_step or now - last_draw >= DRAW_EVERY:
                    last_draw = now
                    mid_run = mid_run or first_step
                    state = {
                        "device": str(view.device),
                        "step": view.step,
                        "total": view.total,
                        "history": {k: list(v) for k, v in view.history.items()},
                        "steps": {k: list(v) for k, v in view.history_steps.items()},
                        "picture": view.picture(),
                    }
                    self.app.call_from_thread(self.draw, state, cancel)
                if event.kind == "done":
                    self.app.call_from_thread(self.finished, event, cancel)
        except Exception as exc:  # noqa: BLE001 — one line for the learner, never a crash
            message = f"{type(exc).__name__}: {exc}"
            self.app.call_from_thread(self.failed, message, cancel)

    def draw(self, state: dict[str, Any], cancel: threading.Event) -> None:
        if cancel is not self.cancel or not self.is_attached:
            return
        step, total = state["step"], max(state["total"], 1)
        self.drawn.append((step, total))
        if self.state == "running":
            self.set_status(f"{state['device']} · step {step} of {total} · s stop")
        self.query_one("#run-progress", ProgressBar).update(total=total, progress=step)
        losses, other = split_series(state["history"])
        steps = state.get("steps", {})
        self.plot("#loss-plot", losses, "loss", steps)
        title = "accuracy" if any("acc" in k for k in other) else ""
        self.plot("#other-plot", other, title, steps)
        picture = state["picture"]
        widget = self.query_one("#picture", Static)
        if picture:
            from rich.console import Group

            widget.update(Group(*picture))
        widget.display = bool(picture)

    def plot(
        self,
        selector: str,
        series: dict[str, list[float]],
        title: str,
        steps: dict[str, list[int]] | None = None,
    ) -> None:
        """Curves against the training step each value was measured at (a validation
        loss taken every few dozen steps spans the run like the training loss)."""
        widget = self.query_one(selector, PlotextPlot)
        # an empty frame says nothing: only a curve of two points or more is drawn
        widget.display = any(len(v) > 1 for v in series.values())
        plt = widget.plt
        plt.clear_data()
        plt.clear_figure()
        first, last = None, 0
        for name, values in list(series.items())[:MAX_SERIES]:
            if len(values) > 1:
                xs = curve_steps(values, (steps or {}).get(name))
                plt.plot(xs, values, label=name, marker="braille")
                first = xs[0] if first is None else min(first, xs[0])
                last = max(last, xs[-1])
        if first is not None and last > first:
            ticks = sorted({first + round(i * (last - first) / 4) for i in range(5)})
            plt.xticks(ticks, [str(t) for t in ticks])
        if title:
            plt.title(title)
        widget.refresh()

    def finished(self, event, cancel: threading.Event) -> None:
        if cancel is not self.cancel or not self.is_attached:
            return
        stopped = bool(event.payload.get("cancelled"))
        self.result = dict(event.metrics)
        if stopped:
            self.state = "finished"
            self.set_status("stopped · r run again · esc back", "$text-warning")
            self.refresh_bindings()
            return
        self.questions = self.demo.questions(self.result) if self.demo else []
        self.show_final(self.result)
        self.set_status("done · answer the questions below · r run again", "$text-success")
        if self.questions:
            self.state = "questions"
            self.show_question()
        else:
            self.state = "finished"
        self.refresh_bindings()

    def failed(self, message: str, cancel: threading.Event) -> None:
        if cancel is not self.cancel or not self.is_attached:
            return
        self.state = "finished"
        self.set_status(f"the demo failed: {message}", "$text-error")
        self.refresh_bindings()

    def show_final(self, metrics: dict[str, float]) -> None:
        """The run's final numbers in a few lines above the plots: what the questions
        ask about is on screen (the MLP's test accuracy is never a curve). A metric
        per layer is one entry ("entropy by layer 2.06 1.15 …"), so the attention
        demo's thirty numbers fit a small terminal."""
        import re

        entries: dict[str, list[str]] = {}
        for key, value in metrics.items():
            shown = f"{value:.4g}" if isinstance(value, float) else str(value)
            per_layer = re.fullmatch(r"(.+)_layer\d+", key)
            name = f"{per_layer.group(1)} by layer" if per_layer else key
            entries.setdefault(name.replace("_", " "), []).append(shown)
        parts: list = [("Final  ", "bold")]
        for i, (name, values) in enumerate(entries.items()):
            if i:
                parts.append(("  ·  ", "dim"))
            parts += [(name, "$text-muted"), " ", (" ".join(values), "bold")]
        final = self.query_one("#final", Static)
        final.update(Content.assemble(*parts))
        final.display = bool(metrics)

    # --------------------------------------------------------------- questions

    def show_question(self) -> None:
        q = self.questions[self.question_index]
        quiz = self.query_one("#quiz")
        quiz.display = True
        quiz.border_title = f"What did it show?  {self.question_index + 1}/{len(self.questions)}"
        self.query_one("#quiz-question", Static).update(Content.styled(q.prompt, "bold"))
        choices = self.query_one("#quiz-choices", OptionList)
        choices.set_options(
            Option(Content.assemble((f"{i}  ", "bold $accent"), text), id=str(i))
            for i, text in enumerate(q.choices, start=1)
        )
        choices.disabled = False
        choices.display = True
        # nothing highlighted: a stray Enter must not answer choice 1
        choices.highlighted = None
        n = len(q.choices)
        keys = f"1-{n}" if n <= 9 else "1-9, 0"
        feedback = self.query_one("#quiz-feedback", Static)
        feedback.update(Content.styled(f"{keys} to answer (or arrows and enter)", "$text-muted"))
        feedback.display = True
        choices.focus()
        # the quiz sits below the run: bring what this question is about into view, once
        # the quiz has taken its new height (the choices make it grow)
        self.call_after_refresh(self.call_after_refresh, self._reveal, q)

    def _reveal(self, q: DemoQuestion) -> None:
        view = self.query_one("#run-view", VerticalScroll)
        picture = self.query_one("#picture")
        if q.look_at == "picture" and picture.display:
            view.scroll_to_widget(picture, top=True, animate=False)
        else:
            view.scroll_to(y=0, animate=False)

    @on(OptionList.OptionSelected, "#quiz-choices")
    def choice_picked(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.answer(int(str(event.option.id)))

    def action_pick(self, n: int) -> None:
        if self.state == "questions":
            self.answer(n)

    def answer(self, n: int) -> None:
        if self.state != "questions":
            return

        q = self.questions[self.question_index]
        if not 1 <= n <= len(q.choices):
            return
        result = self.app.tutor.grade(q.prompt, q.answer, str(n), kind="mcq", choices=q.choices)
        self.right += int(result.correct)
        self.state = "answered"
        verdict = (
            Content.styled("✓ Correct", "bold $text-success")
            if result.correct
            else Content.assemble(
                ("✕ Not quite", "bold $text-error"),
                "  the answer: ",
                (q.answer, "bold"),
            )
        )
        last = self.question_index + 1 >= len(self.questions)
        follow = "enter: see your score" if last else "enter: next question"
        feedback = self.query_one("#quiz-feedback", Static)
        feedback.update(
            Content.assemble(verdict, "\n", q.explanation, "\n", (follow, "$text-muted"))
        )
        choices = self.query_one("#quiz-choices", OptionList)
        choices.disabled = True
        choices.display = False  # room for the explanation; the verdict names the answer
        self.query_one("#run-view", VerticalScroll).focus()
        self.refresh_bindings()

    def action_next_question(self) -> None:
        if self.state != "answered":
            return
        self.question_index += 1
        if self.question_index < len(self.questions):
            self.state = "questions"
            self.show_question()
            return
        self.state = "finished"
        self.query_one("#quiz-choices").display = False
        self.query_one("#quiz-question", Static).update(
            Content.assemble(
                (f"{self.right} of {len(self.questions)} right", "bold"),
                ("  ·  r run again  ·  esc back to the demos", "$text-muted"),
            )
        )
        self.query_one("#quiz-feedback").display = False
        self.refresh_bindings()

    # ----------------------------------------------------------------- actions

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        if action == "stop":
            return self.state == "running"
        if action == "rerun":
            return self.demo is not None and self.state not in ("running", "stopping", "list")
        if action == "next_question":
            return self.state == "answered"
        if action == "sentence":
            return self._attention_in_reach()
        return True

    def _attention_in_reach(self) -> bool:
        """The attention demo is highlighted in the list, or is the one shown and idle."""
        if self.state == "list":
            demo_list = self.query_one("#demo-list", OptionList)
            index = demo_list.highlighted
            return index is not None and demo_list.get_option_at_index(index).id == "attention"
        return (
            self.demo is not None
            and self.demo.name == "attention"
            and self.state
            not in (
                "running",
                "stopping",
            )
        )

    @on(OptionList.OptionHighlighted, "#demo-list")
    def _demo_highlighted(self) -> None:
        self.refresh_bindings()  # `t` shows only beside the attention demo

    def action_sentence(self) -> None:
        """Ask for the sentence the attention demo reads (the list says "your sentence")."""
        if not self._attention_in_reach():
            return
        box = self.query_one("#sentence", Input)
        if self.state == "list":
            self.query_one("#demo-list").display = False
            self.query_one("#run-column").display = True
            self.query_one("#run-view").display = False
            self.query_one("#quiz").display = False
        box.value = self.options.get("text", "")
        box.display = True
        box.focus()

    @on(Input.Submitted, "#sentence")
    def _sentence_given(self, event: Input.Submitted) -> None:
        event.stop()
        text = " ".join(event.value.split())
        if not text:
            self.notify("Type a sentence first (esc goes back).", severity="warning")
            return
        self.query_one("#run-view").display = True
        self.start(DEMOS["attention"], text=text)

    def _close_sentence(self) -> bool:
        box = self.query_one("#sentence", Input)
        if not box.display:
            return False
        box.display = False
        self.query_one("#run-view").display = True
        if self.demo is None or self.state == "list":
            self.query_one("#run-column").display = False
            demo_list = self.query_one("#demo-list", OptionList)
            demo_list.display = True
            demo_list.focus()
        return True

    def action_stop(self) -> None:
        if self.state == "running":
            self.cancel.set()
            self.state = "stopping"
            self.set_status("stopping…", "$text-warning")
            self.refresh_bindings()

    def action_rerun(self) -> None:
        if self.demo is not None and self.state not in ("running", "stopping"):
            self.query_one("#quiz-choices").display = True
            self.query_one("#quiz-feedback").display = True
            self.start(self.demo)

    def action_back(self) -> None:
        if self._close_sentence():
            return
        if self.state == "running":
            self.action_stop()
            return
        self.cancel.set()
        if self.state == "list" or self.autostart is not None:
            self.app.pop_screen()
            return
        self.cancel = threading.Event()  # late events from the old run are ignored
        self.state = "list"
        self.title, self.sub_title = "Demos", ""
        self.query_one("#run-column").display = False
        demo_list = self.query_one("#demo-list", OptionList)
        demo_list.display = True
        demo_list.focus()
        self.refresh_bindings()

    def on_unmount(self) -> None:
        self.cancel.set()
