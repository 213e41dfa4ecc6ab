"""Pick an earlier chat session to resume (a modal over the chat)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option


class SessionsScreen(ModalScreen[int | None]):
    CSS_PATH = "modal.tcss"
    BINDINGS = [Binding("escape", "dismiss(None)", "Close")]

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog") as dialog:
            dialog.border_title = "Chat history"
            dialog.border_subtitle = "enter resume · esc close"
            yield OptionList(id="sessions")
            yield Static(Content(""), id="empty")

    def on_mount(self) -> None:
        sessions = self.app.tutor.chats.sessions() if self.app.db is not None else []
        options = self.query_one("#sessions", OptionList)
        from tutor.study.clock import parse_iso, zone

        for s in sessions:
            # the learner's own clock (not UTC), and "1 message", not "1 messages"
            when = parse_iso(s.updated_at).astimezone(zone()).strftime("%Y-%m-%d %H:%M")
            noun = "message" if s.messages == 1 else "messages"
            options.add_option(
                Option(
                    Content.assemble(
                        s.title,
                        (f"\n{when} · {s.messages} {noun}", "dim"),
                    ),
                    id=str(s.id),
                )
            )
        if sessions:
            options.highlighted = 0
        else:
            self.query_one("#empty", Static).update(Content("No chats yet."))
        options.focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(int(event.option.id))
