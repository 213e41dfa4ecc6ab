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


def schedule_fields(card, now_iso: str) -> dict:
    """Where a card stands, as `tutor card --json` and `tutor cards --json` print it:
    a `StudyCard` or a browser row (`tutor.store.browse.BrowseRow`), same names."""
    return {
        "state": state_name(card.state, card.last_review),
        "due": card.due if card.last_review else None,
        "last_review": card.last_review,
        "stability": card.stability,
        "difficulty": card.difficulty,
        "lapses": card.lapses,
        "suspended": card.suspended,
        "buried": card.buried_until is not None and card.buried_until > now_iso,
        "flagged": card.flagged,
        "leech": card.leech,
        "edited": card.edited,
        "retired": card.status != "active",
    }


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
    suspended: bool = False  # never scheduled until unsuspended (by hand, or as a leech)
    buried_until: str | None = None  # ISO UTC: not scheduled before this
    flagged: bool = False
    lapses: int = 0  # times it was forgotten after being learned (Again on a Review card)
    leech: bool = False  # lapsed `srs.leech_lapses` times: tagged, and suspended then
    edited: bool = False  # question/reference/accepted answers are the learner's own edit

    @property
    def is_new(self) -> bool:
        return self.last_review is None

    def buried_at(self, now_iso: str) -> bool:
        """Whether the card is buried at `now_iso` (ISO UTC text, as in the database)."""
        return self.buried_until is not None and self.buried_until > now_iso

    def schedulable_at(self, now_iso: str) -> bool:
        """Active, not suspended, not buried: a session may show it."""
        return self.status == "active" and not self.suspended and not self.buried_at(now_iso)

    def to_dict(self, now_iso: str) -> dict:
        """What `tutor card --json` prints (and the browser shows) for this card."""
        return {
            "id": self.id,
            "lesson_id": self.lesson_id,
            "lesson": self.lesson_title,
            "section_id": self.section_id,
            "teaching_passage": self.source_heading,
            "source": self.source_ref or None,
            "kind": self.kind,
            "question": self.question,
            "reference": self.answer,
            "accept": self.accept,
            "choices": self.choices,
            "explanation": self.explanation,
            **schedule_fields(self, now_iso),
            "buried_until": self.buried_until if self.buried_at(now_iso) else None,
        }

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
        for i in (23, 25, 27, 28):  # SQLite's 0/1 as bool
            if i < len(values):
                values[i] = bool(values[i])
        return cls(*values)


STATE_NAMES = {1: "learning", 2: "review", 3: "relearning"}  # fsrs.State values


def state_name(state: int, last_review: str | None) -> str:
    """'new' for a card never reviewed, else fsrs's state in words."""
    return "new" if last_review is None else STATE_NAMES.get(int(state), str(state))


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
