"""`tutor export` and `tutor import`: cards in and out (Anki packages, CSV)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from tutor.cli import cli, echo_json, tutor_from
from tutor.cli.study import _synced
from tutor.errors import TutorError

_FILE = click.Path(path_type=Path, dir_okay=False)


@cli.command("export")
@click.option("--anki", "anki", type=_FILE, metavar="FILE.apkg")
@click.option("--csv", "csv_path", type=_FILE, metavar="FILE")
@click.option("--all", "include_retired", is_flag=True, help="Include retired cards.")
@click.option("--force", is_flag=True, help="Overwrite a file that is already there.")
@click.option("--course", "course_dir", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print what was written as JSON.")
def export_cards(
    anki: Path | None,
    csv_path: Path | None,
    include_retired: bool,
    force: bool,
    course_dir: Path | None,
    as_json: bool,
) -> None:
    """Export your cards: an Anki package (one deck per lesson) and/or a CSV file."""
    if not anki and not csv_path:
        raise click.UsageError("give --anki FILE.apkg and/or --csv FILE")
    for path in (anki, csv_path):
        if path is not None and path.exists() and not force:
            raise TutorError(f"{path}: already exists; use --force to overwrite it")
    tutor = _synced(course_dir)
    written = {}
    if anki:
        written["anki"] = tutor.export_anki(anki, include_retired=include_retired)
        if not as_json:
            click.echo(f"Wrote {written['anki']} notes to {anki}")
    if csv_path:
        written["csv"] = tutor.export_csv(csv_path, include_retired=include_retired)
        if not as_json:
            click.echo(f"Wrote {written['csv']} cards to {csv_path}")
    if as_json:
        echo_json(written)


@cli.command("import")
@click.option("--csv", "csv_path", type=_FILE, metavar="FILE", help="A CSV file of cards.")
@click.option(
    "--anki", "anki_path", type=_FILE, metavar="FILE.apkg", help="An Anki package (.apkg/.colpkg)."
)
@click.option("--json", "as_json", is_flag=True, help="Print the counts and errors as JSON.")
def import_cards(csv_path: Path | None, anki_path: Path | None, as_json: bool) -> None:
    """Import cards from a CSV file or an Anki package; each deck is a lesson of its own.

    \b
    --csv FILE: a teacher's own cards (columns: front, back; optional lesson,
      kind, accept, choices, explanation). Every bad row is reported with its line.
    --anki FILE.apkg: an Anki deck package or collection (.colpkg). Reads
      collection.anki21b (Anki 2.1.50+, zstd), collection.anki21 (Anki 2.1) and
      collection.anki2 (Anki 2.0, genanki: `tutor export --anki`). Basic notes
      (every card direction Anki made) become short-answer cards, cloze notes one
      card per cloze number; HTML is stripped, media stay as text ([image: a.png]).
      Scheduling, review history and media files are not imported.

    Importing the same file again updates its cards and keeps their history."""
    if bool(csv_path) == bool(anki_path):
        raise click.UsageError("give --csv FILE or --anki FILE.apkg (one of them)")
    tutor = tutor_from()
    report = tutor.import_csv(csv_path) if csv_path else tutor.import_anki(anki_path)
    if as_json:
        echo_json(report.to_dict())
    else:
        for error in report.errors:
            click.echo(f"{'error' if csv_path else 'skipped'}: {error}", err=True)
        click.echo(str(report) + ("" if csv_path else f" (from {anki_path.name}, {report.format})"))
    if report.errors and not (report.added or report.updated or report.unchanged):
        sys.exit(1)
