"""The card domain objects: what a card should hold (`CardSpec`), what the study
screens show (`StudyCard`), and what a sync did (`SyncReport`)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tutor.chunking import Chunk


@dataclass
class StudyCard:
    """One card as the quiz/review screens show it."""

    id: str
    origin: str
    source: str  # 'authored' | 'gen-cloze' | 'gen-def' | 'gen-mcq' | 'csv'
    kind: str  # 'short' | 'mcq' | 'cloze'
    lesson_id: str
    lesson_title: str
    section_id: str | None
    question: str
    answer: str
    accept: list[str]
    choices: list[str]
    explanation: str
    chunk_id: str | None
    source_heading: str | None
    source_path: str | None
    source_line: int | None
    source_text: str | None
    status: str
    state: int
    due: str
    last_review: str | None
    stability: float | None
    difficulty: float | None

    @property
    def is_new(self) -> bool:
        return self.last_review is None

    @property
    def source_ref(self) -> str:
        """'file:line' of the teaching chunk, or '' when unknown."""
        if not self.source_path:
            return ""
        return f"{Path(self.source_path).name}:{self.source_line or 1}"

    @classmethod
    def from_row(cls, row: Sequence) -> StudyCard:
        values = list(row)
        values[9] = json.loads(values[9] or "[]")
        values[10] = json.loads(values[10] or "[]")
        return cls(*values)


@dataclass
class CardSpec:
    """What a card should contain; sync turns specs into rows."""

    id: str
    source: str
    kind: str
    lesson_id: str
    lesson_title: str
    section_id: str | None
    question: str
    answer: str
    accept: list[str] = field(default_factory=list)
    choices: list[str] = field(default_factory=list)
    explanation: str = ""
    chunk: Chunk | None = None
    position: int = 0
    term: str | None = None  # for gen-mcq: distractors are filled in at sync time
    definition: str | None = None  # for gen-mcq: the term's definition, for its neighbours


@dataclass
class SyncReport:
    origin: str
    added: int = 0
    updated: int = 0
    retired: int = 0
    reactivated: int = 0
    unchanged: int = 0
    skipped: bool = False  # nothing changed since the last sync

    def __str__(self) -> str:
        if self.skipped:
            return f"{self.origin}: cards up to date"
        return (
            f"{self.origin}: {self.added} new, {self.updated} updated, {self.retired} retired, "
            f"{self.reactivated} back, {self.unchanged} unchanged"
        )
