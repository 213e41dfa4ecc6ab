"""`tutor doctor` and `tutor grade`: checking the installation, grading one answer."""

from __future__ import annotations

import sys

import click

from tutor.cli import cli, echo_json, tutor_from


@cli.command()
@click.option("--json", "as_json", is_flag=True, help='Print {"ok": …, "checks": […]}.')
def doctor(as_json: bool) -> None:
    """Check the installation: versions, data, model, indexes, GPU, database."""
    from tutor.doctor import run_checks

    checks = run_checks()
    failed = any(c.status == "fail" for c in checks)
    if as_json:
        echo_json({"ok": not failed, "checks": [c.__dict__ for c in checks]})
    elif not sys.stdout.isatty():
        # a log or a pipe: whole lines, since rich would cut them at 80 columns
        # (the model path ended in "gt_all…")
        for check in checks:
            label = "FAIL" if check.status == "fail" else check.status
            click.echo(f"{label:<5} {check.name:<13} {check.detail}")
    else:
        from rich.console import Console
        from rich.table import Table
        from rich.text import Text

        table = Table(show_header=False, box=None)
        marks = {"ok": "green", "warn": "yellow", "fail": "red", "info": "dim"}
        for check in checks:
            label = "FAIL" if check.status == "fail" else check.status
            table.add_row(Text(label, style=marks[check.status]), check.name, Text(check.detail))
        Console().print(table)
    if failed:
        sys.exit(1)


@cli.command()
@click.argument("source", required=False, metavar="[-]")
@click.option("--question", "-q", default="", help="The question asked.")
@click.option("--reference", "-r", help="The reference answer.")
@click.option("--answer", "-a", help="The learner's answer.")
@click.option("--kind", type=click.Choice(["short", "cloze", "mcq"]), default="short")
@click.option("--accept", multiple=True, help="Another accepted answer (repeatable).")
@click.option("--choice", "choices", multiple=True, help="An mcq choice (repeatable, in order).")
@click.option(
    "--json", "as_json", is_flag=True, help="Print {verdict, score, correct, feedback, evidence}."
)
def grade(source, question, reference, answer, kind, accept, choices, as_json) -> None:
    """Grade an answer against a reference, or JSON lines from stdin with '-'.

    Each stdin line is {"question", "reference", "answer"} (optionally "kind",
    "accept", "choices", "source", and "examples": labelled answers to this
    question, [{"answer", "label"}]); one result is written per line, with its
    "evidence" (what decided the verdict), and a line
    that cannot be read gets {"line": N, "error": "..."} while the rest go on.
    """
    from tutor import grade as grading

    tutor = tutor_from()

    def show(result) -> None:
        if as_json:
            echo_json(result.to_dict())
        else:
            click.echo(f"{result.verdict} ({result.score:.2f})\n{result.feedback}")

    if source == "-":
        stdin = getattr(sys.stdin, "buffer", sys.stdin)  # bytes: bad UTF-8 is reported
        bad = 0
        for result in tutor.grade_many(grading.read_json_lines(stdin)):
            if isinstance(result, grading.GradeInputError):
                bad += 1
                if as_json:
                    echo_json({"line": getattr(result, "line", None), "error": str(result)})
                else:
                    click.echo(f"error: {result}", err=True)
                continue
            show(result)
        if bad:
            sys.exit(1)
        return
    if source is not None:
        raise click.UsageError("the only argument grade takes is '-' (JSON lines on stdin)")
    if reference is None or answer is None:
        raise click.UsageError("give --reference and --answer, or '-' to read JSON lines")
    show(tutor.grade(question, reference, answer, kind=kind, accept=accept, choices=choices))
