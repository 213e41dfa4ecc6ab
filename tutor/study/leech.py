"""Leeches: cards forgotten again and again, which cost far more reviews than they teach.

Why suspend them: a card lapsing for the eighth time (the setting
`srs.leech_lapses`, as in Anki) is badly worded or rests on something not yet
understood; reviewing it more only frustrates. `tutor.store.reviews.record`
tags it and suspends it in the same transaction as the lapse, and the review's
result says so once; the message here points back to the passage that teaches
it, since re-reading is the cure. Undoing that review takes the tag back too.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tutor.cards.model import StudyCard

QUESTION_CHARS = 80


def teaching_place(card: StudyCard) -> str:
    """'Lesson › Section (file:line)', or the lesson title when the passage is unknown."""
    place = card.source_heading or card.lesson_title
    return f"{place} ({card.source_ref})" if card.source_ref else place


def leech_notice(card: StudyCard, lapses: int) -> str:
    """The one line the learner is told when a card becomes a leech."""
    question = " ".join(card.question.split())
    if len(question) > QUESTION_CHARS:
        question = question[: QUESTION_CHARS - 1] + "…"
    return (
        f"Leech: “{question}” was forgotten {lapses} times, so it is suspended. "
        f"Re-read {teaching_place(card)}, then unsuspend it (tutor card {card.id} --unsuspend)."
    )
