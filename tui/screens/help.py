"""The help screen: every key of every screen, read from the screens' own bindings.

Nothing here is a hand-kept list: the keys come from each registered screen's
BINDINGS and the palette entries from `tui.app.PALETTE`, so a new screen shows up
here as soon as it is registered.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Static

# (group title, registered screen name or a class path) in the order shown
GROUPS = [
    ("Everywhere", None),
    ("Home", "home"),
    ("Lesson reader", "lesson"),
    ("Chat", "chat"),
    ("An answer in the chat (tab to it)", "tui.screens.chat:TutorMessage"),
    ("Daily review", "review"),
    ("Quiz", "quiz"),
    ("Stats", "stats"),
    ("Demos", "demos"),
    ("Card browser", "cards"),
    ("A card (enter in the browser)", "tui.screens.cards:CardScreen"),
    ("Editing a card", "tui.screens.cards:EditCardScreen"),
    ("Backups", "backups"),
]
KEY_WIDTH = 14


def _bindings(owner: type) -> list[Binding]:
    result = []
    for item in getattr(owner, "BINDINGS", []):
        result.append(item if isinstance(item, Binding) else Binding(*item))
    return result


class HelpScreen(ModalScreen[None]):
    CSS_PATH = "modal.tcss"
    BINDINGS = [
        Binding("escape,q,question_mark,f1", "dismiss", "Close", show=False),
    ]

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog") as dialog:
            dialog.border_title = "Keys"
            dialog.border_subtitle = "esc close · ctrl+p finds any command by name"
            with VerticalScroll(id="help-body"):
                yield from self._groups()

    def _owner(self, target: str | None) -> type | None:
        if target is None:
            return type(self.app)
        if ":" in target:
            import importlib

            module, _, name = target.partition(":")
            return getattr(importlib.import_module(module), name)
        return self.app.screen_class(target)

    def _groups(self):
        for title, target in GROUPS:
            owner = self._owner(target)
            if owner is None:
                continue  # a screen that is not in this build yet
            rows = []
            for binding in _bindings(owner):
                if not binding.description:
                    continue
                keys = " ".join(
                    self.app.get_key_display(Binding(key, binding.action, key_display=None))
                    for key in binding.key.split(",")
                )
                if binding.key_display:
                    keys = binding.key_display
                rows.append(
                    Content.assemble(
                        (keys.ljust(KEY_WIDTH), "bold $accent"),
                        binding.tooltip or binding.description,
                    )
                )
            if title == "Everywhere":
                rows.append(
                    Content.assemble(
                        ("^p".ljust(KEY_WIDTH), "bold $accent"),
                        "Command palette: every action by name",
                    )
                )
                rows.append(
                    Content.assemble(
                        ("tab".ljust(KEY_WIDTH), "bold $accent"), "Move between parts of a screen"
                    )
                )
            if rows:
                yield Static(Content(title), classes="help-group")
                yield Static(Content("\n").join(rows), classes="help-rows")

        from tui.app import PALETTE

        rows = [
            # two spaces at least: a title longer than the column ran into its help
            Content.assemble((entry.title.ljust(30) + "  ", "bold"), (entry.help, "dim"))
            for entry in PALETTE
        ]
        yield Static(Content("In the command palette (ctrl+p)"), classes="help-group")
        yield Static(Content("\n").join(rows), classes="help-rows")
