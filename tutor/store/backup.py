"""Backups of the learner's database: made with SQLite's online backup API, kept in
`<data dir>/backups/`, restored only after an integrity check.

Why the online backup API and not a file copy: the database runs in WAL mode, so
the main file alone may be missing the latest commits (they sit in `-wal` until a
checkpoint), and a copy taken while another tutor writes can be torn. The backup
API copies a consistent snapshot through SQLite itself.

- `daily_backup(conn, path)`: on first use each (local) day, when the file has
  data; `backup_before_migration(conn, version)`: before every schema migration.
- `make_backup(conn, path, reason)`: one now; the newest `keep` (setting
  `backup.keep`, default 14) are kept, older ones removed.
- `restore(path, source)`: checks the source (integrity, a tutor schema this
  version reads), backs up the current file, then copies the source in with the
  backup API inside one destination transaction: a process killed mid-restore
  leaves the old data whole.

A backup is written to a temporary name and renamed into place once complete, and
set to the rollback journal, so each backup is one self-contained file.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from tutor.errors import TutorError
from tutor.study.clock import local_day, utcnow

log = logging.getLogger(__name__)

SETTING_KEEP = "backup.keep"
DEFAULT_KEEP = 14
MAX_KEEP = 1000
PREFIX = "tutor-"
STAMP = "%Y%m%dT%H%M%S%fZ"
RESTORE_STEP_PAGES = 1024  # pages copied per step of a restore (progress is reported per step)

Progress = Callable[[int, int], None]  # (pages copied, pages in all)


class BackupError(TutorError):
    """A backup cannot be made or restored (unreadable, damaged, not a tutor database)."""


@dataclass(frozen=True)
class Backup:
    path: Path
    made_at: datetime  # UTC
    reason: str  # 'daily' | 'manual' | 'before-v4' (a migration) | 'before-restore'
    size: int

    def to_dict(self) -> dict:
        return {
            "path": str(self.path),
            "name": self.path.name,
            "made_at": self.made_at.isoformat(timespec="seconds"),
            "reason": self.reason,
            "bytes": self.size,
        }


@dataclass(frozen=True)
class RestoreReport:
    source: Path
    safety_backup: Path | None  # the current file, backed up before it was replaced
    cards: int
    reviews: int
    schema_version: int

    def to_dict(self) -> dict:
        return {
            "restored": str(self.source),
            "safety_backup": str(self.safety_backup) if self.safety_backup else None,
            "cards": self.cards,
            "reviews": self.reviews,
            "schema_version": self.schema_version,
        }


def backup_dir(db_path: Path | str) -> Path:
    return Path(db_path).parent / "backups"


def _db_file(conn: sqlite3.Connection) -> Path | None:
    name = conn.execute("PRAGMA database_list").fetchone()[2]
    return Path(name) if name else None


def _parse(path: Path) -> Backup | None:
    """The backup a file name describes (`tutor-<UTC stamp>-<reason>.db`), or None."""
    if not (path.name.startswith(PREFIX) and path.suffix == ".db"):
        return None
    stamp, _, reason = path.stem[len(PREFIX) :].partition("-")
    try:
        made = datetime.strptime(stamp, STAMP).replace(tzinfo=utcnow().tzinfo)
        size = path.stat().st_size
    except (ValueError, OSError):
        return None
    return Backup(path, made, reason or "manual", size)


def list_backups(db_path: Path | str) -> list[Backup]:
    """The backups beside the database, newest first."""
    folder = backup_dir(db_path)
    if not folder.is_dir():
        return []
    found = [b for p in folder.glob(f"{PREFIX}*.db") if (b := _parse(p)) is not None]
    return sorted(found, key=lambda b: b.path.name, reverse=True)


def keep_count(conn: sqlite3.Connection) -> int:
    """How many backups to keep (setting `backup.keep`), read with plain SQL."""
    try:
        row = conn.execute("SELECT value FROM settings WHERE key = ?", [SETTING_KEEP]).fetchone()
        value = int(json.loads(row[0])) if row else DEFAULT_KEEP
    except (sqlite3.Error, ValueError, TypeError):
        return DEFAULT_KEEP
    return min(MAX_KEEP, max(1, value))


def make_backup(
    conn: sqlite3.Connection,
    db_path: Path | str | None = None,
    *,
    reason: str = "manual",
    now: datetime | None = None,
    keep: int | None = None,
) -> Backup:
    """Back up the database behind `conn` now; then keep only the newest `keep`."""
    db_path = Path(db_path) if db_path else _db_file(conn)
    if db_path is None:
        raise BackupError("an in-memory database has no data dir to back up into")
    folder = backup_dir(db_path)
    now = now or utcnow()
    final = folder / f"{PREFIX}{now.strftime(STAMP)}-{reason}.db"
    partial = folder / f".{final.name}.{os.getpid()}.partial"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        dest = sqlite3.connect(str(partial))
        try:
            conn.backup(dest)
            dest.execute("PRAGMA journal_mode = DELETE")  # one self-contained file
        finally:
            dest.close()
        os.replace(partial, final)
    except (OSError, sqlite3.Error) as exc:
        with contextlib.suppress(OSError):
            partial.unlink()
        raise BackupError(f"{folder}: cannot write a backup ({exc})") from None
    prune(db_path, keep if keep is not None else keep_count(conn))
    made = _parse(final)
    assert made is not None
    return made


def prune(db_path: Path | str, keep: int) -> list[Path]:
    """Remove all but the newest `keep` backups (and partial files left by a crash)."""
    removed = []
    for backup in list_backups(db_path)[max(1, keep) :]:
        with contextlib.suppress(OSError):
            backup.path.unlink()
            removed.append(backup.path)
    folder = backup_dir(db_path)
    for stale in folder.glob(f".{PREFIX}*.partial") if folder.is_dir() else ():
        try:
            pid = int(stale.name.rsplit(".", 2)[-2])
        except ValueError:
            continue
        if pid != os.getpid() and not _alive(pid):
            with contextlib.suppress(OSError):
                stale.unlink()
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


def _schema_version(conn: sqlite3.Connection) -> int:
    return conn.execute("PRAGMA user_version").fetchone()[0]


def daily_backup(conn: sqlite3.Connection, db_path: Path | str) -> Backup | None:
    """A backup on first use of the (local) day, when the database holds data.

    A brand-new file has nothing to keep. A failure (disk full, read-only dir) is
    logged, never fatal: the learner can still study, and `tutor backup` says why.
    """
    if _schema_version(conn) == 0:
        return None
    today = local_day(utcnow())
    newest = next(iter(list_backups(db_path)), None)
    if newest is not None and local_day(newest.made_at) == today:
        return None
    try:
        return make_backup(conn, db_path, reason="daily")
    except BackupError as exc:
        log.warning("daily backup skipped: %s", exc)
        return None


def backup_before_migration(conn: sqlite3.Connection, version: int) -> Backup | None:
    """A backup of the data as it was, before the schema moves on from `version`.

    Unlike the daily one this must succeed: a migration is the one change the
    learner cannot take back without it.
    """
    db_path = _db_file(conn)
    if db_path is None:
        return None
    from tutor.store.db import SCHEMA_VERSION

    return make_backup(conn, db_path, reason=f"before-v{SCHEMA_VERSION}-from-v{version}")


def resolve(db_path: Path | str, name: Path | str) -> Path:
    """A backup file given as a path, or as a name from `tutor backup`'s list."""
    path = Path(name).expanduser()
    if path.exists():
        return path
    in_dir = backup_dir(db_path) / path.name
    if in_dir.exists():
        return in_dir
    raise BackupError(f"{name}: no such backup file (see `tutor backup --list`)")


def verify(source: Path) -> tuple[int, int, int]:
    """(schema version, cards, reviews) of a database file fit to restore, else BackupError."""
    from tutor.store.db import SCHEMA_VERSION

    if not source.is_file():
        raise BackupError(f"{source}: not a file")
    try:
        conn = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise BackupError(f"{source}: cannot open ({exc})") from None
    try:
        result = conn.execute("PRAGMA integrity_check").fetchone()[0]
        if result != "ok":
            raise BackupError(f"{source}: damaged, not restored (integrity check: {result})")
        version = _schema_version(conn)
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if version < 2 or not {"cards", "reviews", "settings"} <= tables:
            raise BackupError(f"{source}: not a tutor database (no cards and reviews in it)")
        if version > SCHEMA_VERSION:
            raise BackupError(
                f"{source}: schema version {version} is newer than this tutor understands "
                f"({SCHEMA_VERSION}); upgrade tutor"
            )
        cards = conn.execute("SELECT count(*) FROM cards").fetchone()[0]
        reviews = conn.execute("SELECT count(*) FROM reviews").fetchone()[0]
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{source}: not a usable database ({exc})") from None
    finally:
        conn.close()
    return version, cards, reviews


def restore(
    db_path: Path | str, source: Path | str, *, progress: Progress | None = None
) -> RestoreReport:
    """Replace the database at `db_path` with the backup `source`, safely.

    Order matters: verify the source (nothing is touched if it is damaged), back up
    the current file (so the restore itself can be undone), then copy. The copy
    runs in one write transaction on the destination, committed when the last page
    is in: until then every other reader sees the old data, and a killed process
    leaves it whole. A backup from an older schema is migrated on the next open.
    """
    db_path = Path(db_path)
    source = resolve(db_path, source)
    if db_path.exists() and source.resolve() == db_path.resolve():
        raise BackupError(f"{source}: that is the database itself, not a backup")
    version, cards, reviews = verify(source)
    db_path.parent.mkdir(parents=True, exist_ok=True)
    live = sqlite3.connect(str(db_path), timeout=10.0, isolation_level=None)
    try:
        live.execute("PRAGMA busy_timeout = 10000")
        safety = None
        if _schema_version(live) > 0:
            safety = make_backup(live, db_path, reason="before-restore")
        src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
        try:

            def step(_status: int, remaining: int, total: int) -> None:
                if progress is not None:
                    progress(total - remaining, total)

            src.backup(live, pages=RESTORE_STEP_PAGES, progress=step)
        finally:
            src.close()
        live.execute("PRAGMA journal_mode = WAL")
    except sqlite3.Error as exc:
        raise BackupError(f"{db_path}: restore failed, the data is unchanged ({exc})") from None
    finally:
        live.close()
    return RestoreReport(source, safety.path if safety else None, cards, reviews, version)
