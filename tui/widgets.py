"""Small widgets shared by several screens.

Every piece of course or user text goes into a `Content` object (plain text with
styles), never into a markup string.
"""

from __future__ import annotations

from textual.binding import Binding
from textual.content import Content
from textual.message import Message
from textual.widgets import Footer, Static

BAR_FULL = "█"
BAR_EMPTY = "░"


def bar(fraction: float, width: int = 10) -> Content:
    """A mastery bar: filled cells for `fraction` (0..1), dim cells for the rest."""
    fraction = max(0.0, min(1.0, fraction))
    filled = round(fraction * width)
    return Content.assemble(
        (BAR_FULL * filled, "$success"),
        (BAR_EMPTY * (width - filled), "$foreground 25%"),
    )


class ModelStatus(Static):
    """One line that says whether the question-answering model is ready."""

    def on_mount(self) -> None:
        self.watch(self.app, "model_state", self._show)
        self.watch(self.app, "model_message", self._show)

    def _show(self, _value: object = None) -> None:
        state = getattr(self.app, "model_state", "idle")
        message = getattr(self.app, "model_message", "")
        for name in ("idle", "loading", "ready", "error"):
            self.set_class(state == name, f"-{name}")
        if state == "loading":
            text = Content.assemble("◌ loading model", (f"  {message}" if message else "", "dim"))
        elif state == "ready":
            text = Content("● model ready")
        elif state == "error":
            text = Content.assemble("✕ model unavailable", (f"  {message}", "dim"))
        elif getattr(self.app, "autoload_model", False):
            text = Content("○ model loads in a moment")
        else:
            text = Content("○ model loads when you ask a question")
        self.update(text)


class SourceLink(Static, can_focus=True):
    """A cited source, 'Lesson › Section': enter or click opens the lesson there."""

    BINDINGS = [Binding("enter", "open", "Open source", show=False)]

    class Open(Message):
        def __init__(self, lesson_id: str, section_id: str | None) -> None:
            super().__init__()
            self.lesson_id = lesson_id
            self.section_id = section_id

    def __init__(
        self, number: int, lesson_id: str, lesson: str, section_id: str | None, section: str
    ) -> None:
        if section.casefold() == lesson.casefold():
            section = ""  # a note's one section, named after it: "Quux", not "Quux › Quux"
        label = Content.assemble(
            (f"[{number}] ", "bold $accent"),
            lesson,
            (" › " if section else "", "dim"),
            section,
        )
        super().__init__(label, classes="source")
        self.lesson_id = lesson_id
        self.section_id = section_id

    def action_open(self) -> None:
        self.post_message(self.Open(self.lesson_id, self.section_id))

    def on_click(self) -> None:
        self.action_open()


class Keys(Static):
    """A row of key hints, 'a ask · q quiz', as plain content."""

    def __init__(self, *pairs: tuple[str, str], **kwargs) -> None:
        parts: list[Content | tuple[str, str]] = []
        for i, (key, label) in enumerate(pairs):
            if i:
                parts.append(("  ·  ", "dim"))
            parts.append((key, "bold $accent"))
            parts.append((f" {label}", ""))
        super().__init__(Content.assemble(*parts), **kwargs)


class FittedFooter(Footer):
    """The footer, compact and without the palette hint below `NARROW` columns.

    At 80 columns the lesson reader's footer was cut at "^q" (no Quit, no `? Keys`);
    with less padding every key fits, and `? Keys` (which lists ^p) stays in view.
    """

    NARROW = 100

    def on_mount(self) -> None:
        self._fit()

    def on_resize(self) -> None:
        self._fit()

    def _fit(self) -> None:
        narrow = self.app.size.width < self.NARROW
        self.compact = narrow
        self.show_command_palette = not narrow
