"""Features of one free-text answer, shared by the runtime grader and its fit script.

`lexical(question, references, answer)` needs no model; `semantic(...)` takes
unit-normalised sentence embeddings; `values` names them all. The learned
grader (`tutor/data/grader.json`) lists the names it reads, in its order.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from tutor.grading.text import (
    NEGATIONS,
    STOPWORDS,
    content_stems,
    contradictions,
    is_filler,
    words,
)

LIST_QUESTION = re.compile(r"^\s*(which|name|list|give|what are)\b", re.I)
# the parts of a two-part reference ("A does x, while B does y"; "x; y"; "x because y")
_PARTS = re.compile(r"[;:]|\s*\b(?:while|whereas|but|because|since|so that|so)\b", re.I)
# an answer to a multi-part reference with less than this share of the new content
# (content stems not in the question) of the fullest reference is incomplete;
# chosen by SemEval CV macro-F1 over 0.3, 0.4, 0.5, 0.6 (when it was a hand rule)
BRIEF_RATIO = 0.5

LEXICAL = (
    "log_words",
    "len_ratio",
    "ref_recall",
    "ref_precision",
    "novel_recall",
    "question_only",
    "unrelated",
    "function_ratio",
    "negation_mismatch",
    "conflicts",
    "misplaced",
)
SEMANTIC = ("cos_ref", "cos_ref_mean", "cos_question", "cos_gap", "cos_novel")
# the trap detectors, as numbers the learned grader weighs (not as hard rules)
TRAPS = ("stuffing", "restates", "conflict_count", "swapped", "brief", "swap_gap")
# what the learned grader reads of these (scripts/train_grader.py); `values` has them all
FEATURES = LEXICAL + SEMANTIC + TRAPS


@dataclass
class Signals:
    """Lexical evidence about an answer, kept for the guard rules and the feedback."""

    values: dict[str, float]
    filler: bool
    stuffing: bool
    restates_question: bool
    conflicts: int
    swapped: bool
    best_reference: int
    brevity: float = 1.0  # the answer's new content / the fullest reference's
    brief: bool = False  # a multi-part reference, and brevity < BRIEF_RATIO


def reference_parts(reference: str) -> list[str]:
    """The reference split at ";", ":" and clause words (while, whereas, but, because, so).

    A piece with fewer than two content words joins its neighbour, so
    "Because X" and "X, so Y" give one and two parts.
    """
    pieces = [p.strip(" .,") for p in _PARTS.split(reference) if p and p.strip(" .,")]
    parts: list[str] = []
    for piece in pieces:
        if parts and (len(content_stems(piece)) < 2 or len(content_stems(parts[-1])) < 2):
            parts[-1] += " " + piece
        else:
            parts.append(piece)
    if len(parts) > 1 and len(content_stems(parts[-1])) < 2:
        last = parts.pop()
        parts[-1] += " " + last
    return parts or [reference]


def _negations(text: str) -> int:
    return sum(w in NEGATIONS for w in words(text))


def lexical(question: str, references: Sequence[str], answer: str) -> Signals:
    a_words = words(answer)
    a_stems = content_stems(answer)
    a_set = set(a_stems)
    q_set = set(content_stems(question))
    r_sets = [set(content_stems(r)) for r in references]
    all_ref = set().union(*r_sets) if r_sets else set()

    def recall(rs: set[str]) -> float:
        return len(a_set & rs) / len(rs) if rs else 0.0

    recalls = [recall(rs) for rs in r_sets]
    best = int(np.argmax(recalls)) if recalls else 0
    novel = [rs - q_set for rs in r_sets]
    novel_recall = max(
        (recall(n) if n else recall(rs) for n, rs in zip(novel, r_sets, strict=True)), default=0
    )
    n_content = len(a_stems)
    precision = max((len(a_set & rs) / len(a_set) for rs in r_sets), default=0) if a_set else 0
    question_only = len((a_set & q_set) - all_ref) / len(a_set) if a_set else 0.0
    unrelated = len(a_set - q_set - all_ref) / len(a_set) if a_set else 0.0
    function = sum(w in STOPWORDS or w in NEGATIONS for w in a_words)
    function_ratio = function / len(a_words) if a_words else 0.0

    ref = references[best] if references else ""
    # the answer contradicts the references only if it contradicts each close one
    conflicts, misplaced, subjects = (0, 0, 0)
    if a_set and recalls:
        close_refs = [
            r for r, rc in zip(references, recalls, strict=True) if rc >= 0.8 * recalls[best]
        ]
        conflicts, misplaced, subjects = min(
            (contradictions(answer, r) for r in close_refs), key=lambda c: (c[0], c[2], c[1])
        )
    neg_mismatch = float((_negations(answer) % 2) != (_negations(ref) % 2))
    ref_len = len(content_stems(ref)) or 1

    values = {
        "log_words": math.log1p(len(a_words)),
        "len_ratio": math.log((n_content + 1) / (ref_len + 1)),
        "ref_recall": max(recalls, default=0.0),
        "ref_precision": precision,
        "novel_recall": novel_recall,
        "question_only": question_only,
        "unrelated": unrelated,
        "function_ratio": function_ratio,
        "negation_mismatch": neg_mismatch,
        "conflicts": float(min(conflicts, 3)),
        "misplaced": float(min(subjects, 3)),
    }
    # a bag of terms with no sentence around it ("labels data supervised structure");
    # a worked number ("4640: 4608 weights plus 32 biases") is terse but not a bag
    glue = [w for w in a_words if (w in STOPWORDS or w in NEGATIONS) and w not in ("and", "or")]
    stuffing = (
        n_content >= 4
        and not glue
        and not LIST_QUESTION.match(question)
        and values["ref_recall"] > 0
        and not any(w.isdigit() for w in a_words)
    )
    restates = bool(a_set) and all(novel) and novel_recall <= 0.15 and unrelated <= 0.34
    fullest = max((len(rs - q_set) for rs in r_sets), default=0)
    brevity = len(a_set - q_set) / fullest if fullest else 1.0
    multi_part = bool(references) and len(reference_parts(references[0])) >= 2
    return Signals(
        values=values,
        filler=is_filler(answer),
        stuffing=stuffing,
        restates_question=restates,
        conflicts=conflicts,
        swapped=subjects >= 1 and misplaced >= 2,
        best_reference=best,
        brevity=brevity,
        brief=multi_part and brevity < BRIEF_RATIO,
    )


def semantic(
    answer_vec: np.ndarray,
    reference_vecs: np.ndarray,
    question_vec: np.ndarray,
    novel_vec: np.ndarray | None = None,
    swapped_vec: np.ndarray | None = None,
) -> dict[str, float]:
    """Cosine features from unit vectors (reference_vecs: one row per reference).

    "swap_gap" (not a classifier feature; the swapped-roles guard reads it) is
    how much closer the answer is to the reference with its subjects exchanged.
    """
    cos = reference_vecs @ answer_vec
    cos_q = float(question_vec @ answer_vec)
    cos_ref = float(cos.max())
    swap_gap = float(swapped_vec @ answer_vec - cos[0]) if swapped_vec is not None else -1.0
    return {
        "swap_gap": swap_gap,
        "cos_ref": cos_ref,
        "cos_ref_mean": float(cos.mean()),
        "cos_question": cos_q,
        "cos_gap": cos_ref - cos_q,
        "cos_novel": float(novel_vec @ answer_vec) if novel_vec is not None else cos_ref,
    }


def novel_text(question: str, reference: str) -> str:
    """The reference's words that the question does not already contain."""
    q_set = set(content_stems(question))
    from tutor.grading.text import stem

    kept = [w for w in words(reference) if stem(w) not in q_set]
    return " ".join(kept) or reference


_SURFACE = re.compile(r"[A-Za-z0-9][\w'-]*")
_SPLIT = re.compile(
    r"[,;:.!?()]|\b(?:but|while|whereas|however|although|though|and|or|so|because)\b", re.I
)


def swapped_reference(reference: str, answer: str, question: str = "") -> str | None:
    """The reference with two clause subjects exchanged, or None.

    "L1 pushes weights to zero, while L2 shrinks them" becomes "L2 pushes weights
    to zero, while L1 shrinks them"; an answer closer to this than to the
    reference has swapped the roles. The subjects are the first content words
    of the reference's clauses that also occur in the answer and are named in
    the question (the terms a "how do A and B differ" question contrasts).
    Without two such terms there is no swap to test: exchanging other words
    moved the answer's cosine by up to 0.05 either way on correct answers, as
    much as a real swap does.
    """
    from tutor.grading.text import stem

    def key(word: str) -> str:
        return stem(word.lower())

    a_stems = {key(w) for w in _SURFACE.findall(answer)}
    q_stems = {key(w) for w in _SURFACE.findall(question)}
    candidates: list[str] = []
    for clause in _SPLIT.split(reference):
        for word in _SURFACE.findall(clause or ""):
            low = word.lower()
            if low in STOPWORDS or low in NEGATIONS:
                continue
            if key(word) in a_stems and key(word) not in {key(c) for c in candidates}:
                candidates.append(word)
            break
    named = [c for c in candidates if key(c) in q_stems]
    if len(named) < 2:
        return None
    first, second = named[:2]
    pattern = re.compile(rf"\b({re.escape(first)}|{re.escape(second)})\b", re.I)
    return pattern.sub(
        lambda m: second if m.group(0).lower() == first.lower() else first, reference
    )


def values(signals: Signals, sem: dict[str, float]) -> dict[str, float]:
    """Every lexical, semantic and trap feature of one answer, by name."""
    flags = {
        "filler": float(signals.filler),
        "stuffing": float(signals.stuffing),
        "restates": float(signals.restates_question),
        "conflict_count": float(signals.conflicts),
        "swapped": float(signals.swapped),
        "brief": float(signals.brief),
    }
    return {**signals.values, **sem, **flags}
