"""Stats: today's numbers, retention, reviews per day and the due forecast as plots,
a calendar heatmap of activity, and a per-lesson mastery table.

Everything comes from `Tutor.stats` (SQLite and numpy only), run in a
thread worker so a large review log never holds up the screen. The heatmap shows
as many weeks as its box is wide (up to a year) and redraws on resize.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Footer, Header, Static
from textual_plotext import PlotextPlot

from tui.widgets import bar
from tui.workers import thread_work

HEATMAP_DAYS = 7 * 53  # a year of activity, fetched once; the box shows what fits
HEAT_CELL = "■ "
HEAT_LEVELS = ["$foreground 12%", "$success 35%", "$success 60%", "$success 80%", "$success"]
WEEKDAYS = ["Mon", "", "Wed", "", "Fri", "", "Sun"]
MASTERY_BAR = 10


def heat_level(count: int, peak: int) -> int:
    """0 for no reviews, else 1-4 by quarter of the busiest day."""
    if count <= 0 or peak <= 0:
        return 0
    return min(4, 1 + (4 * (count - 1)) // max(peak, 1))


def heatmap(days: list[tuple[str, int]], weeks: int) -> Content:
    """Weeks as columns (oldest left), weekdays as rows, one coloured cell per day."""
    if not days:
        return Content("")
    counts = {date.fromisoformat(d): n for d, n in days}
    last = max(counts)
    # the last column is the week that holds `last` (Monday first)
    start = last - timedelta(days=last.weekday()) - timedelta(weeks=weeks - 1)
    peak = max(counts.values(), default=0)
    # month names over the week columns where a month begins (when there is room)
    header = [" "] * (4 + 2 * weeks)
    free_from = 0
    for w in range(weeks):
        monday = start + timedelta(weeks=w)
        if w and monday.month == (monday - timedelta(weeks=1)).month:
            continue
        pos = 4 + 2 * w
        name = monday.strftime("%b")
        if pos >= free_from and pos + len(name) <= len(header):
            header[pos : pos + len(name)] = name
            free_from = pos + len(name) + 1
    header = "".join(header)
    lines: list = [(header[: 4 + 2 * weeks].rstrip(), "$text-muted"), "\n"]
    for weekday in range(7):
        lines.append((f"{WEEKDAYS[weekday]:<4}", "$text-muted"))
        for w in range(weeks):
            day = start + timedelta(weeks=w, days=weekday)
            if day > last:
                lines.append("  ")
                continue
            n = counts.get(day, 0)
            lines.append((HEAT_CELL, HEAT_LEVELS[heat_level(n, peak)]))
        if weekday < 6:
            lines.append("\n")
    return Content.assemble(*lines)


def set_aside(s) -> str:
    """', 2 suspended (1 leech), 1 buried, 3 flagged' — or '' when no card is set aside."""
    parts = []
    if s.cards_suspended:
        leeches = f" ({s.cards_leeches} leech{'es' if s.cards_leeches != 1 else ''})"
        parts.append(f"{s.cards_suspended} suspended" + (leeches if s.cards_leeches else ""))
    if s.cards_buried:
        parts.append(f"{s.cards_buried} buried")
    if s.cards_flagged:
        parts.append(f"{s.cards_flagged} flagged")
    return "".join(f", {p}" for p in parts)


class StatsScreen(Screen):
    CSS_PATH = "stats.tcss"
    AUTO_FOCUS = "#stats-body"

    BINDINGS = [
        Binding("escape,q", "app.pop_screen", "Back"),
        Binding("r", "app.open('review')", "Review"),
        Binding("f5", "reload", "Refresh"),
    ]

    def __init__(self, *, clock: Callable[[], datetime] | None = None) -> None:
        super().__init__()
        from tutor.study.clock import utcnow

        self.clock = clock or utcnow
        self.stats = None
        self.history: list[tuple[str, int]] = []

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="stats-body"):
            with Horizontal(id="stats-top"):
                with Vertical(id="numbers", classes="card") as numbers:
                    numbers.border_title = "Today"
                    yield Static(Content("Loading…"), id="today-numbers")
                with Vertical(id="activity", classes="card") as activity:
                    activity.border_title = "Activity"
                    yield Static(Content(""), id="heatmap")
            with Horizontal(id="plots"):
                with Vertical(id="reviews-box", classes="card") as box:
                    box.border_title = "Reviews per day"
                    box.border_subtitle = "last 30 days"
                    yield PlotextPlot(id="reviews-plot")
                with Vertical(id="forecast-box", classes="card") as box:
                    box.border_title = "Due forecast"
                    box.border_subtitle = "next 30 days"
                    yield PlotextPlot(id="forecast-plot")
            with Vertical(id="mastery-box", classes="card") as box:
                box.border_title = "Mastery by lesson"
                box.border_subtitle = "mean recall probability of its cards"
                yield Static(Content(""), id="mastery")
        yield Footer()

    def on_mount(self) -> None:
        self.title = "Stats"
        self.action_reload()

    def action_reload(self) -> None:
        if self.app.db is not None:
            self.load()

    @thread_work("stats")
    def load(self) -> None:
        now = self.clock()
        stats = self.app.tutor.stats(now)
        history = self.app.tutor.review_history(HEATMAP_DAYS, now)
        self.app.call_from_thread(self.show, stats, history)

    def show(self, stats, history: list[tuple[str, int]]) -> None:
        if not self.is_attached:
            return
        self.stats = stats
        self.history = history
        self.show_numbers()
        self.show_heatmap()
        self.show_plots()
        self.show_mastery()

    def on_resize(self) -> None:
        if self.stats is not None:
            self.show_heatmap()
            self.show_mastery()

    # ----------------------------------------------------------------- parts

    def show_numbers(self) -> None:
        s = self.stats
        if s.retention is None:
            retention = Content.styled("  –  ", "bold")
            note = " retention (none yet)"
        else:
            good = s.retention >= s.desired_retention - 0.05
            retention = Content.styled(
                f"{s.retention:>4.0%} ", "bold $text-success" if good else "bold $text-warning"
            )
            note = f" retention (aim {s.desired_retention:.0%})"
        minutes = s.time_today_ms / 60000
        text = Content.assemble(
            (f"{s.due_today:>4}", "bold $text-warning" if s.due_today else "bold"),
            " due  ",
            (f"{s.new_today}", "bold $text-accent"),
            " new\n",
            (f"{s.reviews_today:>4}", "bold"),
            f" review{'' if s.reviews_today == 1 else 's'} today, {minutes:.0f} min\n",
            (f"{s.streak_days:>4}", "bold $text-success" if s.streak_days else "bold"),
            f" day{'' if s.streak_days == 1 else 's'} in a row\n",
            retention,
            note,
            "\n",
            (f"{s.reviews_total:>4}", "bold"),
            f" review{'' if s.reviews_total == 1 else 's'} in all\n",
            (f"{s.cards_active:>4}", "bold"),
            f" cards, {s.cards_unseen} unseen",
            (set_aside(s), "$text-muted"),
        )
        self.query_one("#today-numbers", Static).update(text)

    def show_heatmap(self) -> None:
        widget = self.query_one("#heatmap", Static)
        width = widget.size.width or 40
        weeks = max(4, min(53, (width - 4) // 2))
        widget.update(heatmap(self.history, weeks))

    def show_plots(self) -> None:
        s = self.stats
        self._bars(
            "#reviews-plot",
            list(range(-len(s.reviews_per_day) + 1, 1)),
            [n for _, n in s.reviews_per_day],
            "days ago",
        )
        self._bars(
            "#forecast-plot",
            list(range(len(s.forecast))),
            [n for _, n in s.forecast],
            "days from today",
        )

    def _bars(self, selector: str, xs: list[int], ys: list[int], xlabel: str) -> None:
        plot = self.query_one(selector, PlotextPlot)
        plt = plot.plt
        plt.clear_data()
        plt.clear_figure()
        plt.bar(xs, ys, width=0.6, marker="hd")
        plt.ylim(0, max(1, max(ys, default=0)) * 1.1)
        ticks = [x for x in xs if x % 7 == 0] or xs[:1]
        plt.xticks(ticks, [str(abs(x)) for x in ticks])
        peak = max(ys, default=0)
        step = max(1, round(peak / 3)) if peak else 1
        plt.yticks(list(range(0, peak + 1, step)) or [0])
        plt.xlabel(xlabel)
        plot.refresh()

    def show_mastery(self) -> None:
        lessons = self.stats.lessons
        widget = self.query_one("#mastery", Static)
        if not lessons:
            widget.update(Content.styled("No review cards yet.", "$text-muted"))
            return
        width = widget.size.width or 76
        fixed = 2 + 6 + 6 + 6 + 2 + MASTERY_BAR + 5
        title_width = max(10, width - fixed)
        rows: list = [
            (
                f"{'Lesson':<{title_width}}  {'cards':>5} {'seen':>5} {'due':>5}  mastery\n",
                "bold $text-muted",
            )
        ]
        for i, ls in enumerate(lessons):
            title = ls.title if len(ls.title) <= title_width else ls.title[: title_width - 1] + "…"
            rows += [
                title.ljust(title_width),
                (f"  {ls.cards:>5} {ls.seen:>5} ", ""),
                (f"{ls.due:>5}", "$text-warning" if ls.due else "$text-muted"),
                "  ",
                bar(ls.mastery, MASTERY_BAR),
                (f" {round(ls.mastery * 100):>3}%", "$text-muted"),
            ]
            if i < len(lessons) - 1:
                rows.append("\n")
        widget.update(Content.assemble(*rows))
