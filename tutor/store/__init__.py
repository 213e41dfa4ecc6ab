"""The learner's data: one SQLite file, and the only code that speaks SQL to it.

- `db`: connect (WAL, busy timeout), migrations, settings, `write_txn`.
- `cards`: card rows and the queue queries; `reviews`: the review log (and undo);
  `stats`: the queries behind the statistics; `chat`: chat history;
  `progress`: the reading place; `holds`: suspend, bury, flag; `edits`: the
  learner's own wording of cards; `browse`: the card browser's query;
  `backup`: backups (SQLite's online backup API) and restore.

`from tutor import store; store.connect()` opens the database; the names below
are the ones everything else uses.
"""

from tutor.store.db import (
    SCHEMA_VERSION,
    StoreError,
    connect,
    get_setting,
    integrity,
    is_read_only,
    migrate,
    schema_version,
    set_setting,
    write_txn,
)
from tutor.study.clock import utcnow

__all__ = [
    "SCHEMA_VERSION",
    "StoreError",
    "connect",
    "get_setting",
    "integrity",
    "is_read_only",
    "migrate",
    "schema_version",
    "set_setting",
    "utcnow",
    "write_txn",
]
