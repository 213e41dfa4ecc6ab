"""`tutor quiz`, `review`, `stats`, `schedule` and `optimize` (the terminal driver they
use is `tutor.cli.terminal`)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from tutor.cli import cli, echo_json, tutor_from


def _synced(course_dir: Path | None):
    """The facade, with the cards brought up to date (said on stderr when work was done)."""
    tutor = tutor_from(course_dir)
    for error in tutor.course.errors:
        click.echo(f"warning: {error}", err=True)
    if tutor.cards_need_sync():
        click.echo("Updating cards from the course…", err=True)
    for report in tutor.sync_cards():
        if not report.skipped and (report.added or report.updated or report.retired):
            click.echo(f"Cards: {report}", err=True)
    return tutor


def _run_session(mode: str, lesson: str | None, limit: int | None, cram: bool, course_dir) -> None:
    tutor = _synced(course_dir)
    session = tutor.session(mode, lesson=lesson, limit=limit, cram=cram)
    if session.remaining == 0:
        click.echo("Nothing to review right now." if mode == "review" else "No cards to quiz.")
        return
    interactive = sys.stdin.isatty()

    def write(text: str) -> None:
        click.echo(text)
        sys.stdout.flush()

    def ask(prompt: str) -> str | None:
        """The learner's reply, or None at the end of input (Ctrl+D), which ends the
        session the way piped answers running out do: not an interrupt."""
        try:
            return click.prompt(prompt, default="", show_default=False)
        except click.Abort as exc:  # click turns both Ctrl+C and Ctrl+D into Abort
            if isinstance(exc.__context__, EOFError):
                return None
            raise

    from tutor.cli.terminal import run_plain

    summary = run_plain(session, sys.stdin.buffer, write, interactive=interactive, ask=ask)
    write(str(summary))


_SESSION_HELP = """

    Answers are read one per line when stdin is not a terminal, so a session can be
    scripted: `printf 'feature map\\nrate: 4\\nb\\n' | tutor review`. After each
    answer the suggested rating is recorded (incorrect → 1 Again, partial → 2 Hard,
    correct → 3 Good, correct and quick → 4 Easy; piped answers are never "quick")
    unless the next line is `rate: N` (1-4 or again/hard/good/easy). A line
    `mark: correct` (or partial / incorrect) right after a typed answer overrules the
    grader, and the grader grades that answer so next time (at a terminal: y / n at
    the rating prompt). A line `/skip`
    skips the card, `/undo` takes back the last review and asks that card again,
    `/quit` ends the session. Multiple-choice answers may be the
    letter (a, b, ...) or the text. Each review is saved before "Recorded" is printed.
"""

_COURSE = click.option(
    "--course", "course_dir", type=click.Path(path_type=Path), help="Another course folder."
)


@cli.command(help="Quiz yourself on a lesson (or the whole course)." + _SESSION_HELP)
@click.option("--lesson", "lesson", metavar="ID", help="Only this lesson's cards.")
@click.option("-n", "limit", type=click.IntRange(1, 1000), default=10, show_default=True)
@click.option("--cram", is_flag=True, help="Practise without changing the schedule.")
@_COURSE
def quiz(lesson: str | None, limit: int, cram: bool, course_dir: Path | None) -> None:
    _run_session("quiz", lesson, limit, cram, course_dir)


@cli.command(
    help="Today's reviews: due cards, then new cards up to the daily limit." + _SESSION_HELP
)
@click.option("--lesson", "lesson", metavar="ID", help="Only this lesson's cards.")
@click.option("-n", "limit", type=click.IntRange(1, 100000), default=None, help="At most N cards.")
@click.option("--cram", is_flag=True, help="Review every card without rescheduling.")
@_COURSE
def review(lesson: str | None, limit: int | None, cram: bool, course_dir: Path | None) -> None:
    _run_session("review", lesson, limit, cram, course_dir)


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print the figures as one JSON object.")
def stats(as_json: bool) -> None:
    """Due and new today, reviews per day, retention, streak, forecast, mastery, time."""
    tutor = tutor_from()
    tutor.sync_cards()  # a fresh home counts the course's cards, not zero
    figures = tutor.stats()
    if as_json:
        echo_json(figures.to_dict())
    else:
        from tutor.cli.terminal import format_stats

        click.echo(format_stats(figures))


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print the result as one JSON object.")
def optimize(as_json: bool) -> None:
    """Fit your own FSRS parameters from your review history (needs 512+ spaced reviews)."""
    tutor = tutor_from()
    if not as_json:
        click.echo("Optimizing FSRS parameters from your review log…", err=True)
    result = tutor.optimize()
    if as_json:
        echo_json(
            {
                "spaced_reviews": result.spaced_reviews,
                "needed": result.needed,
                "changed": result.changed,
                "parameters": list(result.parameters),
            }
        )
        return
    if not result.enough:
        click.echo(
            f"Not enough history yet: {result.spaced_reviews} reviews spaced a day or more "
            f"apart; the optimizer needs {result.needed} more. Keep reviewing!"
        )
        return
    click.echo(
        f"Fitted from {result.spaced_reviews} spaced reviews; "
        + ("new parameters saved." if result.changed else "parameters unchanged.")
    )
    click.echo(", ".join(f"{p:.4f}" for p in result.parameters))


@cli.command("schedule")
@click.option("--new-per-day", type=int, metavar="N", help="New cards introduced per day.")
@click.option("--retention", type=float, metavar="R", help="Desired retention, 0.70-0.99.")
@click.option("--daily-goal", type=int, metavar="N", help="Reviews a day the streak counts.")
@click.option("--leech-lapses", type=int, metavar="N", help="Lapses that make a leech (0: off).")
@click.option("--freeze-every", type=int, metavar="N", help="Goal days that earn a streak freeze.")
@click.option("--freeze-max", type=int, metavar="N", help="Streak freezes banked at most (0: off).")
@click.option("--json", "as_json", is_flag=True, help="Print the settings as one JSON object.")
def schedule_command(
    new_per_day: int | None,
    retention: float | None,
    daily_goal: int | None,
    leech_lapses: int | None,
    freeze_every: int | None,
    freeze_max: int | None,
    as_json: bool,
) -> None:
    """Show or change the review settings: new cards per day, desired retention, the daily
    goal and its streak freezes, and when a card becomes a leech.

    A streak freeze is earned for every --freeze-every (7) days the goal was met, at most
    --freeze-max (2) banked; a missed day spends one and the streak goes on."""
    settings = tutor_from().schedule(
        new_per_day=new_per_day,
        retention=retention,
        daily_goal=daily_goal,
        leech_lapses=leech_lapses,
        freeze_every=freeze_every,
        freeze_max=freeze_max,
    )
    if as_json:
        echo_json(settings.to_dict())
        return
    fitted = "your own (tutor optimize)" if settings.fitted else "FSRS defaults"
    click.echo(f"New cards per day: {settings.new_per_day}")
    click.echo(f"Desired retention: {settings.desired_retention:.2f}")
    click.echo(f"FSRS parameters:   {fitted}")
    click.echo(f"Daily goal:        {settings.daily_goal} reviews")
    freezes = (
        f"one per {settings.freeze_every} goal days, {settings.freeze_max} banked at most"
        if settings.freeze_max
        else "off"
    )
    click.echo(f"Streak freezes:    {freezes}")
    leech = f"after {settings.leech_lapses} lapses" if settings.leech_lapses else "off"
    click.echo(f"Leeches:           {leech}")
