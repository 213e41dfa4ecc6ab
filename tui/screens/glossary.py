"""The glossary: every key term of the course once, filtered as you type.

Enter (or a click) opens the lesson reader at the section that teaches the term.
The entries come from `Tutor.glossary` (the lessons' front matter); nothing is
interpreted as markup.
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Footer, Header, Input, OptionList, Static
from textual.widgets.option_list import Option


class GlossaryScreen(Screen):
    CSS_PATH = "glossary.tcss"
    AUTO_FOCUS = "#filter"

    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back"),
        Binding("down", "focus_list", "Terms", show=False),
    ]

    def __init__(self, term: str = "") -> None:
        super().__init__()
        self.title = "Glossary"
        self._initial = term
        self.entries = []
        self._shown = 0

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="glossary"):
            yield Input(placeholder="type to filter the terms…", id="filter")
            yield OptionList(id="terms")
            yield Static(Content(""), id="definition")
        yield Footer()

    def on_mount(self) -> None:
        self.entries = self.app.tutor.glossary()
        self.query_one("#filter", Input).value = self._initial
        self.show(self._initial)

    @on(Input.Changed, "#filter")
    def filtered(self, event: Input.Changed) -> None:
        self.show(event.value)

    def show(self, text: str) -> None:
        wanted = text.strip().casefold()
        terms = self.query_one("#terms", OptionList)
        terms.clear_options()
        shown = [e for e in self.entries if wanted in e.term.casefold()] if wanted else self.entries
        if wanted and not shown:  # a typo: the closest names, as `tutor glossary` finds them
            from tutor.glossary import lookup

            shown = lookup(self.entries, text)
        terms.add_options(
            Option(Content.assemble((e.term, "bold"), (f"  {e.lesson_title}", "dim")), id=str(i))
            for i, e in enumerate(self.entries)
            if e in shown
        )
        self.sub_title = f"{len(shown)} of {len(self.entries)} terms"
        if shown:
            terms.highlighted = 0
        self.describe(shown[0] if shown else None)
        self._shown = len(shown)

    def describe(self, entry) -> None:
        box = self.query_one("#definition", Static)
        if entry is None:
            box.update(Content("No term matches."))
            return
        where = entry.lesson_title + (f" › {entry.section_title}" if entry.section_title else "")
        box.update(
            Content.assemble(
                (entry.term, "bold"),
                "\n",
                entry.definition,
                "\n\n",
                (f"Taught in {where}  ·  enter opens it", "$text-muted"),
            )
        )

    @on(OptionList.OptionHighlighted, "#terms")
    def highlighted(self, event: OptionList.OptionHighlighted) -> None:
        if event.option.id is not None and self._shown:
            self.describe(self.entries[int(event.option.id)])

    @on(Input.Submitted, "#filter")
    def submitted(self) -> None:
        terms = self.query_one("#terms", OptionList)
        if terms.highlighted is not None:
            self.open_entry(terms.get_option_at_index(terms.highlighted).id)

    @on(OptionList.OptionSelected, "#terms")
    def selected(self, event: OptionList.OptionSelected) -> None:
        self.open_entry(event.option.id)

    def open_entry(self, option_id: str | None) -> None:
        if option_id is None:
            return
        entry = self.entries[int(option_id)]
        self.app.open_lesson(entry.lesson_id, entry.section_id)

    def action_focus_list(self) -> None:
        self.query_one("#terms", OptionList).focus()
