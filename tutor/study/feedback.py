"""The verdict of a graded answer in words, for the CLI and the TUI alike.

Why a module of its own: both faces used to print the verdict and then the
grader's reason, which starts with the verdict again ("✕ Not quite  Not quite: …"),
and the CLI added the grader's probability ("Correct (44%)"), which reads like a
failing mark. `verdict_parts` gives the label once and the reason without it.
"""

from __future__ import annotations

from typing import Protocol

VERDICT_LABELS = {"correct": "Correct", "partial": "Partly right", "incorrect": "Not quite"}


class _Graded(Protocol):
    verdict: str
    feedback: str


def verdict_parts(grade: _Graded) -> tuple[str, str]:
    """(label, reason): "Not quite", "you chose 'ReLU'." from "Not quite: you chose 'ReLU'."

    The reason is the first line of the grader's feedback with any leading verdict
    word taken off ("" when that was all it said: "Correct.").
    """
    label = VERDICT_LABELS.get(grade.verdict, grade.verdict.capitalize())
    reason = grade.feedback.split("\n", 1)[0].strip()
    for word in sorted({label, *VERDICT_LABELS.values()}, key=len, reverse=True):
        if reason.lower().startswith(word.lower()):
            reason = reason[len(word) :].lstrip(" .:,;-—")
            break
    return label, reason


def verdict_line(grade: _Graded) -> str:
    """One line: "Correct.", "Not quite: you chose 'ReLU'.", "Correct (check the spelling: …)."."""
    label, reason = verdict_parts(grade)
    if not reason:
        return f"{label}."
    if reason.startswith("("):
        return f"{label} {reason}"
    if reason.startswith("but "):
        return f"{label}, {reason}"
    return f"{label}: {reason}"
