"""Where things live: the bundled course and index, and the user's data dir.

An installed wheel carries the course under `tutor/_bundled/`; a source checkout
(or an editable install) has it at the repository root. Both work unchanged.
"""

from __future__ import annotations

import os
from pathlib import Path

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
    path.mkdir(parents=True, exist_ok=True)
    return path


def db_path() -> Path:
    return data_dir() / "tutor.db"


def library_index_dir() -> Path:
    """The index of the user's own notes (`tutor index PATH`)."""
    return data_dir() / "index"
