"""The card browser: every card with its state, due date, stability, difficulty, lapses
and marks; search, filter, open one (its review history), suspend, bury, flag, edit.

Everything goes through the facade (`Tutor.browse`, `Tutor.card`, `Tutor.suspend`,
`Tutor.edit_card`, ...); queries run in a thread worker, so typing in the search
box never waits on SQLite (a search over 100k cards takes tens of milliseconds).
Card text comes from the course or the learner, so every cell is a `Text` and
every label a `Content`: nothing is parsed as markup.
"""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen, Screen
from textual.widgets import DataTable, Footer, Header, Input, Static

from tui.workers import thread_work
from tutor.errors import TutorError
from tutor.text import safe_text

PAGE = 200  # rows shown at once; the count says how many matched
FILTERS = {
    "all": ("all cards", {}),
    "due": ("due today", {"due": True}),
    "suspended": ("suspended", {"suspended": True}),
    "flagged": ("flagged", {"flagged": True}),
    "leeches": ("leeches", {"leech": True}),
    "buried": ("buried", {"buried": True}),
}
STATE_STYLE = {"new": "bold cyan", "learning": "yellow", "relearning": "red", "review": "green"}
QUESTION_CHARS = 70


def marks_text(row, now: str) -> str:
    """S suspended, B buried, F flagged, L leech, E edited (as `tutor cards` prints them)."""
    marks = ""
    marks += "S" if row.suspended else ""
    marks += "B" if row.buried_until and row.buried_until > now else ""
    marks += "F" if row.flagged else ""
    marks += "L" if row.leech else ""
    marks += "E" if row.edited else ""
    return marks or "·"


def one_line(text: str, width: int) -> str:
    text = " ".join(safe_text(text).split())
    return text if len(text) <= width else text[: width - 1] + "…"


class CardsScreen(Screen):
    """Browse and mark cards; `enter` opens one."""

    CSS_PATH = "cards.tcss"
    AUTO_FOCUS = "#cards-table"

    BINDINGS = [
        Binding("escape", "leave", "Back"),
        Binding("slash", "search", "Search", key_display="/"),
        Binding("enter", "open_card", "Open", show=False, tooltip="Open the card: its history"),
        Binding(
            "exclamation_mark",
            "toggle('suspend')",
            "Suspend",
            key_display="!",
            tooltip="Suspend the card, or unsuspend it",
        ),  # fmt: skip
        Binding(
            "minus",
            "toggle('bury')",
            "Bury",
            key_display="-",
            tooltip="Bury the card until tomorrow, or unbury it",
        ),  # fmt: skip
        Binding(
            "asterisk",
            "toggle('flag')",
            "Flag",
            key_display="*",
            tooltip="Flag the card for later, or take the flag off",
        ),  # fmt: skip
        Binding("e", "edit", "Edit", tooltip="Edit the question, reference, accepted answers"),
        Binding(
            "f",
            "next_filter",
            "Filter",
            tooltip="Show all / due / suspended / flagged / leeches / buried cards",
        ),  # fmt: skip
    ]

    COMMANDS_HERE = [
        ("Suspend or unsuspend this card", "Never schedule it (or again)", "toggle('suspend')"),
        ("Bury or unbury this card", "Hide it until tomorrow", "toggle('bury')"),
        ("Flag or unflag this card", "Mark it for later", "toggle('flag')"),
        ("Edit this card", "Your own question, reference or accepted answers", "edit"),
        ("Show only due cards", "The cards a review would show today", "set_filter('due')"),
        ("Show only suspended cards", "Suspended by you or as leeches", "set_filter('suspended')"),
        ("Show only flagged cards", "The cards you flagged", "set_filter('flagged')"),
        ("Show every card", "No filter", "set_filter('all')"),
    ]

    def __init__(self, *, search: str = "", filter: str = "all") -> None:
        super().__init__()
        self.search_text = search
        self.filter = filter if filter in FILTERS else "all"
        self.page = None
        self._now = ""

    def compose(self) -> ComposeResult:
        yield Header()
        yield Input(
            value=self.search_text,
            placeholder="Search the questions and answers (every word must appear)",
            id="cards-search",
        )
        yield Static(Content("Loading the cards…"), id="cards-count")
        table = DataTable(id="cards-table", cursor_type="row", zebra_stripes=True)
        yield table
        yield Footer()

    def on_mount(self) -> None:
        self.title = "Cards"
        table = self.query_one("#cards-table", DataTable)
        for label, key, width in (
            ("marks", "marks", 5),
            ("state", "state", 10),
            ("due", "due", 10),
            ("stab", "stability", 7),
            ("diff", "difficulty", 4),
            ("lapses", "lapses", 6),
            ("question", "question", None),
        ):
            table.add_column(label, key=key, width=width)
        self.reload()

    # ---------------------------------------------------------------- loading

    def reload(self, keep: str | None = None) -> None:
        self.load(self.search_text, self.filter, keep)

    @thread_work("browse")
    def load(self, search: str, filter_name: str, keep: str | None) -> None:
        from tutor.study.clock import iso

        tutor = self.app.tutor
        try:
            page = tutor.browse(search=search or None, limit=PAGE, answers=0,
                                **FILTERS[filter_name][1])  # fmt: skip
        except TutorError as exc:
            self.app.call_from_thread(self._show_error, str(exc))
            return
        self.app.call_from_thread(self._show, page, iso(tutor.clock()), keep)

    def _show_error(self, message: str) -> None:
        self.query_one("#cards-count", Static).update(Content.styled(message, "$text-error"))

    def _show(self, page, now: str, keep: str | None) -> None:
        from tutor.cards.model import state_name
        from tutor.study.clock import local_day, parse_iso

        if not self.is_attached:
            return
        self.page, self._now = page, now
        table = self.query_one("#cards-table", DataTable)
        cursor = keep or self.current_id()
        table.clear()
        for row in page.cards:
            state = state_name(row.state, row.last_review)
            due = local_day(parse_iso(row.due)).isoformat() if row.last_review else "-"
            table.add_row(
                Text(marks_text(row, now), style="bold"),
                Text(state, style=STATE_STYLE.get(state, "")),
                Text(due),
                Text(f"{row.stability:.1f}d" if row.stability is not None else "-"),
                Text(f"{row.difficulty:.1f}" if row.difficulty is not None else "-"),
                Text(str(row.lapses), style="bold red" if row.lapses >= 4 else ""),
                Text(one_line(row.question, QUESTION_CHARS)),
                key=row.id,
            )
        if cursor is not None:
            for i, row in enumerate(page.cards):
                if row.id == cursor:
                    table.move_cursor(row=i)
                    break
        label, _ = FILTERS[self.filter]
        shown = len(page.cards)
        count = f"{page.total:,} card{'s' if page.total != 1 else ''} · {label}"
        if self.search_text:
            count += f" · matching “{one_line(self.search_text, 40)}”"
        if page.total > shown:
            count += f" · first {shown} shown"
        keys = "  ·  / search  f filter  enter open  ! suspend  - bury  * flag  e edit"
        self.query_one("#cards-count", Static).update(
            Content.assemble((count, "bold"), (keys, "$text-muted"))
        )

    def current_id(self) -> str | None:
        table = self.query_one("#cards-table", DataTable)
        if self.page is None or not self.page.cards or table.cursor_row is None:
            return None
        if 0 <= table.cursor_row < len(self.page.cards):
            return self.page.cards[table.cursor_row].id
        return None

    # ---------------------------------------------------------------- actions

    @on(Input.Changed, "#cards-search")
    def search_changed(self, event: Input.Changed) -> None:
        self.search_text = event.value.strip()
        self.reload()

    @on(Input.Submitted, "#cards-search")
    def search_done(self, event: Input.Submitted) -> None:
        self.query_one("#cards-table", DataTable).focus()

    @on(DataTable.RowSelected, "#cards-table")
    def row_selected(self, event: DataTable.RowSelected) -> None:
        self.action_open_card()

    def action_search(self) -> None:
        self.query_one("#cards-search", Input).focus()

    def action_leave(self) -> None:
        search = self.query_one("#cards-search", Input)
        if search.has_focus and search.value:
            search.value = ""
            return
        self.app.pop_screen()
        self.app.refresh_summary()

    def action_next_filter(self) -> None:
        names = list(FILTERS)
        self.action_set_filter(names[(names.index(self.filter) + 1) % len(names)])

    def action_set_filter(self, name: str) -> None:
        if name in FILTERS:
            self.filter = name
            self.reload()

    def action_open_card(self) -> None:
        card_id = self.current_id()
        if card_id is not None:
            self.app.push_screen(CardScreen(card_id), lambda _: self.reload(card_id))

    def action_toggle(self, what: str) -> None:
        card_id = self.current_id()
        if card_id is None:
            return
        if toggle_mark(self.app, card_id, what):
            self.reload(card_id)

    def action_edit(self) -> None:
        card_id = self.current_id()
        if card_id is not None:
            self.app.push_screen(EditCardScreen(card_id), lambda _: self.reload(card_id))

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        if action in ("toggle", "edit", "open_card"):
            return self.current_id() is not None
        return True


def toggle_mark(app, card_id: str, what: str) -> bool:
    """Suspend/bury/flag the card, or take the mark off; say what was done. True if done."""
    tutor = app.tutor
    try:
        card = tutor.card(card_id)
        if what == "suspend":
            on = not card.suspended
            tutor.suspend([card_id], on)
            said = (
                "Suspended: it is not scheduled until you unsuspend it." if on else "Unsuspended."
            )
        elif what == "bury":
            from tutor.study.clock import iso

            on = not card.buried_at(iso(tutor.clock()))
            tutor.bury([card_id], on)
            said = "Buried until tomorrow." if on else "Unburied: it can come up today."
        else:
            on = not card.flagged
            tutor.flag([card_id], on)
            said = "Flagged." if on else "Flag taken off."
    except TutorError as exc:
        app.notify(str(exc), severity="error", markup=False)
        return False
    app.notify(said, markup=False)
    return True


class CardScreen(ModalScreen[None]):
    """One card: its text, where it is taught, its schedule and every review it had."""

    CSS_PATH = "modal.tcss"
    BINDINGS = [
        Binding("escape,q", "dismiss(None)", "Close"),
        Binding("e", "edit", "Edit"),
        Binding("exclamation_mark", "toggle('suspend')", "Suspend", key_display="!"),
        Binding("minus", "toggle('bury')", "Bury", key_display="-"),
        Binding("asterisk", "toggle('flag')", "Flag", key_display="*"),
        Binding("o", "open_lesson", "Open lesson", tooltip="Open the passage that teaches it"),
    ]

    def __init__(self, card_id: str) -> None:
        super().__init__()
        self.card_id = card_id

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog") as dialog:
            dialog.border_title = Content(self.card_id)
            dialog.border_subtitle = "e edit · ! suspend · - bury · * flag · o lesson · esc close"
            with VerticalScroll(id="card-body"):
                yield Static(Content(""), id="card-detail")

    def on_mount(self) -> None:
        self.refresh_card()

    def refresh_card(self) -> None:
        from tutor.study.clock import iso, local_day, parse_iso
        from tutor.study.schedule import RATING_NAMES, Rating

        tutor = self.app.tutor
        try:
            card = tutor.card(self.card_id)
            history = tutor.card_history(self.card_id)
        except TutorError as exc:
            self.query_one("#card-detail", Static).update(Content(str(exc)))
            return
        data = card.to_dict(iso(tutor.clock()))
        parts: list = [
            ("Question   ", "bold"),
            safe_text(card.question),
            "\n",
        ]
        for i, choice in enumerate(card.choices, start=1):
            parts += [(f"   {i}) ", "$text-muted"), safe_text(choice), "\n"]
        parts += [("Reference  ", "bold"), (safe_text(card.answer), "$text-success"), "\n"]
        if card.accept:
            parts += [("Accepted   ", "bold"), " | ".join(safe_text(a) for a in card.accept), "\n"]
        parts += [("Taught in  ", "bold"), safe_text(card.source_heading or card.lesson_title)]
        if card.source_ref:
            parts += [(f"  ({card.source_ref})", "$text-muted")]
        parts += ["\n\n", ("State      ", "bold"), data["state"]]
        if card.last_review:
            due = local_day(parse_iso(card.due)).isoformat()
            parts += [
                f" · due {due} · stability {card.stability:.1f} d · difficulty "
                f"{card.difficulty:.1f}"
            ]
        parts += [f" · {card.lapses} lapse{'s' if card.lapses != 1 else ''}", "\n"]
        marks = [m for m in ("suspended", "buried", "flagged", "leech", "edited") if data[m]]
        if marks:
            parts += [("Marks      ", "bold"), (", ".join(marks), "bold $text-warning"), "\n"]
        parts += ["\n", (f"History ({len(history)} review{'s' if len(history) != 1 else ''})",
                         "bold"), "\n"]  # fmt: skip
        if not history:
            parts += [("  not reviewed yet", "$text-muted")]
        for h in history:
            when = parse_iso(h.reviewed_at).astimezone().strftime("%Y-%m-%d %H:%M")
            style = "strike $text-muted" if h.undone_at else ""
            note = (" cram" if h.cram else "") + (" undone" if h.undone_at else "")
            answer = one_line(h.answer, 50) if h.answer else "-"
            parts += [
                (f"  {when}  {RATING_NAMES[Rating(h.rating)]:<5} {h.verdict or '-':<9} ", style),
                (answer, style),
                (note, "italic $text-muted"),
                "\n",
            ]
        self.query_one("#card-detail", Static).update(Content.assemble(*parts))

    def action_toggle(self, what: str) -> None:
        if toggle_mark(self.app, self.card_id, what):
            self.refresh_card()

    def action_edit(self) -> None:
        self.app.push_screen(EditCardScreen(self.card_id), lambda _: self.refresh_card())

    def action_open_lesson(self) -> None:
        try:
            card = self.app.tutor.card(self.card_id)
        except TutorError:
            return
        self.dismiss(None)
        self.app.open_lesson(card.lesson_id, card.section_id)


class EditCardScreen(ModalScreen[bool]):
    """Edit a card's question, reference and accepted answers (the learner's own version,
    kept over course updates); ctrl+r drops the edit."""

    CSS_PATH = "modal.tcss"
    BINDINGS = [
        Binding("escape", "dismiss(False)", "Cancel"),
        Binding("ctrl+s", "save", "Save", priority=True),
        Binding("ctrl+r", "revert", "Course text", tooltip="Drop your edit: the course's text"),
    ]

    def __init__(self, card_id: str) -> None:
        super().__init__()
        self.card_id = card_id

    def compose(self) -> ComposeResult:
        card = self.app.tutor.card(self.card_id)
        with Vertical(classes="dialog edit-dialog") as dialog:
            dialog.border_title = Content(f"Edit {self.card_id}")
            dialog.border_subtitle = "ctrl+s save · ctrl+r course text · esc cancel"
            yield Static(Content("Question"), classes="edit-label")
            yield Input(card.question, id="edit-question", max_length=2000)
            yield Static(Content("Reference answer"), classes="edit-label")
            yield Input(card.answer, id="edit-reference", max_length=2000)
            yield Static(Content("Accepted answers (separated by |)"), classes="edit-label")
            yield Input(" | ".join(card.accept), id="edit-accept", max_length=4000)
            yield Static(Content(""), id="edit-error")

    def on_mount(self) -> None:
        self.query_one("#edit-question", Input).focus()

    @on(Input.Submitted)
    def submitted(self) -> None:
        self.action_save()

    def action_save(self) -> None:
        card = self.app.tutor.card(self.card_id)
        question = self.query_one("#edit-question", Input).value
        reference = self.query_one("#edit-reference", Input).value
        accept = [a.strip() for a in self.query_one("#edit-accept", Input).value.split("|")]
        accept = [a for a in accept if a]
        changes = {
            "question": question if question.strip() != card.question else None,
            "answer": reference if reference.strip() != card.answer else None,
            "accept": accept if accept != card.accept else None,
        }
        if all(v is None for v in changes.values()):
            self.dismiss(False)
            return
        try:
            self.app.tutor.edit_card(self.card_id, **changes)
        except TutorError as exc:
            self.query_one("#edit-error", Static).update(Content.styled(str(exc), "$text-error"))
            return
        self.app.notify("Saved: your version is kept when the course changes.", markup=False)
        self.dismiss(True)

    def action_revert(self) -> None:
        try:
            self.app.tutor.revert_card(self.card_id)
        except TutorError as exc:
            self.query_one("#edit-error", Static).update(Content.styled(str(exc), "$text-error"))
            return
        self.app.notify("Back to the course's text.", markup=False)
        self.dismiss(True)
