"""Labelled answers to one card: the grader's item evidence.

A card's labelled answers say more about what counts as right for *that*
question than any general model can: that "TP/(TP+FP)" is a full answer to
"what does precision measure?", or that the recall definition is not. Three
sources, nearest first in trust:

- "learner": an answer the learner overrode ("I was right" / "that was
  wrong"), stored in their own database (`tutor.store.examples`);
- "teacher": the `examples:` of an item in a quiz file (see docs/content-format.md);
- "course": the labelled learner answers the bundled course ships for its own
  cards (`tutor/data/grader-examples.json`, the training part of
  bench/data/course-answers/, written by `scripts/train_grader.py`).

`features` turns them into the numbers the learned grader reads; `nearest`
names the example that decided, for the learner's feedback and the
`"evidence"` of `tutor grade --json`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # numpy is imported only when grading: a quiz file is parsed without it
    import numpy as np

BUNDLED_PATH = Path(__file__).resolve().parents[1] / "data" / "grader-examples.json"
LABELS = ("incorrect", "partial", "correct")
VALUE = {"incorrect": 0.0, "partial": 0.5, "correct": 1.0}
ORIGINS = ("learner", "teacher", "course")
# an example this close (cosine of sentence embeddings) is "the same answer"
SAME_ANSWER = 0.97
FEATURES = ("ex_correct", "ex_partial", "ex_incorrect", "ex_knn", "ex_top_label", "ex_top_sim")
K = 7


@dataclass(frozen=True)
class Example:
    text: str
    label: str  # correct | partial | incorrect
    origin: str = "teacher"  # learner | teacher | course

    def to_dict(self) -> dict:
        return {"answer": self.text, "label": self.label, "origin": self.origin}


@lru_cache(maxsize=1)
def _bundled() -> dict[str, list[list[str]]]:
    try:
        return json.loads(BUNDLED_PATH.read_text(encoding="utf-8"))["examples"]
    except (OSError, ValueError, KeyError):
        return {}


def bundled(card_id: str) -> list[Example]:
    """The shipped labelled answers to one card of the bundled course."""
    return [Example(text, label, "course") for text, label in _bundled().get(card_id, ())]


def clean(rows: object, where: str = "examples") -> list[Example]:
    """Examples from user data ([{"answer": …, "label": …}, …]); ValueError names the bad one."""
    if not isinstance(rows, list):
        raise ValueError(f"{where} must be a list of {{answer, label}} objects")
    out = []
    for i, row in enumerate(rows):
        if not isinstance(row, dict) or not isinstance(row.get("answer"), str):
            raise ValueError(f"{where}[{i}] must have an 'answer' (text)")
        label = row.get("label")
        if label not in LABELS:
            raise ValueError(f"{where}[{i}]: label must be one of {', '.join(LABELS)}")
        origin = row.get("origin", "teacher")
        out.append(Example(row["answer"], label, origin if origin in ORIGINS else "teacher"))
    return out


def features(answer_vec: np.ndarray, vecs: np.ndarray, labels: Sequence[str]) -> list[float]:
    """How close the answer is to the item's correct, partial and incorrect
    answers, and what its nearest neighbours were labelled (see FEATURES)."""
    import numpy as np

    if len(labels) == 0:
        return [0.0] * len(FEATURES)
    sims = vecs @ answer_vec
    values = np.array([VALUE[label] for label in labels])

    def best(label: str) -> float:
        picked = [s for s, lab in zip(sims, labels, strict=True) if lab == label]
        return float(max(picked)) if picked else 0.0

    order = np.argsort(-sims)[:K]
    weights = np.exp(sims[order] * 10.0)
    knn = float((weights * values[order]).sum() / weights.sum())
    top = int(order[0])
    return [best("correct"), best("partial"), best("incorrect"), knn, values[top], float(sims[top])]


def nearest(answer_vec: np.ndarray, vecs: np.ndarray, examples: Sequence[Example]):
    """(example, cosine) of the closest labelled answer, or (None, 0.0)."""
    if not examples:
        return None, 0.0
    sims = vecs @ answer_vec
    top = int(sims.argmax())
    return examples[top], float(sims[top])
