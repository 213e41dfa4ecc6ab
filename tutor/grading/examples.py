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
# how the answer differs, word by word, from the nearest example of each label: the
# reference's lexical detectors (negation, contradictions, roles, overlap) run
# against that example. Sentence embeddings put "the sigmoid is flat there" and
# "the sigmoid is steep there" side by side; these tell them apart, and on the
# course answers (5-fold CV by item, evidence from other writers) they lifted
# correct-vs-not from 0.902 to 0.916 (3-way 0.845 to 0.861).
RELATIVE = ("negation_mismatch", "conflicts", "misplaced", "ref_recall", "ref_precision")
NEAREST_OF = ("correct", "incorrect", "partial")
FEATURES = (
    ("ex_correct", "ex_partial", "ex_incorrect", "ex_knn", "ex_top_label", "ex_top_sim")
    + tuple(f"ex_{label}_{name}" for label in NEAREST_OF for name in RELATIVE)
    + ("ex_margin_incorrect", "ex_margin_partial")
)
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


def features(
    question: str,
    answer: str,
    answer_vec: np.ndarray,
    vecs: np.ndarray,
    examples: Sequence[Example],
) -> list[float]:
    """How close the answer is to the item's correct, partial and incorrect
    answers, what its nearest neighbours were labelled, and how it differs from
    the nearest of each label (see FEATURES)."""
    import numpy as np

    from tutor.grading.features import lexical

    if len(examples) == 0:
        return [0.0] * len(FEATURES)
    labels = [e.label for e in examples]
    sims = vecs @ answer_vec
    values = np.array([VALUE[label] for label in labels])
    nearest_of: dict[str, tuple[float, int]] = {}
    for i, (sim, label) in enumerate(zip(sims, labels, strict=True)):
        if label not in nearest_of or sim > nearest_of[label][0]:
            nearest_of[label] = (float(sim), i)

    def best(label: str) -> float:
        return nearest_of[label][0] if label in nearest_of else 0.0

    order = np.argsort(-sims)[:K]
    weights = np.exp(sims[order] * 10.0)
    knn = float((weights * values[order]).sum() / weights.sum())
    top = int(order[0])
    out = [best("correct"), best("partial"), best("incorrect"), knn, values[top], float(sims[top])]
    for label in NEAREST_OF:
        if label in nearest_of:
            near = lexical(question, [examples[nearest_of[label][1]].text], answer).values
            out += [near[name] for name in RELATIVE]
        else:
            out += [0.0] * len(RELATIVE)
    return out + [best("correct") - best("incorrect"), best("correct") - best("partial")]


def nearest(answer_vec: np.ndarray, vecs: np.ndarray, examples: Sequence[Example]):
    """(example, cosine) of the closest labelled answer, or (None, 0.0)."""
    if not examples:
        return None, 0.0
    sims = vecs @ answer_vec
    top = int(sims.argmax())
    return examples[top], float(sims[top])
