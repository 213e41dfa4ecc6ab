"""The `tutor` command: thin wrappers over the `tutor.services.Tutor` facade.

One module per command group (`ask`, `study`, `cards_io`, `demo`, `system`).
Heavy modules (the ONNX model, torch, faiss) are imported inside the commands
that need them, so `tutor --help` and `tutor stats` start at once.

`--json` means the same everywhere: one JSON object on stdout per result, and
for the `-` batch forms (`ask --json -`, `grade --json -`) one object per input
line, in order, with `"error"` set on a line that could not be answered.
"""

from __future__ import annotations

import json
import sys
from contextlib import contextmanager
from pathlib import Path

import click

from tutor.errors import TutorError


class TutorGroup(click.Group):
    """Turns expected errors into one line on stderr and exit status 1, no traceback.

    Ctrl+C ends any command with one line and the shell's usual status 130; what
    was recorded before it (every rated review) is already committed.
    """

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except TutorError as exc:
            raise click.ClickException(str(exc)) from None
        except (KeyboardInterrupt, click.Abort):  # click.prompt turns Ctrl+C into Abort
            click.echo("\ntutor: interrupted", err=True)
            raise click.exceptions.Exit(130) from None
        except BrokenPipeError:
            # `tutor ask --json - | head -1`: the reader has all it wants, which is not
            # an error. Caught here because click's own handler exits 1 for it.
            _quiet_stdout()
            raise click.exceptions.Exit(0) from None


def _quiet_stdout() -> None:
    """Point stdout at /dev/null, so Python's flush at exit meets no broken pipe."""
    import os

    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())


@click.group(cls=TutorGroup, invoke_without_command=True)
@click.version_option(package_name="tutor")
@click.pass_context
def cli(ctx: click.Context) -> None:
    """An offline tutor for a course on AI large models.

    Run with no command to open the app.
    """
    if ctx.invoked_subcommand is None:
        if not (sys.stdin.isatty() and sys.stdout.isatty()):
            raise TutorError(
                "the app needs a terminal; for scripts use a command (tutor --help lists them)"
            )
        # The console script may launch the app; nothing else in tutor/ imports tui/.
        from tui.app import run

        run()


def tutor_from(course_dir: Path | None = None):
    """The facade for a command, with the model's one-time preparation said on stderr."""
    from tutor import embed
    from tutor.services import Tutor

    embed.set_notify(lambda message: click.echo(message, err=True))
    return Tutor(course_dir)


def echo_json(payload) -> None:
    click.echo(json.dumps(payload, ensure_ascii=False))


PLAIN_EVERY = 500  # items between two plain progress lines, at most


@contextmanager
def progress_bar(transient: bool = True):
    """A rich progress bar on stderr, as a `progress(stage, done, total)` callback.

    When stderr is not a terminal (a log, CI) it writes a plain line per stage
    and every tenth of the way, or every `PLAIN_EVERY` items if that comes sooner,
    so long work (a big note: thousands of passages) never looks hung.
    """
    if not sys.stderr.isatty():
        said: dict[str, int] = {}

        def plain(stage: str, done: int, total: int) -> None:
            step = max(1, min(total // 10, PLAIN_EVERY))
            if stage not in said or done >= total or done - said[stage] >= step:
                said[stage] = done
                click.echo(f"{stage}: {done}/{total}", err=True)

        yield plain
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    bar = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=transient,
    )
    tasks: dict[str, int] = {}

    def update(stage: str, done: int, total: int) -> None:
        if stage not in tasks:
            tasks[stage] = bar.add_task(stage, total=total)
        bar.update(tasks[stage], completed=done, total=total)

    with bar:
        yield update


def main() -> None:
    """Entry point of the `tutor` console script."""
    try:
        cli(prog_name="tutor")
    except BrokenPipeError:  # one raised outside a command (while click prints help)
        _quiet_stdout()
        sys.exit(0)


from tutor.cli import ask, backup, cards, cards_io, demo, study, system  # noqa: E402,F401  (registers commands)
