"""Suspend, bury and flag: the learner's own marks on cards (SQL about those columns only).

Why apart from `cards`: these are the learner's decisions, which the course sync
never touches; each call is one transaction over any number of cards, and
returns how many cards it changed, so "suspend 3 cards" can say "2 were already".
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING

from tutor.store.db import write_txn

if TYPE_CHECKING:
    import sqlite_utils

IDS = "id IN (SELECT value FROM json_each(?))"


def known_ids(db: sqlite_utils.Database, ids: Sequence[str]) -> set[str]:
    return {r[0] for r in db.execute(f"SELECT id FROM cards WHERE {IDS}", [json.dumps(list(ids))])}


def set_suspended(db: sqlite_utils.Database, ids: Sequence[str], on: bool) -> int:
    """Suspend (or unsuspend) cards; unsuspending a leech keeps its leech tag."""
    with write_txn(db) as conn:
        return conn.execute(
            f"UPDATE cards SET suspended = ? WHERE {IDS} AND suspended != ?",
            [int(on), json.dumps(list(ids)), int(on)],
        ).rowcount


def set_buried(db: sqlite_utils.Database, ids: Sequence[str], until: str | None) -> int:
    """Bury cards until `until` (ISO UTC), or unbury them with None."""
    with write_txn(db) as conn:
        return conn.execute(
            f"UPDATE cards SET buried_until = ? WHERE {IDS} AND buried_until IS NOT ?",
            [until, json.dumps(list(ids)), until],
        ).rowcount


def set_flagged(db: sqlite_utils.Database, ids: Sequence[str], on: bool) -> int:
    with write_txn(db) as conn:
        return conn.execute(
            f"UPDATE cards SET flagged = ? WHERE {IDS} AND flagged != ?",
            [int(on), json.dumps(list(ids)), int(on)],
        ).rowcount
