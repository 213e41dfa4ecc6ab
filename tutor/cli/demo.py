"""`tutor demo`: a live model demo, headless, with a rich view or one JSON object."""

from __future__ import annotations

import sys

import click

from tutor.cli import cli, echo_json
from tutor.errors import TutorError


@cli.command()
@click.argument("name", required=False)
@click.option("--list", "list_demos", is_flag=True, help="List the demos and their lessons.")
@click.option("--device", metavar="D", help="auto (default), cpu, cuda, cuda:N or mps.")
@click.option("--quick", is_flag=True, help="The small size the tests use (a few seconds).")
@click.option("--json", "as_json", is_flag=True, help="Print {demo, device, seconds, metrics}.")
@click.option("--seed", type=int, default=0, show_default=True, help="Same seed, same run.")
@click.option("--text", help="The sentence the attention demo looks at.")
def demo(name, list_demos, device, quick, as_json, seed, text) -> None:
    """Run a live model demo (NAME) headless; Ctrl+C stops it cleanly."""
    from tutor.demos import get_demo
    from tutor.demos.terminal import demo_list, run_in_terminal

    if list_demos or not name:
        if as_json:
            echo_json({"demos": demo_list()})
        else:
            for d in demo_list():
                click.echo(f"{d['name']:<15} {d['title']}  (lesson: {d['lesson']})")
        return
    get_demo(name)  # an unknown name is a one-line error before anything heavy loads
    options = {}
    if text is not None:
        if name != "attention":
            raise TutorError("--text is only for the attention demo")
        if not text.strip():
            raise TutorError("--text is empty: give the sentence the attention demo should read")
        options["text"] = text
    result = run_in_terminal(
        name, as_json=as_json, quick=quick, device=device, seed=seed, **options
    )
    if result.cancelled:
        sys.exit(130)
