"""The `tutor` command: thin wrappers over library functions.

Heavy modules (torch, sentence-transformers, faiss) are imported inside the
commands that need them, so `tutor --help` and `tutor stats` start instantly.
"""

from __future__ import annotations

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


@click.group(cls=TutorGroup, invoke_without_command=True)
@click.version_option(package_name="tutor")
@click.pass_context
def cli(ctx: click.Context) -> None:
    """An offline tutor for a course on AI large models.

    Run with no command to open the app.
    """
    if ctx.invoked_subcommand is None:
        from tui.app import run

        run()


@contextmanager
def progress_bar(transient: bool = True):
    """A rich progress bar on stderr, as a `progress(stage, done, total)` callback."""
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


def _print_answer(answer) -> None:
    from rich.console import Console
    from rich.text import Text

    console = Console()
    console.print(Text(answer.answer))  # course text is never markup
    sources = answer.sources if answer.in_scope else answer.suggestions
    if sources:
        console.print()
        console.print(Text("Sources:" if answer.in_scope else "Try these lessons:", style="bold"))
    for n, source in enumerate(sources, start=1):
        line = Text(f"  {n}. ")
        line.append(f"{source.lesson} › {source.section}", style="cyan")
        line.append(f"  {source.path}:{source.line}", style="dim")
        console.print(line)


@cli.command()
@click.argument("question")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object per question.")
def ask(question: str, as_json: bool) -> None:
    """Answer QUESTION from the course, citing lesson, section and file:line.

    With QUESTION "-", read one question per line from stdin (the model loads once).
    """
    import json

    from tutor.answer import Answerer, check_question

    if question != "-":
        check_question(question)  # fail fast, before the model loads
    with progress_bar() as update:
        answerer = Answerer.load(index_progress=update)
    questions = (line for line in sys.stdin) if question == "-" else [question]
    for text in questions:
        if question == "-" and not text.strip():
            continue
        try:
            answer = answerer.ask(text)
        except TutorError as exc:
            if question != "-":
                raise
            click.echo(
                json.dumps({"question": text.strip(), "error": str(exc)})
                if as_json
                else f"error: {exc}"
            )
            continue
        if as_json:
            click.echo(json.dumps(answer.to_dict(), ensure_ascii=False))
        else:
            _print_answer(answer)
            if question == "-":
                click.echo()


@cli.command()
@click.argument("folders", nargs=-1, type=click.Path(path_type=Path))
@click.option("--course", "course", is_flag=True, help="Rebuild the bundled course index (index/).")
def index(folders: tuple[Path, ...], course: bool) -> None:
    """Add FOLDERS of .md/.txt notes to your library, or refresh it.

    Only new or changed files are embedded; deleted files leave the index.
    """
    from tutor import paths

    if course:
        from tutor.course import load_course
        from tutor.index import build_course_index

        loaded = load_course(paths.content_dir())
        for error in loaded.errors:
            click.echo(f"warning: {error}", err=True)
        with progress_bar() as update:
            manifest = build_course_index(loaded, paths.bundled_index_dir(), update)
        click.echo(
            f"Indexed {len(loaded.lessons)} lessons: {manifest.chunk_count} chunks in {paths.bundled_index_dir()}"
        )
        return

    from tutor.library import roots, update_library

    if not folders and not roots():
        raise TutorError("the library is empty: give a folder of notes, e.g. tutor index ~/notes")
    with progress_bar() as update:
        report = update_library(list(folders), update)
    for notice in report.notices:
        click.echo(notice, err=True)
    for error in report.errors:
        click.echo(f"warning: {error}", err=True)
    click.echo(
        f"Library: {report.added} added, {report.updated} updated, {report.removed} removed, "
        f"{report.unchanged} unchanged ({report.chunks} chunks embedded)."
    )
    from tutor import store
    from tutor.cards import sync_library

    cards = sync_library(store.connect())  # generated cards for the notes
    if cards is not None and not cards.skipped:
        click.echo(f"Cards: {cards}")


@cli.command()
def prepare() -> None:
    """Build the fast ONNX copy of the language model (once; `make install` runs it)."""
    from tutor import embed, onnx_cache

    path = onnx_cache.ensure_encoder(embed.model_path(), lambda m: click.echo(m, err=True))
    click.echo(f"Model ready: {path}")


@cli.command()
@click.option("--json", "as_json", is_flag=True)
def doctor(as_json: bool) -> None:
    """Check the installation: versions, data, model, indexes, GPU, database."""
    import json

    from tutor.doctor import run_checks

    checks = run_checks()
    if as_json:
        click.echo(json.dumps([c.__dict__ for c in checks], indent=2))
    else:
        from rich.console import Console
        from rich.table import Table

        table = Table(show_header=False, box=None)
        marks = {
            "ok": "[green]ok[/]",
            "warn": "[yellow]warn[/]",
            "fail": "[red]FAIL[/]",
            "info": "[dim]info[/]",
        }
        for check in checks:
            from rich.text import Text

            table.add_row(marks[check.status], check.name, Text(check.detail))
        Console().print(table)
    if any(c.status == "fail" for c in checks):
        sys.exit(1)


@cli.command()
@click.argument("source", required=False, metavar="[-]")
@click.option("--question", "-q", default="", help="The question asked.")
@click.option("--reference", "-r", help="The reference answer.")
@click.option("--answer", "-a", help="The learner's answer.")
@click.option("--kind", type=click.Choice(["short", "cloze", "mcq"]), default="short")
@click.option("--accept", multiple=True, help="Another accepted answer (repeatable).")
@click.option("--choice", "choices", multiple=True, help="An mcq choice (repeatable, in order).")
@click.option("--json", "as_json", is_flag=True, help="Print {verdict, score, correct, feedback}.")
def grade(source, question, reference, answer, kind, accept, choices, as_json) -> None:
    """Grade an answer against a reference, or JSON lines from stdin with '-'.

    Each stdin line is {"question", "reference", "answer"} (optionally "kind",
    "accept", "choices", "source"); one result is written per line.
    """
    import json

    from tutor import grade as grading

    def show(result) -> None:
        if as_json:
            click.echo(json.dumps(result.to_dict(), ensure_ascii=False))
        else:
            click.echo(f"{result.verdict} ({result.score:.2f})\n{result.feedback}")

    if source == "-":
        stdin = getattr(sys.stdin, "buffer", sys.stdin)  # bytes: bad UTF-8 is reported
        for result in grading.grade_many(grading.read_json_lines(stdin)):
            show(result)
        return
    if source is not None:
        raise click.UsageError("the only argument grade takes is '-' (JSON lines on stdin)")
    if reference is None or answer is None:
        raise click.UsageError("give --reference and --answer, or '-' to read JSON lines")
    show(grading.grade(question, reference, answer, kind=kind, accept=accept, choices=choices))


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
    from tutor.cards import course_fingerprint

    if store.get_setting(db, "cards.fingerprint.course") != course_fingerprint(course):
        click.echo("Updating cards from the course…", err=True)
    report = sync_cards(db, course, "course")
    if not report.skipped:
        click.echo(f"Cards: {report}", err=True)
    if course_dir is None:
        try:
            library = sync_library(db)
        except Exception as exc:  # noqa: BLE001 — the course cards still work
            click.echo(f"warning: cards from your notes not updated ({exc})", err=True)
            library = None
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


@cli.command()
@click.option("--new-per-day", type=int, metavar="N", help="New cards introduced per day.")
@click.option("--retention", type=float, metavar="R", help="Desired retention, 0.70-0.99.")
def schedule(new_per_day: int | None, retention: float | None) -> None:
    """Show or change the review settings: new cards per day and desired retention."""
    from tutor import srs, store

    db = store.connect()
    if new_per_day is not None:
        srs.set_new_per_day(db, new_per_day)
    if retention is not None:
        srs.set_desired_retention(db, retention)
    fitted = "your own (tutor optimize)" if srs.has_fitted_parameters(db) else "FSRS defaults"
    click.echo(f"New cards per day: {srs.new_per_day(db)}")
    click.echo(f"Desired retention: {srs.desired_retention(db):.2f}")
    click.echo(f"FSRS parameters:   {fitted}")


@cli.command("export")
@click.option(
    "--anki", "anki", type=click.Path(path_type=Path, dir_okay=False), metavar="FILE.apkg"
)
@click.option("--csv", "csv_path", type=click.Path(path_type=Path, dir_okay=False), metavar="FILE")
@click.option("--all", "include_retired", is_flag=True, help="Include retired cards.")
@click.option("--course", "course_dir", type=click.Path(path_type=Path, file_okay=False))
def export_cards(
    anki: Path | None, csv_path: Path | None, include_retired: bool, course_dir: Path | None
) -> None:
    """Export your cards: an Anki package (one deck per lesson) and/or a CSV file."""
    from tutor import exchange

    if not anki and not csv_path:
        raise click.UsageError("give --anki FILE.apkg and/or --csv FILE")
    db = _study_db(course_dir)
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


# --- end study ---


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
    import json

    from tutor.demos import get_demo
    from tutor.demos.terminal import demo_list, run_in_terminal

    if list_demos or not name:
        if as_json:
            click.echo(json.dumps(demo_list()))
        else:
            for d in demo_list():
                click.echo(f"{d['name']:<15} {d['title']}  (lesson: {d['lesson']})")
        return
    get_demo(name)  # an unknown name is a one-line error before anything heavy loads
    options = {}
    if text is not None:
        if name != "attention":
            raise TutorError("--text is only for the attention demo")
        options["text"] = text
    result = run_in_terminal(
        name, as_json=as_json, quick=quick, device=device, seed=seed, **options
    )
    if result.cancelled:
        sys.exit(130)


def main() -> None:
    """Entry point of the `tutor` console script."""
    try:
        cli(prog_name="tutor")
    except BrokenPipeError:  # `tutor ask --json - | head`
        sys.stderr.close()
        sys.exit(0)


if __name__ == "__main__":
    main()
