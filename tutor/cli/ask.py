"""`tutor ask`, `tutor index` and `tutor prepare`: questions, indexes and the model."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from tutor.cli import cli, echo_json, progress_bar, tutor_from
from tutor.errors import TutorError


def _print_answer(answer) -> None:
    from rich.console import Console
    from rich.text import Text

    console = Console()
    if answer.read_as:
        console.print(Text(f"(read as: {answer.read_as})", style="dim"))
    console.print(Text(answer.answer))  # course text is never markup
    sources = answer.sources if answer.in_scope else answer.suggestions
    if sources:
        console.print()
        console.print(Text("Sources:" if answer.in_scope else "Try these lessons:", style="bold"))
    for n, source in enumerate(sources, start=1):
        line = Text(f"  {n}. ")
        same = source.section.casefold() == source.lesson.casefold()  # a note's one section
        line.append(source.lesson if same else f"{source.lesson} › {source.section}", style="cyan")
        line.append(f"  {source.path}:{source.line}", style="dim")
        console.print(line)


@cli.command()
@click.argument("question")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object per question.")
def ask(question: str, as_json: bool) -> None:
    """Answer QUESTION from the course, citing lesson, section and file:line.

    With QUESTION "-", read one question per line from stdin (the model loads once).
    """
    from tutor.answer import check_question

    if question != "-":
        check_question(question)  # fail fast, before the model loads
    tutor = tutor_from()
    with progress_bar() as update:
        answerer = tutor.answerer(
            index_progress=update, notice=lambda message: click.echo(message, err=True)
        )
    for warning in answerer.warnings:
        click.echo(f"warning: {warning}", err=True)
    if question == "-":  # bytes, so a line of invalid UTF-8 is one error, not the end
        stdin = getattr(sys.stdin, "buffer", None)
        questions = (
            (raw.decode("utf-8", "surrogateescape") for raw in stdin)
            if stdin is not None
            else iter(sys.stdin)
        )
    else:
        questions = [question]
    for text in questions:
        if question == "-" and not text.strip():
            continue
        try:
            answer = tutor.ask(text)
        except TutorError as exc:
            if question != "-":
                raise
            if as_json:
                shown = text.strip().encode("utf-8", "surrogateescape").decode("utf-8", "replace")
                echo_json({"question": shown, "error": str(exc)})
            else:
                click.echo(f"error: {exc}")
            continue
        if as_json:
            echo_json(answer.to_dict())
        else:
            _print_answer(answer)
            if question == "-":
                click.echo()


@cli.command()
@click.argument("folders", nargs=-1)
@click.option("--course", "course", is_flag=True, help="Rebuild the bundled course index (index/).")
@click.option("--json", "as_json", is_flag=True, help="Print what changed as one JSON object.")
def index(folders: tuple[str, ...], course: bool, as_json: bool) -> None:
    """Add FOLDERS of .md/.txt notes to your library, or refresh it.

    Only new or changed files are embedded; deleted files leave the index.
    """
    from tutor import paths

    tutor = tutor_from()
    if course:
        for error in tutor.course.errors:
            click.echo(f"warning: {error}", err=True)
        with progress_bar() as update:
            manifest = tutor.build_course_index(update)
        lessons = len(tutor.course.lessons)
        if as_json:
            echo_json({"lessons": lessons, "chunks": manifest.chunk_count})
        else:
            click.echo(
                f"Indexed {lessons} lessons: {manifest.chunk_count} chunks in "
                f"{paths.bundled_index_dir()}"
            )
        return
    if any(not f.strip() for f in folders):
        raise TutorError("an empty folder name was given; name the folder of notes to add")
    with progress_bar() as update:
        report, cards = tutor.index_notes([Path(f) for f in folders], update)
    for notice in report.notices:
        click.echo(notice, err=True)
    for error in report.errors:
        click.echo(f"warning: {error}", err=True)
    if as_json:
        echo_json(
            {
                "added": report.added,
                "updated": report.updated,
                "removed": report.removed,
                "unchanged": report.unchanged,
                "chunks": report.chunks,
                "errors": [str(e) for e in report.errors],
                "cards": str(cards) if cards else None,
            }
        )
        return
    click.echo(
        f"Library: {report.added} added, {report.updated} updated, {report.removed} removed, "
        f"{report.unchanged} unchanged ({report.chunks} chunks embedded)."
    )
    if cards is not None and not cards.skipped:
        click.echo(f"Cards: {cards}")


@cli.command()
def prepare() -> None:
    """Build the fast ONNX copy of the language model (once; `make install` runs it)."""
    from tutor import embed, onnx_cache

    path = onnx_cache.ensure_encoder(embed.model_path(), lambda m: click.echo(m, err=True))
    click.echo(f"Model ready: {path}")


@cli.command()
@click.argument("term", required=False)
@click.option("--json", "as_json", is_flag=True, help="Print the entries as one JSON object.")
def glossary(term: str | None, as_json: bool) -> None:
    """Every key term of the course with its definition and lesson, or one TERM."""
    entries = tutor_from().glossary(term)
    if as_json:
        echo_json({"entries": [e.to_dict() for e in entries]})
        return
    if term is not None and not entries:
        raise TutorError(f"no term like {term!r} in the glossary (tutor glossary lists them)")
    from rich.console import Console
    from rich.text import Text

    console = Console()
    for entry in entries:
        line = Text(entry.term, style="bold")
        line.append(f": {entry.definition}")
        where = entry.lesson_title + (f" › {entry.section_title}" if entry.section_title else "")
        line.append(f"  ({where})", style="dim")
        console.print(line)
