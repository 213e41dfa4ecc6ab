"""The learner's own notes: folders of .md/.txt added with `tutor index PATH`.

Updates are incremental by file content hash: an unchanged file is never
re-embedded, a changed one is re-embedded alone, and a file that disappeared
(or a folder that no longer exists) leaves the index.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from tutor import paths
from tutor.course import ContentError, Course, CourseError, Lesson, parse_plain_file, slugify
from tutor.errors import TutorError
from tutor.index import IndexStore, Progress

NOTE_SUFFIXES = (".md", ".txt")


@dataclass
class LibraryReport:
    added: int = 0
    updated: int = 0
    removed: int = 0
    unchanged: int = 0
    chunks: int = 0
    errors: list[CourseError] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)


def _store() -> IndexStore:
    return IndexStore(paths.library_index_dir())


def roots() -> list[Path]:
    if not (paths.library_index_dir() / "chunks.sqlite").exists():
        return []
    store = _store()
    try:
        return store.roots()
    finally:
        store.close()


def open_library_index() -> IndexStore | None:
    """The library index if there is a sound one, else None (`tutor doctor` says why)."""
    folder = paths.library_index_dir()
    if not (folder / "manifest.json").exists():
        return None
    store = IndexStore(folder)
    if store.problem() is not None:
        store.close()
        return None
    return store


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
    store = _store()
    try:
        store.add_roots(given)
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
                changed[file] = (digest, [_parse(Path(file), root)])
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
            store.finish(digest, progress)
    finally:
        store.close()
    return report


def library_course() -> Course:
    """The learner's notes as a course (for generated cards)."""
    lessons, errors = [], []
    for root in roots():
        if not root.is_dir():
            continue
        for order, path in enumerate(_note_files(root), start=1):
            try:
                lesson = _parse(path, root)
            except (ContentError, OSError, UnicodeDecodeError):
                continue  # `tutor index` already reported it
            lesson.order = order
            lessons.append(lesson)
    return Course(root=paths.library_index_dir(), lessons=lessons, errors=errors)
