"""The `tutor` command: thin wrappers over library functions.

Heavy modules (torch, sentence-transformers, faiss) are imported inside the
commands that need them, so `tutor --help` and `tutor stats` start instantly.
"""

from __future__ import annotations

import sys

import click

from tutor.errors import TutorError


@click.group(invoke_without_command=True)
@click.version_option(package_name="tutor")
@click.pass_context
def cli(ctx: click.Context) -> None:
    """An offline tutor for a course on AI large models.

    Run with no command to open the app.
    """
    if ctx.invoked_subcommand is None:
        from tui.app import run

        run()


def main() -> None:
    """Entry point: expected errors become one line on stderr and exit status 1."""
    try:
        cli.main(standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except TutorError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    except KeyboardInterrupt:
        click.echo("Interrupted.", err=True)
        sys.exit(130)
    except BrokenPipeError:
        sys.exit(0)


if __name__ == "__main__":
    main()
