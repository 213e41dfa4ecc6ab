"""The lesson reader: the lesson as Markdown beside a table of contents.

One section per page (n / p, or pick one in the contents): the section on screen
is always unambiguous, it is recorded as the place to continue from, and two
things are offered from there: ask the tutor about it, or be quizzed on it.
A whole lesson rendered as Markdown widgets took seconds to open; a page is quick.
"""

from __future__ import annotations

import re

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.content import Content
from textual.reactive import reactive
from textual.screen import Screen
from textual.widgets import Header, Markdown, OptionList, Static
from textual.widgets.option_list import Option

from tui.widgets import FittedFooter
from tutor.course import Lesson, Section


def lesson_front_markdown(lesson: Lesson) -> str:
    parts = [f"# {lesson.title}"]
    if lesson.intro:
        parts.append(lesson.intro)
    if lesson.objectives:
        parts.append(
            "**In this lesson you will**\n\n" + "\n".join(f"- {o}" for o in lesson.objectives)
        )
    return "\n\n".join(parts)


def key_terms_markdown(lesson: Lesson) -> str:
    lines = [f"- **{term}**: {definition}" for term, definition in lesson.key_terms.items()]
    return "## Key terms\n\n" + "\n".join(lines)


_FENCE_INFO = re.compile(r"^(\s*(?:```|~~~)\s*)([\w+-]+)[ \t]+[^\n]*$", re.M)
_SOLUTION = re.compile(r"^#### Solution\s*\n.*?(?=^#{1,3} |\Z)", re.M | re.S)
HIDDEN = "#### Solution\n\n*Hidden: press **s** to show the worked solutions.*\n\n"


def section_markdown(section: Section, *, solutions: bool = True) -> str:
    """A section as Markdown: fence labels cut to the language (```python runnable is
    highlighted as python), and the exercises' worked solutions hidden until asked for."""
    body = _FENCE_INFO.sub(r"\1\2", section.body)
    if not solutions:
        body = _SOLUTION.sub(HIDDEN, body)
    return f"## {section.title}\n\n{body}"


def has_solutions(section: Section) -> bool:
    return bool(_SOLUTION.search(section.body))


class LessonScreen(Screen):
    CSS_PATH = "lesson.tcss"
    AUTO_FOCUS = "#reader"

    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back"),
        Binding("a", "ask_section", "Ask", tooltip="Ask the tutor about this section"),
        Binding("z", "quiz_section", "Quiz", tooltip="Quiz me on this section"),
        Binding(
            "d",
            "run_demo",
            "Demo",
            tooltip="Run this lesson's live demo (or pick one from the list)",
        ),
        # one footer entry for the pair, so the footer fits 80 columns
        Binding(
            "n", "next_section", "Section", key_display="n p", tooltip="Next § (p: previous §)"
        ),
        Binding("p", "previous_section", "Prev §", show=False),
        Binding("t", "toggle_contents", "Contents"),
        Binding("s", "toggle_solutions", "Solutions", tooltip="Show or hide worked solutions"),
        Binding("right_square_bracket", "next_lesson", "Next lesson", show=False),
        Binding("left_square_bracket", "previous_lesson", "Previous lesson", show=False),
    ]

    COMMANDS_HERE = [
        ("Ask about this section", "Open the chat about the section on screen", "ask_section"),
        ("Quiz me on this section", "Questions on the section on screen", "quiz_section"),
        ("Run the demo", "Run the live demo of the model this lesson teaches", "run_demo"),
        ("Next section", "Jump to the next section", "next_section"),
        ("Previous section", "Jump to the previous section", "previous_section"),
        ("Next lesson", "Open the next lesson in the course", "next_lesson"),
        ("Previous lesson", "Open the previous lesson", "previous_lesson"),
        ("Toggle contents", "Show or hide the table of contents", "toggle_contents"),
        ("Show the solutions", "Reveal the worked solutions of the exercises", "toggle_solutions"),
    ]

    current: reactive[str] = reactive("", init=False)
    show_solutions: reactive[bool] = reactive(False, init=False)
    """Id of the section on screen."""

    def __init__(self, lesson_id: str, section_id: str | None = None) -> None:
        super().__init__()
        lesson = self.app.course.lesson(lesson_id)
        if lesson is None:
            raise ValueError(f"no lesson {lesson_id!r}")
        self.lesson = lesson
        self._initial = section_id
        self._ready = False
        self.title = lesson.title
        self.sub_title = f"lesson {lesson.order}"

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="lesson-body"):
            toc = OptionList(
                *(Option(Content(s.title), id=s.id) for s in self.lesson.sections),
                id="toc",
            )
            toc.border_title = "Contents"
            yield toc
            with VerticalScroll(id="reader"):
                yield Markdown(id="page", open_links=False)
        yield Static(id="section-bar")
        yield FittedFooter()

    def on_mount(self) -> None:
        target = self._initial if self.lesson.section(self._initial or "") else None
        self.go_to_section(target or self.lesson.sections[0].id)

    # ------------------------------------------------------------ position

    @property
    def section(self) -> Section:
        return self.lesson.section(self.current) or self.lesson.sections[0]

    def page_markdown(self, section: Section) -> str:
        """One section per page: the lesson's opening on the first, key terms on the last.

        Rendering a whole lesson as Markdown widgets took seconds; a section is quick.
        """
        index = self._index(section.id)
        parts = []
        if index == 0:
            parts.append(lesson_front_markdown(self.lesson))
        parts.append(section_markdown(section, solutions=self.show_solutions))
        if index == len(self.lesson.sections) - 1 and self.lesson.key_terms:
            parts.append(key_terms_markdown(self.lesson))
        return "\n\n".join(parts)

    def go_to_section(self, section_id: str | None) -> None:
        section = self.lesson.section(section_id or "")
        if section is None:
            return
        self.current = section.id
        self.run_worker(self._show(section), group="page", exclusive=True)

    async def _show(self, section: Section) -> None:
        await self.query_one("#page", Markdown).update(self.page_markdown(section))
        self.query_one("#reader", VerticalScroll).scroll_home(animate=False)
        self._ready = True

    def _index(self, section_id: str) -> int:
        return next(i for i, s in enumerate(self.lesson.sections) if s.id == section_id)

    def watch_current(self, section_id: str) -> None:
        toc = self.query_one("#toc", OptionList)
        index = self._index(section_id)
        if toc.highlighted != index:
            toc.highlighted = index
        section = self.lesson.sections[index]
        bar = Content.assemble(
            (f"§ {index + 1}/{len(self.lesson.sections)} ", "dim"),
            (section.title, "bold"),
        )
        self.query_one("#section-bar", Static).update(bar)
        self.app.record_place(self.lesson.id, section_id)

    def action_toggle_solutions(self) -> None:
        if not has_solutions(self.section):
            self.notify("This section has no exercises; the last section of a lesson does.")
            return
        self.show_solutions = not self.show_solutions
        self.go_to_section(self.current)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.go_to_section(event.option.id)
        self.query_one("#reader").focus()

    def on_markdown_link_clicked(self, event: Markdown.LinkClicked) -> None:
        event.stop()
        self.notify(f"Link: {event.href}", markup=False)

    # ------------------------------------------------------------- actions

    def action_ask_section(self) -> None:
        title = self.section.title
        # a question-shaped heading is asked as it is; otherwise ask to explain it
        self.app.open_chat(title if title.endswith("?") else f"Explain {title}")

    def action_quiz_section(self) -> None:
        self.app.open("quiz", lesson_id=self.lesson.id, section_id=self.section.id)

    def action_run_demo(self) -> None:
        # the demo of this lesson starts at once; without one, the list of demos opens
        self.app.open("demos", lesson_id=self.lesson.id)

    def action_next_section(self) -> None:
        index = self._index(self.current)
        if index + 1 < len(self.lesson.sections):
            self.go_to_section(self.lesson.sections[index + 1].id)
        else:
            self.notify("End of the lesson: ] opens the next one.")

    def action_previous_section(self) -> None:
        index = self._index(self.current)
        if index > 0:
            self.go_to_section(self.lesson.sections[index - 1].id)

    def action_toggle_contents(self) -> None:
        toc = self.query_one("#toc")
        toc.display = not toc.display
        if not toc.display:
            self.query_one("#reader").focus()

    def _neighbour(self, step: int) -> None:
        lessons = self.app.course.lessons
        index = next(i for i, ls in enumerate(lessons) if ls.id == self.lesson.id)
        if 0 <= index + step < len(lessons):
            self.app.switch_screen(LessonScreen(lessons[index + step].id))
        else:
            self.notify("No more lessons that way.")

    def action_next_lesson(self) -> None:
        self._neighbour(+1)

    def action_previous_lesson(self) -> None:
        self._neighbour(-1)
