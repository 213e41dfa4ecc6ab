"""The learner's data: one SQLite file, and the only code that speaks SQL to it.

- `db`: connect (WAL, busy timeout), migrations, settings, `write_txn`.
- `cards`: card rows and the queue queries; `reviews`: the review log;
  `stats`: the queries behind the statistics; `chat`: chat history;
  `progress`: the reading place.

`from tutor import store; store.connect()` opens the database; the names below
are the ones everything else uses.
"""

from tutor.store.db import (
    SCHEMA_VERSION,
    StoreError,
    connect,
    get_setting,
    integrity,
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
    "migrate",
    "schema_version",
    "set_setting",
    "utcnow",
    "write_txn",
]
