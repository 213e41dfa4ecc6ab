"""Sync: make the learner's card rows match a course, keeping every card's history.

`sync_cards(db, course, origin)` inserts new cards, updates the text of existing
ones (their FSRS state and history are kept), retires cards of the same
`origin` whose source vanished (status 'retired', never deleted), and
reactivates a retired card whose source came back. When the course files are
unchanged since the last sync it returns at once, and it only runs the encoder
when a key term has no cached vector.

The origin names where cards came from, so one source never retires another's
cards: `course` for the bundled course, `course:<folder>-<hash>` for any other
course folder (`course_origin`), `library` for the learner's notes, `csv` for
imported decks.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from tutor.cards.distractors import Encoder, Seed, fill_mcq_choices
from tutor.cards.generate import GENERATOR_VERSION, generate_cards
from tutor.cards.model import CardSpec, SyncReport
from tutor.course import Course, slugify
from tutor.store import cards as card_rows
from tutor.store import get_setting, set_setting
from tutor.study.clock import iso, utcnow
from tutor.study.schedule import new_card_state
from tutor.text import clean_markdown

if TYPE_CHECKING:
    import sqlite_utils

BUNDLED = "course"
ORIGIN_RANK = {"course": 0, "library": 1, "csv": 2}  # bundled course first, then the rest


def course_origin(root: Path) -> str:
    """The origin of a course folder: `course` for the bundled one, else keyed on its path."""
    from tutor import paths

    root = Path(root).resolve()
    if root == paths.content_dir().resolve():
        return BUNDLED
    digest = hashlib.sha1(str(root).encode()).hexdigest()[:8]
    return f"course:{slugify(root.name)}-{digest}"


def _rank(origin: str) -> int:
    return ORIGIN_RANK.get(origin.split(":", 1)[0] if origin.startswith("course:") else origin, 3)


def course_fingerprint(course: Course) -> str:
    """Hash of the lesson and quiz files (and of this generator's version)."""
    h = hashlib.sha1(GENERATOR_VERSION.encode())
    for lesson in course.lessons:
        h.update(f"\0{lesson.id}\0{lesson.order}\0{lesson.path}\0".encode())
        for path in (lesson.path, lesson.path.with_suffix(".quiz.yaml")):
            try:
                h.update(path.read_bytes())
            except OSError:
                h.update(b"-")
    return h.hexdigest()


def card_row(spec: CardSpec, origin: str, lesson_order: int) -> dict:
    chunk = spec.chunk
    return {
        "id": spec.id,
        "origin": origin,
        "source": spec.source,
        "kind": spec.kind,
        "lesson_id": spec.lesson_id,
        "lesson_title": spec.lesson_title,
        "lesson_order": _rank(origin) * 100_000 + lesson_order,
        "position": spec.position,
        "section_id": spec.section_id,
        "question": spec.question,
        "answer": spec.answer,
        "accept": json.dumps(spec.accept),
        "choices": json.dumps(spec.choices),
        "explanation": spec.explanation,
        "chunk_id": chunk.id if chunk else None,
        "source_heading": chunk.heading if chunk else None,
        "source_path": chunk.path if chunk else None,
        "source_line": chunk.line if chunk else None,
        "source_text": chunk.text if chunk else None,
    }


def upsert(
    db: sqlite_utils.Database,
    rows: list[dict],
    origin: str,
    now: datetime,
    *,
    retire_missing: bool = False,
    report: SyncReport | None = None,
    keep: list[str] | tuple[str, ...] = (),
) -> SyncReport:
    """Insert or update card rows; new cards start with a fresh FSRS state at `now`."""
    report = report or SyncReport(origin)
    card_rows.upsert_rows(
        db,
        rows,
        origin,
        iso(now),
        new_state=lambda card_id: new_card_state(card_id, now),
        retire_missing=retire_missing,
        report=report,
        keep=keep,
    )
    return report


def sync_cards(
    db: sqlite_utils.Database,
    course: Course,
    origin: str | None = None,
    *,
    now: datetime | None = None,
    encoder: Encoder | None = None,
    seed: Seed | None = None,
    force: bool = False,
    keep: list[str] | tuple[str, ...] = (),
) -> SyncReport:
    """Make the cards of `origin` (by default the course folder's own) match `course`.

    `seed` looks up key-term vectors computed ahead (the bundled index's) before
    the encoder is run for the missing ones; cards in `keep` are never retired."""
    origin = origin or course_origin(course.root)
    now = now or utcnow()
    report = SyncReport(origin)
    fingerprint = course_fingerprint(course)
    setting = f"cards.fingerprint.{origin}"
    if not force and get_setting(db, setting) == fingerprint:
        report.skipped = True
        return report

    specs: list[CardSpec] = []
    terms: dict[str, str] = {}
    lesson_order: dict[str, int] = {}
    # Course cards keep their plain ids (a teacher's course too); notes' generated
    # cards are kept apart by a prefix ("library:gen-def:…").
    prefix = "" if origin == BUNDLED or origin.startswith("course:") else f"{origin}:"
    for lesson in course.lessons:
        lesson_specs = generate_cards(lesson, prefix)
        specs.extend(lesson_specs)
        lesson_order[lesson.id] = lesson.order
        # every key term is a candidate distractor, with or without a card of its own
        for spec in lesson_specs:
            if spec.term and spec.definition:
                terms.setdefault(spec.term, spec.definition)
        for term, definition in (lesson.key_terms or {}).items():
            terms.setdefault(term, clean_markdown(definition))

    seen: set[str] = set()
    unique = []
    for spec in specs:
        if spec.id not in seen:
            seen.add(spec.id)
            unique.append(spec)
    unique = fill_mcq_choices(db, unique, terms, encoder, seed)
    rows = [card_row(s, origin, lesson_order.get(s.lesson_id, 0)) for s in unique]
    upsert(db, rows, origin, now, retire_missing=True, report=report, keep=keep)
    set_setting(db, setting, fingerprint)
    return report


def sync_library(db: sqlite_utils.Database, **kwargs) -> SyncReport | None:
    """Sync generated cards for the learner's indexed notes (None when there are none)."""
    from tutor.library import library_course, roots

    folders = roots()
    course = library_course() if folders else Course(root=Path("."), lessons=[], errors=[])
    # A folder that is missing for now (unmounted, renamed) keeps its cards, as the
    # index keeps its notes: retiring them would drop them from every review.
    missing = [r for r in folders if not r.is_dir()]
    keep = [
        c.id
        for c in card_rows.list_cards(db, status="active")
        if c.origin == "library"
        and c.source_path
        and any(Path(c.source_path).is_relative_to(r) for r in missing)
    ]
    return sync_cards(db, course, "library", keep=keep, **kwargs)
