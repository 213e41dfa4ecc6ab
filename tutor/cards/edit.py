"""Checking the learner's edit of a card before it is stored (`Tutor.edit_card`).

Why these rules: an edited card is graded like any other, so the reference must
stay gradable (not empty, not binary), a multiple-choice answer must still be one
of the choices shown, and accepted answers are a short list of short lines. Each
refusal is one line that names the field.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tutor.errors import TutorError

if TYPE_CHECKING:
    from tutor.cards.model import StudyCard

MAX_QUESTION_CHARS = 2_000
MAX_ANSWER_CHARS = 2_000
MAX_ACCEPT = 20


class EditError(TutorError):
    """An edit the tutor will not store."""


def _text(field: str, value: str, limit: int) -> str:
    if not isinstance(value, str):
        raise EditError(f"{field}: must be text")
    value = value.strip()
    if not value:
        raise EditError(f"{field}: must not be empty")
    if len(value) > limit:
        raise EditError(f"{field}: too long ({len(value):,} characters; the limit is {limit:,})")
    if any(ord(c) < 32 and c not in "\t\n" for c in value) or "\x7f" in value:
        raise EditError(f"{field}: contains control characters")
    return value


def check_edit(
    card: StudyCard,
    *,
    question: str | None = None,
    answer: str | None = None,
    accept: list[str] | None = None,
) -> dict:
    """The cleaned fields to store (None: that field is left as it is)."""
    if question is None and answer is None and accept is None:
        raise EditError("nothing to change: give a question, a reference or accepted answers")
    fields: dict = {"question": None, "answer": None, "accept": None}
    if question is not None:
        fields["question"] = _text("question", question, MAX_QUESTION_CHARS)
    if answer is not None:
        fields["answer"] = _text("reference", answer, MAX_ANSWER_CHARS)
        if card.kind == "mcq" and card.choices and fields["answer"] not in card.choices:
            raise EditError(
                "reference: a multiple-choice answer must be one of its choices: "
                + " | ".join(card.choices)
            )
    if accept is not None:
        if len(accept) > MAX_ACCEPT:
            raise EditError(f"accepted answers: at most {MAX_ACCEPT}")
        fields["accept"] = [_text("accepted answer", a, MAX_ANSWER_CHARS) for a in accept]
    return fields
