"""Restore a backup (a modal): the backups newest first; enter asks, enter again restores.

The restore runs through the facade (`Tutor.restore`), in a worker: it checks the
backup's integrity first and backs up the current data before replacing it, so
a wrong pick is itself undone by restoring the "before-restore" backup.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from tui.workers import thread_work
from tutor.errors import TutorError


class BackupsScreen(ModalScreen[None]):
    CSS_PATH = "modal.tcss"
    BINDINGS = [
        Binding("escape", "dismiss(None)", "Close"),
        Binding("b", "backup", "Back up now"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.asked: str | None = None  # the backup the learner pressed enter on once
        self.busy = False

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog") as dialog:
            dialog.border_title = "Backups"
            dialog.border_subtitle = "enter restore (asks first) · b back up now · esc close"
            yield Static(Content(""), id="backup-status")
            yield OptionList(id="backups")

    def on_mount(self) -> None:
        self.show_list()

    def show_list(self) -> None:
        backups = self.app.tutor.backups()
        options = self.query_one("#backups", OptionList)
        options.clear_options()
        for b in backups:
            when = b.made_at.astimezone().strftime("%Y-%m-%d %H:%M")
            options.add_option(
                Option(
                    Content.assemble(
                        (when, "bold"), f"  {b.reason}", (f"  {b.size / 1e6:.1f} MB", "dim")
                    ),
                    id=str(b.path),
                )
            )
        status = self.query_one("#backup-status", Static)
        if backups:
            options.highlighted = 0
            status.update(Content.styled(f"In {backups[0].path.parent}", "$text-muted"))
        else:
            status.update(Content("No backups yet (one is made on the first use of each day)."))
        options.focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        if self.busy:
            return
        path = str(event.option.id)
        if self.asked != path:
            self.asked = path
            self.query_one("#backup-status", Static).update(
                Content.styled(
                    "Press enter again to replace your data with this backup "
                    "(your current data is backed up first).",
                    "bold $text-warning",
                )
            )
            return
        self.busy = True
        self.query_one("#backup-status", Static).update(Content.styled("Restoring…", "italic"))
        self.restore(path)

    @thread_work("restore")
    def restore(self, path: str) -> None:
        try:
            report = self.app.tutor.restore(path)
        except TutorError as exc:
            self.app.call_from_thread(self.restore_failed, str(exc))
            return
        self.app.call_from_thread(self.restored, report)

    def restore_failed(self, message: str) -> None:
        self.busy = False
        self.asked = None
        self.query_one("#backup-status", Static).update(Content.styled(message, "$text-error"))

    def restored(self, report) -> None:
        self.app.notify(
            f"Restored: {report.cards} cards, {report.reviews} reviews. The data it replaced "
            f"is in {report.safety_backup}",
            timeout=10,
            markup=False,
        )
        self.app.refresh_summary()
        self.dismiss(None)

    def action_backup(self) -> None:
        try:
            made = self.app.tutor.backup()
        except TutorError as exc:
            self.query_one("#backup-status", Static).update(Content.styled(str(exc), "$text-error"))
            return
        self.app.notify(f"Backed up to {made.path}", markup=False)
        self.show_list()
