"""The learner's own notes: folders of .md/.txt added with `tutor index PATH`.

Updates are incremental by file content hash: an unchanged file is never
re-embedded, a changed one is re-embedded alone, and a file that disappeared
(or a folder that no longer exists) leaves the index.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from tutor import paths
from tutor.course import ContentError, Course, CourseError, Lesson, parse_plain_file, slugify
from tutor.errors import TutorError
from tutor.index import IndexStore, Progress

NOTE_SUFFIXES = (".md", ".txt")
# A note larger than this is skipped with a warning. Embedding is the cost: about
# 50 passages and sentences a second on two cores, so 1 MB of text (some 13,000 of
# them) takes about five minutes, and a 5 MB note took 24 minutes. Split big files.
MAX_NOTE_BYTES = 1_000_000


@dataclass
class LibraryReport:
    added: int = 0
    updated: int = 0
    removed: int = 0
    unchanged: int = 0
    chunks: int = 0
    errors: list[CourseError] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)


ROOTS_FILE = "roots.json"  # the folders again, outside SQLite: a damaged index still knows them


def _store() -> IndexStore:
    return IndexStore(paths.library_index_dir())


def _saved_roots() -> list[Path]:
    try:
        data = json.loads((paths.library_index_dir() / ROOTS_FILE).read_text(encoding="utf-8"))
        return [Path(p) for p in data if isinstance(p, str)]
    except (OSError, ValueError, TypeError):
        return []


def _save_roots(folders: list[Path]) -> None:
    target = paths.library_index_dir() / ROOTS_FILE
    tmp = target.with_suffix(".tmp")
    tmp.write_text(json.dumps(sorted(str(f) for f in folders), indent=1) + "\n", encoding="utf-8")
    tmp.replace(target)


def roots() -> list[Path]:
    """The folders in the library (from roots.json when the index itself is damaged)."""
    if not (paths.library_index_dir() / "chunks.sqlite").exists():
        return _saved_roots()
    store = _store()
    try:
        return store.roots()
    except sqlite3.DatabaseError:
        return _saved_roots()
    finally:
        store.close()


def library_problem() -> str | None:
    """Why the learner's notes index cannot be used (None when sound, or when no notes
    were ever added), so `ask` can say its answers leave the notes out."""
    folder = paths.library_index_dir()
    if not (folder / "chunks.sqlite").exists() and not (folder / ROOTS_FILE).exists():
        return None
    store = IndexStore(folder)
    try:
        return store.problem()
    finally:
        store.close()


def open_library_index() -> IndexStore | None:
    """The library index if there is a sound one, else None (`library_problem` says why)."""
    folder = paths.library_index_dir()
    if not (folder / "manifest.json").exists():
        return None
    store = IndexStore(folder)
    if store.problem() is not None:
        store.close()
        return None
    return store


def _open_for_update(report: LibraryReport) -> IndexStore:
    """The library index, ready to update; a damaged SQLite file is set aside and the
    index started afresh (it is rebuilt from the notes), instead of failing every
    `tutor index`, the command that is meant to repair it."""
    store = _store()
    try:
        store.roots()
        return store
    except sqlite3.DatabaseError as exc:
        store.close()
        why = str(exc)
    folder = paths.library_index_dir()
    db = folder / "chunks.sqlite"
    db.replace(folder / "chunks.sqlite.damaged")  # kept for a post-mortem, never read again
    for name in ("manifest.json", "vectors.faiss", "scope.json"):
        (folder / name).unlink(missing_ok=True)
    report.notices.append(
        f"warning: {db}: the notes index was damaged ({why}); rebuilding it from your notes"
    )
    return _store()


def _note_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.suffix.lower() in NOTE_SUFFIXES and p.is_file())


def _parse(path: Path, root: Path) -> Lesson:
    lesson = parse_plain_file(path, root)
    lesson.id = slugify(f"{root.name}/{path.relative_to(root).with_suffix('')}")
    return lesson


def update_library(new_roots: list[Path], progress: Progress | None = None) -> LibraryReport:
    """Add folders to the library and bring the whole library up to date."""
    given = []
    for raw in new_roots:
        root = Path(raw).expanduser().resolve()
        if not root.exists():
            raise TutorError(f"{raw}: no such folder")
        if not root.is_dir():
            raise TutorError(f"{raw}: not a folder (give a folder of .md or .txt notes)")
        try:
            next(root.iterdir(), None)
        except OSError as exc:
            raise TutorError(f"{raw}: cannot read folder ({exc.strerror or exc})") from None
        given.append(root)

    report = LibraryReport()
    saved = _saved_roots()
    store = _open_for_update(report)
    try:
        store.add_roots([*saved, *given])
        if not store.roots():
            raise TutorError(
                "the notes index was damaged and did not record its folders: "
                "add them again, e.g. tutor index ~/notes"
            )
        _save_roots(store.roots())
        known = store.file_hashes()
        current: dict[str, tuple[str, Path]] = {}  # file -> (hash, root)
        for root in store.roots():
            if not root.is_dir():
                # Unmounted or renamed for now: keep its notes (still answerable) and say so.
                report.notices.append(
                    f"warning: {root}: folder not found; its notes are kept as last indexed"
                )
                for file, digest in known.items():
                    if Path(file).is_relative_to(root):
                        current[file] = (digest, root)
                continue
            for path in _note_files(root):
                try:
                    size = path.stat().st_size
                    if size > MAX_NOTE_BYTES:
                        report.errors.append(CourseError(path, 1, _too_big(size)))
                        continue
                    digest = hashlib.sha256(path.read_bytes()).hexdigest()
                except OSError as exc:
                    report.errors.append(CourseError(path, 1, f"cannot read file ({exc.strerror})"))
                    continue
                current[str(path)] = (digest, root)

        removed = [f for f in known if f not in current]
        changed: dict[str, tuple[str, list[Lesson]]] = {}
        for file, (digest, root) in current.items():
            if known.get(file) == digest:
                report.unchanged += 1
                continue
            try:
                lesson = _parse(Path(file), root)
                if _headings_only(lesson):
                    raise ContentError(1, "only headings, no text to index")
                changed[file] = (digest, [lesson])
            except (ContentError, UnicodeDecodeError) as exc:
                line = exc.line if isinstance(exc, ContentError) else 1
                message = exc.message if isinstance(exc, ContentError) else "not UTF-8 text"
                report.errors.append(CourseError(Path(file), line, message))
                if file in known:
                    removed.append(file)  # its old text no longer reflects the file
                continue
            if file in known:
                report.updated += 1
            else:
                report.added += 1
        report.removed = len(removed)

        manifest_missing = not (store.folder / "manifest.json").exists()
        if changed or removed or manifest_missing or store.problem() is not None:
            report.chunks = store.replace_files(changed, removed, progress)
            files = sorted(store.file_hashes().items())
            digest = hashlib.sha256(repr(files).encode()).hexdigest()
            store.finish(digest, progress, balance_files=True)
    finally:
        store.close()
    return report


def _too_big(size: int) -> str:
    return (
        f"file is {size / 1e6:.1f} MB; notes over {MAX_NOTE_BYTES / 1e6:.0f} MB are skipped "
        "(split it into smaller files)"
    )


def _headings_only(lesson: Lesson) -> bool:
    """A note with headings and nothing under them gives no passage to search."""
    return all(
        not line.strip() or line.lstrip().startswith("#")
        for section in lesson.sections
        for line in section.body.splitlines()
    )


def library_course() -> Course:
    """The learner's notes as a course (for generated cards)."""
    lessons, errors = [], []
    for root in roots():
        if not root.is_dir():
            continue
        for order, path in enumerate(_note_files(root), start=1):
            try:
                if path.stat().st_size > MAX_NOTE_BYTES:
                    continue
                lesson = _parse(path, root)
            except (ContentError, OSError, UnicodeDecodeError):
                continue  # `tutor index` already reported it
            lesson.order = order
            lessons.append(lesson)
    return Course(root=paths.library_index_dir(), lessons=lessons, errors=errors)
