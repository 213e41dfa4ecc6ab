"""The `tutor` command: thin wrappers over library functions.

Heavy modules (torch, sentence-transformers, faiss) are imported inside the
commands that need them, so `tutor --help` and `tutor stats` start instantly.
"""

from __future__ import annotations

import sys
from pathlib import Path

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


# --- study: quiz, review, stats, optimize, export, import (tutor.session / srs / stats) ---


def _study_db(course_dir: Path | None, *, sync: bool = True):
    """Open the learner's database and bring the cards up to date with the course."""
    from tutor import store
    from tutor.cards import sync_cards, sync_library
    from tutor.course import load_course

    db = store.connect()
    if not sync:
        return db
    from tutor import paths

    course = load_course(course_dir or paths.content_dir())
    report = sync_cards(db, course, "course")
    if not report.skipped:
        click.echo(f"Cards: {report}", err=True)
    if course_dir is None:
        library = sync_library(db)
        if library is not None and not library.skipped and (library.added or library.retired):
            click.echo(f"Cards: {library}", err=True)
    return db


def _run_session(mode: str, lesson: str | None, limit: int | None, cram: bool, course_dir) -> None:
    from tutor.cards import lessons_with_cards
    from tutor.session import Session, run_plain

    db = _study_db(course_dir)
    if lesson and lesson not in {lid for lid, _ in lessons_with_cards(db)}:
        raise TutorError(f"no lesson {lesson!r} with cards (see `tutor stats` for lesson ids)")
    session = Session(db, mode, lesson=lesson, limit=limit, cram=cram)
    if session.remaining == 0:
        click.echo("Nothing to review right now." if mode == "review" else "No cards to quiz.")
        return
    interactive = sys.stdin.isatty()

    def write(text: str) -> None:
        click.echo(text)
        sys.stdout.flush()

    def ask(prompt: str) -> str:
        return click.prompt(prompt, default="", show_default=False)

    summary = run_plain(session, sys.stdin.buffer, write, interactive=interactive, ask=ask)
    write(str(summary))


_SESSION_HELP = """

    Answers are read one per line when stdin is not a terminal, so a session can be
    scripted: `printf 'feature map\\nrate: 4\\nb\\n' | tutor review`. After each
    answer the suggested rating is recorded (incorrect → 1 Again, partial → 2 Hard,
    correct → 3 Good, correct and quick → 4 Easy; piped answers are never "quick")
    unless the next line is `rate: N` (1-4 or again/hard/good/easy). A line `/skip`
    skips the card, `/quit` ends the session. Multiple-choice answers may be the
    letter (a, b, ...) or the text. Each review is saved before "Recorded" is printed.
"""


@cli.command(help="Quiz yourself on a lesson (or the whole course)." + _SESSION_HELP)
@click.option("--lesson", "lesson", metavar="ID", help="Only this lesson's cards.")
@click.option("-n", "limit", type=click.IntRange(1, 1000), default=10, show_default=True)
@click.option("--cram", is_flag=True, help="Practise without changing the schedule.")
@click.option("--course", "course_dir", type=click.Path(path_type=Path, file_okay=False))
def quiz(lesson: str | None, limit: int, cram: bool, course_dir: Path | None) -> None:
    _run_session("quiz", lesson, limit, cram, course_dir)


@cli.command(
    help="Today's reviews: due cards, then new cards up to the daily limit." + _SESSION_HELP
)
@click.option("--lesson", "lesson", metavar="ID", help="Only this lesson's cards.")
@click.option("-n", "limit", type=click.IntRange(1, 100000), default=None, help="At most N cards.")
@click.option("--cram", is_flag=True, help="Review every card without rescheduling.")
@click.option("--course", "course_dir", type=click.Path(path_type=Path, file_okay=False))
def review(lesson: str | None, limit: int | None, cram: bool, course_dir: Path | None) -> None:
    _run_session("review", lesson, limit, cram, course_dir)


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print the figures as one JSON object.")
def stats(as_json: bool) -> None:
    """Due and new today, reviews per day, retention, streak, forecast, mastery, time."""
    import json

    from tutor import store
    from tutor.stats import compute_stats, format_stats

    figures = compute_stats(store.connect(), store.utcnow())
    click.echo(json.dumps(figures.to_dict(), indent=2) if as_json else format_stats(figures))


@cli.command()
def optimize() -> None:
    """Fit your own FSRS parameters from your review history (needs 512+ spaced reviews)."""
    from tutor import store
    from tutor.srs import optimize as run_optimizer

    db = store.connect()
    click.echo("Optimizing FSRS parameters from your review log…", err=True)
    result = run_optimizer(db)
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


@cli.command("export")
@click.option(
    "--anki", "anki", type=click.Path(path_type=Path, dir_okay=False), metavar="FILE.apkg"
)
@click.option("--csv", "csv_path", type=click.Path(path_type=Path, dir_okay=False), metavar="FILE")
@click.option("--all", "include_retired", is_flag=True, help="Include retired cards.")
def export_cards(anki: Path | None, csv_path: Path | None, include_retired: bool) -> None:
    """Export your cards: an Anki package (one deck per lesson) and/or a CSV file."""
    from tutor import exchange

    if not anki and not csv_path:
        raise click.UsageError("give --anki FILE.apkg and/or --csv FILE")
    db = _study_db(None)
    if anki:
        n = exchange.export_anki(db, anki, include_retired=include_retired)
        click.echo(f"Wrote {n} notes to {anki}")
    if csv_path:
        n = exchange.export_csv(db, csv_path, include_retired=include_retired)
        click.echo(f"Wrote {n} cards to {csv_path}")


@cli.command("import")
@click.option("--csv", "csv_path", required=True, type=click.Path(path_type=Path, dir_okay=False))
def import_cards(csv_path: Path) -> None:
    """Import a teacher's own cards from CSV (columns: front, back; optional lesson,
    kind, accept, choices, explanation). Every bad row is reported with its line."""
    from tutor import exchange, store

    report = exchange.import_csv(store.connect(), csv_path)
    for error in report.errors:
        click.echo(f"error: {error}", err=True)
    click.echo(str(report))
    if report.errors and not (report.added or report.updated or report.unchanged):
        sys.exit(1)


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
