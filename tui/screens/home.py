"""Home: today's numbers, the 30-day forecast, lessons with mastery, and where to go next."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Header, OptionList, Sparkline, Static
from textual.widgets.option_list import Option

from tui.widgets import FittedFooter, ModelStatus, bar

# columns around a lesson title in the list: "NN  " + title + "  " + bar + " 100%"
BAR_WIDTH = 10
FIXED_COLUMNS = 4 + 2 + BAR_WIDTH + 5 + 2


class HomeScreen(Screen):
    # styles: home.tcss, loaded by TutorApp.CSS_PATH (Textual skips a default screen's CSS_PATH)
    AUTO_FOCUS = "#lessons"

    BINDINGS = [
        Binding("r", "app.open('review')", "Review"),
        Binding("c", "app.continue", "Continue"),
        # priority: the chat opens as the key arrives, so a question typed (or pasted)
        # straight after `a` lands in the chat, not on this screen, where it was lost
        Binding("a", "app.open('chat')", "Ask", priority=True),
        Binding("z", "app.open('quiz')", "Quiz"),
        Binding("s", "app.open('stats')", "Stats"),
        Binding("d", "app.open('demos')", "Demos"),
        Binding("g", "app.open('glossary')", "Glossary", show=False),
        Binding("b", "app.open('cards')", "Cards", show=False, tooltip="Browse the cards"),
    ]

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="home-body"):
            with Horizontal(id="today-row"):
                with Vertical(id="today", classes="card") as today:
                    today.border_title = "Today"
                    yield Static(Content("…"), id="counts")
                    yield Static(Content(""), id="today-hint")
                with Vertical(id="forecast", classes="card") as forecast:
                    forecast.border_title = "Due in the next 30 days"
                    yield Sparkline([0] * 30, id="forecast-chart")
                    yield Static(Content(""), id="forecast-caption")
            yield Static(Content(""), id="continue")
            lessons = OptionList(
                Option(Content("Loading the course…"), disabled=True), id="lessons"
            )
            lessons.border_title = "Lessons"
            lessons.border_subtitle = "enter open · mastery"
            yield lessons
            yield ModelStatus(id="model-status")
        yield FittedFooter()

    def on_mount(self) -> None:
        self.watch(self.app, "summary", self._show_summary)
        self.watch(self.app, "data_state", self._show_data_state)
        self.call_after_refresh(self.app.first_paint)

    def on_screen_resume(self) -> None:
        self.app.refresh_summary()

    def on_resize(self) -> None:
        if self.app.course is not None:
            self._show_lessons()

    # ------------------------------------------------------------------ data

    def _show_data_state(self, state: str) -> None:
        if state == "error":
            self.query_one("#lessons", OptionList).set_options(
                [
                    Option(
                        Content("The course could not be loaded (see the message)."), disabled=True
                    )
                ]
            )

    def _show_summary(self, summary) -> None:
        if summary is None:
            return
        self._show_today(summary)
        self._show_forecast(summary)
        self._show_continue(summary)
        self._show_lessons()

    def _show_today(self, s) -> None:
        met = s.reviewed_today >= s.goal
        # a fresh data dir has no cards until the first sync ends: "…", not a false 0
        making = not s.cards and not self.app.cards_ready.is_set()
        counts = Content.assemble(
            ("   …" if making else f"{s.due:>4}", "bold $text-warning" if s.due else "bold"),
            " due today\n",
            ("   …" if making else f"{s.new:>4}", "bold $text-accent" if s.new else "bold"),
            " new cards\n",
            # "N-day streak · goal x/20" fits the panel ("days in a row" cut the goal off);
            # with streak freezes banked, "N-day streak ❄2 · x/20" (28 cells, the panel's)
            (f"{s.streak:>4}", "bold $text-success" if s.streak else "bold"),
            "-day streak",
            (f" ❄{s.freezes}" if s.freezes else "", "bold $text-accent"),
            (" · " if s.freezes else " · goal ", "$text-muted"),
            (f"{min(s.reviewed_today, s.goal)}/{s.goal}", "bold $text-success" if met else "bold"),
            (" ✓" if met else "", "$text-success"),
        )
        self.query_one("#counts", Static).update(counts)
        if making:
            hint = Content.styled("Making the review cards…", "dim")
        elif not s.cards:
            hint = Content.styled("No review cards yet.", "dim")
        elif s.due or s.new:
            hint = Content.assemble(("r", "bold $accent"), " start today's review")
        else:
            hint = Content.styled("All done for today.", "$success")
        self.query_one("#today-hint", Static).update(hint)

    def _show_forecast(self, s) -> None:
        self.query_one("#forecast-chart", Sparkline).data = [float(n) for n in s.forecast]
        total = sum(s.forecast)
        if total:
            peak = max(s.forecast)
            day = s.forecast.index(peak)
            when = "today" if day == 0 else ("tomorrow" if day == 1 else f"in {day} days")
            noun = "review" if total == 1 else "reviews"
            caption = Content(f"{total} {noun} · busiest {when} ({peak})")
        else:
            caption = Content("nothing scheduled yet")
        self.query_one("#forecast-caption", Static).update(caption.stylize("dim"))

    def _show_continue(self, s) -> None:
        widget = self.query_one("#continue", Static)
        course = self.app.course
        lesson = course.lesson(s.place.lesson_id) if s.place and course else None
        if lesson is None:
            first = course.lessons[0].title if course and course.lessons else None
            text = (
                Content.assemble(("c", "bold $accent"), " start with ", (first, "bold"))
                if first
                else Content("")
            )
        else:
            section = lesson.section(s.place.section_id)
            text = Content.assemble(
                ("c", "bold $accent"),
                " continue: ",
                (lesson.title, "bold"),
                (" › ", "dim"),
                section.title if section else "",
            )
        widget.update(text)

    def _show_lessons(self) -> None:
        course = self.app.course
        summary = self.app.summary
        if course is None:
            return
        option_list = self.query_one("#lessons", OptionList)
        highlighted = option_list.highlighted
        width = max(20, option_list.scrollable_content_region.width or 78)
        title_width = max(10, width - FIXED_COLUMNS)
        mastery = summary.mastery if summary else {}
        options = []
        for lesson in course.lessons:
            title = lesson.title
            if len(title) > title_width:
                title = title[: title_width - 1] + "…"
            fraction = mastery.get(lesson.id, 0.0)
            prompt = Content.assemble(
                (f"{lesson.order:>2}  ", "dim"),
                title.ljust(title_width),
                "  ",
                bar(fraction, BAR_WIDTH),
                (f" {round(fraction * 100):>3}%", "dim"),
            )
            options.append(Option(prompt, id=lesson.id))
        if not options:
            options = [Option(Content("No lessons in this course."), disabled=True)]
        option_list.set_options(options)
        if options and not options[0].disabled:
            option_list.highlighted = min(highlighted or 0, len(options) - 1)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        if event.option.id:
            self.app.open_lesson(event.option.id)
