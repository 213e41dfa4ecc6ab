"""Cards in and out: Anki packages and CSV export, CSV import of a teacher's own cards.

- `export_anki(db, path)` — an `.apkg` (genanki) with one deck per lesson
  (`Tutor::<lesson title>`); each card is a note with Front (question, and lettered
  choices for multiple choice), Back (answer, explanation) and Source (the teaching
  section and file:line). Note GUIDs come from card ids, so re-importing into Anki
  updates notes instead of duplicating them.
- `export_csv(db, path)` — every card with its text, status and FSRS state.
- `import_csv(db, path) -> ImportReport` — columns (header row, any order, case
  ignored): `front` (or `question`) and `back` (or `answer`) required; optional
  `lesson` (or `deck`), `kind` (short | mcq | cloze; a front with one `{{…}}` blank
  is a cloze), `accept` and `choices` (alternatives separated by `|`),
  `explanation`. Card ids are `csv:<hash of front>`, so importing an edited file
  again updates the cards (and keeps their history). Each bad row is reported as
  `file:line: what is wrong` and skipped; the good rows are imported.

Importing Anki packages is `tutor.cards.anki.import_anki` (reading every Anki
collection format is a module of its own); it reports with the same `ImportReport`.
"""

from __future__ import annotations

import csv
import hashlib
import html
import io
import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from tutor.cards.model import SyncReport
from tutor.course import CLOZE_BLANK
from tutor.errors import TutorError
from tutor.store.cards import list_cards
from tutor.store.reviews import counts_by_card
from tutor.study.clock import utcnow
from tutor.text import safe_text

if TYPE_CHECKING:
    import sqlite_utils

MAX_FIELD = 5_000
MAX_ROWS = 100_000
ANKI_MODEL_ID = 1_607_392_319  # fixed: Anki matches note types by id
CSV_COLUMNS = (
    "id",
    "lesson",
    "lesson_title",
    "kind",
    "source",
    "question",
    "answer",
    "accept",
    "choices",
    "explanation",
    "status",
    "state",
    "due",
    "last_review",
    "stability",
    "difficulty",
    "reviews",
    "source_ref",
)
ALIASES = {
    "front": "front",
    "question": "front",
    "back": "back",
    "answer": "back",
    "lesson": "lesson",
    "deck": "lesson",
    "kind": "kind",
    "type": "kind",
    "accept": "accept",
    "choices": "choices",
    "explanation": "explanation",
}


class ExchangeError(TutorError):
    """A file that cannot be exported to or imported from at all."""


# --- export -------------------------------------------------------------------------


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: object) -> object:
    """A CSV cell a spreadsheet will not run: text starting like a formula gets a "'"."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def _uncell(value: str) -> str:
    """Undo `_cell` on import, so an exported deck comes back as it was."""
    return value[1:] if value.startswith("'") and value[1:2] in _FORMULA_START else value


def export_csv(
    db: sqlite_utils.Database, path: Path | str, *, include_retired: bool = False
) -> int:
    """Write every (active) card to a CSV file; returns the number of cards.

    Text that a spreadsheet would read as a formula (=, +, -, @ first) is written
    with a leading apostrophe (CSV injection)."""
    cards = list_cards(db, status=None if include_retired else "active")
    counts = counts_by_card(db)
    try:
        with open(path, "w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            writer.writerow(CSV_COLUMNS)
            for c in cards:
                writer.writerow(
                    _cell(value)
                    for value in [
                        c.id,
                        c.lesson_id,
                        c.lesson_title,
                        c.kind,
                        c.source,
                        c.question,
                        c.answer,
                        " | ".join(c.accept),
                        " | ".join(c.choices),
                        c.explanation,
                        c.status,
                        c.state,
                        c.due,
                        c.last_review or "",
                        "" if c.stability is None else f"{c.stability:.4f}",
                        "" if c.difficulty is None else f"{c.difficulty:.4f}",
                        counts.get(c.id, 0),
                        c.source_ref,
                    ]
                )
    except OSError as exc:
        raise ExchangeError(f"{path}: cannot write ({exc.strerror or exc})") from None
    return len(cards)


def _stable_id(text: str, bits: int = 30) -> int:
    return (1 << bits) + int(hashlib.sha1(text.encode()).hexdigest(), 16) % (1 << bits)


def export_anki(
    db: sqlite_utils.Database, path: Path | str, *, include_retired: bool = False
) -> int:
    """Write an Anki package with one deck per lesson; returns the number of notes."""
    import genanki

    model = genanki.Model(
        ANKI_MODEL_ID,
        "Tutor card",
        fields=[{"name": "Front"}, {"name": "Back"}, {"name": "Source"}, {"name": "CardId"}],
        templates=[
            {
                "name": "Card 1",
                "qfmt": "{{Front}}",
                "afmt": '{{FrontSide}}<hr id="answer">{{Back}}<div class="source">{{Source}}</div>',
            }
        ],
        css=".card { font-family: sans-serif; font-size: 18px; text-align: left; }\n"
        ".source { margin-top: 1em; font-size: 14px; color: #777; }",
        sort_field_index=0,
    )
    decks: dict[str, genanki.Deck] = {}
    count = 0
    for card in list_cards(db, status=None if include_retired else "active"):
        deck = decks.get(card.lesson_id)
        if deck is None:
            deck = genanki.Deck(
                _stable_id(f"deck:{card.lesson_id}"),
                f"Tutor::{card.lesson_title or card.lesson_id}",
            )
            decks[card.lesson_id] = deck
        front = html.escape(card.question)
        if card.choices:
            front += (
                "<ol type='a'>"
                + "".join(f"<li>{html.escape(c)}</li>" for c in card.choices)
                + "</ol>"
            )
        back = f"<b>{html.escape(card.answer)}</b>"
        if card.explanation:
            back += f"<br><br>{html.escape(card.explanation)}"
        source = ""
        if card.source_heading:
            source = html.escape(f"{card.source_heading} ({card.source_ref})")
        deck.add_note(
            genanki.Note(
                model=model,
                fields=[front, back, source, html.escape(card.id)],
                guid=genanki.guid_for(card.id),
                tags=[re.sub(r"[^\w-]", "_", card.lesson_id), card.source],
            )
        )
        count += 1
    try:
        _write_package(genanki.Package(list(decks.values())), Path(path))
    except OSError as exc:
        raise ExchangeError(f"{path}: cannot write ({exc.strerror or exc})") from None
    return count


def _write_package(package, path: Path) -> None:
    """genanki's `write_to_file`, minus the copy of every card it leaves in the system
    temp dir: the collection is built in a folder we remove, and the package is moved
    into place whole, so a failed export never leaves half a file."""
    import itertools
    import shutil
    import sqlite3
    import tempfile
    import time
    import zipfile

    with tempfile.TemporaryDirectory(prefix="tutor-anki-") as tmp:
        collection = Path(tmp) / "collection.anki2"
        conn = sqlite3.connect(collection)
        try:
            stamp = time.time()
            package.write_to_db(conn.cursor(), stamp, itertools.count(int(stamp * 1000)))
            conn.commit()
        finally:
            conn.close()
        staged = Path(tmp) / "package.apkg"
        with zipfile.ZipFile(staged, "w") as out:
            out.write(collection, "collection.anki2")
            out.writestr("media", "{}")
        shutil.move(staged, path)  # a rename, or a copy across file systems


# --- import ---------------------------------------------------------------------------


@dataclass(frozen=True)
class RowError:
    path: str
    line: int  # 0: the file has no lines (an Anki package)
    message: str

    def __str__(self) -> str:
        if not self.line:
            return f"{self.path}: {self.message}"
        return f"{self.path}:{self.line}: {self.message}"


@dataclass
class ImportReport:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)
    skipped: int | None = None  # cards not imported (None: one per error, a CSV's rows)
    unit: str = "row"  # what was skipped: a CSV's rows, an Anki package's cards
    format: str = "CSV"  # what was read ("Anki 2.1.50+ (zstd, schema 18)", ...)

    @property
    def skipped_count(self) -> int:
        return len(self.errors) if self.skipped is None else self.skipped

    def to_dict(self) -> dict:
        """What `tutor import --json` prints."""
        return {
            "format": self.format,
            "added": self.added,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "skipped": self.skipped_count,
            "errors": [str(e) for e in self.errors],
        }

    def __str__(self) -> str:
        text = f"Imported: {self.added} new, {self.updated} updated, {self.unchanged} unchanged"
        if n := self.skipped_count:
            text += f"; {n} {self.unit}{'s' if n != 1 else ''} skipped"
        return text


def _split_list(value: str) -> list[str]:
    return [v.strip() for v in value.split("|") if v.strip()] if value else []


def card_id_for(front: str) -> str:
    norm = re.sub(r"\s+", " ", front.strip().lower())
    return "csv:" + hashlib.sha1(norm.encode("utf-8")).hexdigest()[:16]


def _parse_row(values: dict[str, str]) -> dict:
    """Validate one row; raises ValueError with the problem."""
    values = {name: _uncell(value) for name, value in values.items()}
    for name, value in values.items():
        if len(value) > MAX_FIELD:
            raise ValueError(
                f"'{name}' is too long ({len(value):,} characters; limit {MAX_FIELD:,})"
            )
        if "\0" in value:
            raise ValueError(f"'{name}' contains binary data")
    front = values.get("front", "").strip()
    back = values.get("back", "").strip()
    if not front:
        raise ValueError("'front' (the question) is empty")
    kind = values.get("kind", "").strip().lower()
    blanks = CLOZE_BLANK.findall(front)
    if not kind:
        kind = "cloze" if blanks else ("mcq" if values.get("choices", "").strip() else "short")
    if kind not in ("short", "mcq", "cloze"):
        raise ValueError(f"'kind' must be short, mcq or cloze, not {kind!r}")
    accept = _split_list(values.get("accept", ""))
    choices = _split_list(values.get("choices", ""))
    question = front
    if kind == "cloze":
        if len(blanks) != 1:
            raise ValueError("a cloze front needs exactly one {{…}} blank")
        question = CLOZE_BLANK.sub("_____", front)
        if back and back != blanks[0].strip():
            accept = [back, *accept]
        back = blanks[0].strip()
    if not back:
        raise ValueError("'back' (the answer) is empty")
    if kind == "mcq":
        if not 2 <= len(choices) <= 6:
            raise ValueError("'choices' must list 2 to 6 options separated by '|'")
        if len({c.lower() for c in choices}) != len(choices):
            raise ValueError("'choices' must be distinct")
        if back not in choices:
            raise ValueError(f"answer {back!r} is not one of the choices")
    elif choices:
        raise ValueError(f"'choices' only apply to mcq cards (this row is {kind})")
    return {
        "front": front,
        "kind": kind,
        "question": question,
        "answer": back,
        "accept": accept,
        "choices": choices,
        "explanation": values.get("explanation", "").strip(),
        "lesson": values.get("lesson", "").strip() or "imported",
    }


def import_csv(
    db: sqlite_utils.Database, path: Path | str, *, now: datetime | None = None
) -> ImportReport:
    """Import cards from a CSV file (see the module docstring for the columns)."""
    from tutor.cards.sync import _rank, upsert
    from tutor.course import slugify

    path = Path(path)
    name = path.name
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ExchangeError(f"{path}: cannot read ({exc.strerror or exc})") from None
    if b"\0" in data[:8192]:
        raise ExchangeError(f"{name}: not a CSV file (it contains binary data)")
    try:
        text = safe_text(data.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ExchangeError(
            f"{name}:{line}: not valid UTF-8 text; save the file as UTF-8"
        ) from None
    if not text.strip():
        raise ExchangeError(f"{name}: the file is empty")
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text, newline=""), dialect)
    report = ImportReport()
    try:
        header = next(reader)
    except csv.Error as exc:
        raise ExchangeError(f"{name}:1: cannot read the header ({exc})") from None
    columns = [ALIASES.get(h.strip().lower()) for h in header]
    unknown = [h for h, c in zip(header, columns, strict=True) if c is None and h.strip()]
    if "front" not in columns or "back" not in columns:
        raise ExchangeError(
            f"{name}:1: the header needs 'front' and 'back' columns (or 'question' and "
            f"'answer'); found: {', '.join(h.strip() for h in header) or 'nothing'}"
        )
    if unknown:
        report.errors.append(RowError(name, 1, f"ignored unknown columns: {', '.join(unknown)}"))

    rows: list[dict] = []
    seen: dict[str, int] = {}
    lessons: dict[str, int] = {}
    line = 1
    while True:
        try:
            raw = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            report.errors.append(RowError(name, reader.line_num, f"cannot parse the row ({exc})"))
            break
        line = reader.line_num
        if not any(v.strip() for v in raw):
            continue
        if len(rows) >= MAX_ROWS:
            report.errors.append(RowError(name, line, f"more than {MAX_ROWS:,} rows; stopped"))
            break
        if len(raw) > len(columns):
            report.errors.append(
                RowError(name, line, f"{len(raw)} fields but the header has {len(columns)}")
            )
            continue
        values = {c: v for c, v in zip(columns, raw, strict=False) if c}
        try:
            parsed = _parse_row(values)
        except ValueError as exc:
            report.errors.append(RowError(name, line, str(exc)))
            continue
        card_id = card_id_for(parsed["front"])
        if card_id in seen:
            report.errors.append(
                RowError(name, line, f"the same front as line {seen[card_id]}; skipped")
            )
            continue
        seen[card_id] = line
        lesson_title = parsed["lesson"]
        lessons.setdefault(lesson_title, len(lessons))
        rows.append(
            {
                "id": card_id,
                "origin": "csv",
                "source": "csv",
                "kind": parsed["kind"],
                "lesson_id": "csv-" + slugify(lesson_title),
                "lesson_title": lesson_title,
                "lesson_order": _rank("csv") * 100_000 + lessons[lesson_title],
                "position": line,
                "section_id": None,
                "question": parsed["question"],
                "answer": parsed["answer"],
                "accept": json.dumps(parsed["accept"]),
                "choices": json.dumps(parsed["choices"]),
                "explanation": parsed["explanation"],
                "chunk_id": None,
                "source_heading": None,
                "source_path": str(path),
                "source_line": line,
                "source_text": None,
            }
        )
    if rows:
        sync = SyncReport("csv")
        upsert(db, rows, "csv", now or utcnow(), report=sync)
        report.added = sync.added
        report.updated = sync.updated + sync.reactivated
        report.unchanged = sync.unchanged
    return report
