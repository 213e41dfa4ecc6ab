"""Where things live: the bundled course and index, and the user's data dir.

An installed wheel carries the course under `tutor/_bundled/`; a source checkout
(or an editable install) has it at the repository root. Both work unchanged.
"""

from __future__ import annotations

import os
from pathlib import Path

from tutor.errors import TutorError

_PACKAGE = Path(__file__).resolve().parent


def _bundled(name: str) -> Path:
    installed = _PACKAGE / "_bundled" / name
    return installed if installed.exists() else _PACKAGE.parent / name


def content_dir() -> Path:
    """The bundled course (`content/`)."""
    return _bundled("content")


def bundled_index_dir() -> Path:
    """The prebuilt index of the bundled course (`index/`)."""
    return _bundled("index")


def data_dir() -> Path:
    """The user's data dir: `$TUTOR_HOME`, else the platform's user data dir."""
    home = os.environ.get("TUTOR_HOME")
    if home:
        path = Path(home).expanduser()
    else:
        from platformdirs import user_data_dir

        path = Path(user_data_dir("tutor", appauthor=False))
    if path.is_dir():
        return path
    # Every command starts here, so a bad TUTOR_HOME is one line, not a traceback.
    where = f"TUTOR_HOME={home}" if home else str(path)
    if path.exists():
        raise TutorError(f"{where}: not a folder (point TUTOR_HOME at a folder for tutor's data)")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise TutorError(
            f"{where}: cannot create the data folder ({exc.strerror or exc})"
        ) from None
    return path


def db_path() -> Path:
    return data_dir() / "tutor.db"


def library_index_dir() -> Path:
    """The index of the user's own notes (`tutor index PATH`)."""
    return data_dir() / "index"


def writable(folder: Path) -> bool:
    """Whether files can be written in `folder` (or created there, for a folder not made
    yet): False on a read-only mount or in someone else's folder."""
    folder = Path(folder)
    existing = folder
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not os.access(existing, os.W_OK):
        return False
    return all(os.access(p, os.W_OK) for p in folder.glob("*") if p.is_file())
