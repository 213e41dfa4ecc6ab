"""Chat history: sessions of questions and the tutor's answers, kept in the store.

Plain functions over the `chat_sessions` and `chat_messages` tables (migration 1),
so the TUI, the CLI and tests record and resume a conversation the same way.
A tutor message keeps the sources it cited (or, when the question was out of
scope, the lessons it suggested) as a JSON list of small dicts.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import sqlite_utils

from tutor.store import utcnow

TITLE_LENGTH = 60


@dataclass
class ChatSession:
    id: int
    title: str
    created_at: str
    updated_at: str
    messages: int = 0


@dataclass
class ChatMessage:
    id: int
    session_id: int
    role: str  # "user" | "tutor"
    text: str
    sources: list[dict[str, Any]] = field(default_factory=list)
    in_scope: bool = True
    created_at: str = ""


def new_session(db: sqlite_utils.Database, title: str = "New chat") -> ChatSession:
    now = utcnow().isoformat()
    table = db["chat_sessions"]
    table.insert({"title": title, "created_at": now, "updated_at": now})
    return ChatSession(table.last_pk, title, now, now)


def list_sessions(db: sqlite_utils.Database, limit: int = 100) -> list[ChatSession]:
    """Sessions, most recently used first, with their message counts."""
    rows = db.execute(
        """
        SELECT s.id, s.title, s.created_at, s.updated_at, COUNT(m.id)
        FROM chat_sessions s LEFT JOIN chat_messages m ON m.session_id = s.id
        GROUP BY s.id ORDER BY s.updated_at DESC, s.id DESC LIMIT ?
        """,
        [limit],
    ).fetchall()
    return [ChatSession(*row) for row in rows]


def latest_session(db: sqlite_utils.Database) -> ChatSession | None:
    sessions = list_sessions(db, limit=1)
    return sessions[0] if sessions else None


def add_message(
    db: sqlite_utils.Database,
    session_id: int,
    role: str,
    text: str,
    sources: list[dict[str, Any]] | None = None,
    in_scope: bool = True,
) -> ChatMessage:
    """Append a message; the first question also becomes the session's title."""
    if role not in ("user", "tutor"):
        raise ValueError(f"unknown chat role {role!r}")
    now = utcnow().isoformat()
    sources = sources or []
    with db.conn:
        table = db["chat_messages"]
        table.insert(
            {
                "session_id": session_id,
                "role": role,
                "text": text,
                "sources": json.dumps(sources),
                "in_scope": int(in_scope),
                "created_at": now,
            }
        )
        message_id = table.last_pk
        update: dict[str, Any] = {"updated_at": now}
        if role == "user":
            count = db.execute(
                "SELECT COUNT(*) FROM chat_messages WHERE session_id = ? AND role = 'user'",
                [session_id],
            ).fetchone()[0]
            if count == 1:
                update["title"] = _title(text)
        db["chat_sessions"].update(session_id, update)
    return ChatMessage(message_id, session_id, role, text, sources, in_scope, now)


def messages(db: sqlite_utils.Database, session_id: int) -> list[ChatMessage]:
    rows = db.execute(
        "SELECT id, session_id, role, text, sources, in_scope, created_at "
        "FROM chat_messages WHERE session_id = ? ORDER BY id",
        [session_id],
    ).fetchall()
    return [
        ChatMessage(id, sid, role, text, json.loads(sources or "[]"), bool(in_scope), created)
        for id, sid, role, text, sources, in_scope, created in rows
    ]


def _title(text: str) -> str:
    title = " ".join(text.split())
    return title if len(title) <= TITLE_LENGTH else title[: TITLE_LENGTH - 1] + "…"


class ChatHistory:
    """The chat functions above, bound to one database (what `Tutor.chats` hands out)."""

    def __init__(self, db: sqlite_utils.Database) -> None:
        self._db = db

    def new(self, title: str = "New chat") -> ChatSession:
        return new_session(self._db, title)

    def sessions(self, limit: int = 100) -> list[ChatSession]:
        return list_sessions(self._db, limit)

    def session(self, session_id: int) -> ChatSession | None:
        return next((s for s in list_sessions(self._db, 10_000) if s.id == session_id), None)

    def latest(self) -> ChatSession | None:
        return latest_session(self._db)

    def add(self, session_id: int, role: str, text: str, sources=None, in_scope: bool = True):
        return add_message(self._db, session_id, role, text, sources, in_scope)

    def messages(self, session_id: int) -> list[ChatMessage]:
        return messages(self._db, session_id)
