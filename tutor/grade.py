"""Grade a learner's answer: multiple choice, cloze, or free text.

Multiple choice and cloze compare normalised text (case, accents, punctuation
and a leading article ignored), accept the listed alternatives, and forgive a
small typo (edit distance scaled to the answer's length; numbers must match
exactly). They never load a model.

Free-text answers are scored by a small logistic regression over features of
the answer, the question and the references: cosine similarities of the
bundled MiniLM sentence embeddings, overlap of content-word stems with the
reference and with the question, length, function-word ratio, and polarity
checks (negation, opposite scale words, swapped roles). Its weights live in
`tutor/data/grader.json`, fitted by `scripts/fit_grader.py` on the SemEval-2013
Task 7 training answers (Dzikovska et al. 2013, CC BY 4.0). Guard rules on top
catch the usual traps: no answer or filler, keyword lists, a restated question,
a reversed meaning, swapped roles. The probability P(correct) is the score; the
verdict is "correct" above the fitted threshold, "partial" in a band below it,
"incorrect" under that.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path

from tutor.errors import TutorError
from tutor.grading.text import close_enough, normalize
from tutor.text import is_unicode

KINDS = ("mcq", "cloze", "short")
MAX_CHARS = 5_000  # per field; a learner's short answer is far below this
WEIGHTS_PATH = Path(__file__).resolve().parent / "data" / "grader.json"
BATCH = 64

# Used only if grader.json is missing: a cosine threshold (the baseline).
_FALLBACK = {"correct": 0.5, "partial": 0.3}


class GradeInputError(TutorError):
    """A question, reference or answer the grader cannot take (too long, wrong type)."""


@dataclass
class Grade:
    verdict: str  # "correct" | "partial" | "incorrect"
    score: float  # in [0, 1]
    correct: bool  # verdict == "correct"
    feedback: str  # why, the reference answer, and the source passage if given

    def to_dict(self) -> dict:
        return asdict(self)


def _make(verdict: str, score: float, why: str, reference: str, source: str | None) -> Grade:
    lines = [why]
    if reference:
        lines.append(f"Reference answer: {reference}")
    if source:
        lines.append(f"Source: {source.strip()}")
    score = round(min(1.0, max(0.0, float(score))), 3)
    return Grade(verdict, score, verdict == "correct", "\n".join(lines))


def _check(name: str, value: object, *, required: bool = True) -> str:
    if value is None and not required:
        return ""
    if not isinstance(value, str):
        raise GradeInputError(f"{name} must be text, not {type(value).__name__}")
    if not is_unicode(value):
        raise GradeInputError(f"{name} is not valid UTF-8 text")
    if len(value) > MAX_CHARS:
        raise GradeInputError(
            f"{name} is too long ({len(value):,} characters; limit {MAX_CHARS:,})"
        )
    return value


def _check_list(name: str, values: object) -> list[str]:
    if isinstance(values, str) or not isinstance(values, Sequence | tuple | list):
        raise GradeInputError(f"{name} must be a list of text")
    return [_check(f"{name}[{i}]", v) for i, v in enumerate(values)]


# ------------------------------------------------------------- mcq and cloze


def _grade_exact(reference: str, answer: str, accept: Sequence[str]) -> tuple[bool, bool, str]:
    """(matched, exact, which target matched)."""
    targets = [reference, *accept]
    for target in targets:
        if normalize(answer) == normalize(target) or close_enough(answer, target)[1]:
            return True, True, target
    for target in targets:
        if close_enough(answer, target)[0]:
            return True, False, target
    return False, False, ""


def grade_cloze(reference: str, answer: str, accept: Sequence[str] = (), source=None) -> Grade:
    if not normalize(answer):
        return _make("incorrect", 0.0, "No answer given.", reference, source)
    ok, exact, target = _grade_exact(reference, answer, accept)
    if ok and exact:
        return _make("correct", 1.0, "Correct.", reference, source)
    if ok:
        return _make("correct", 0.9, f"Correct (check the spelling: {target}).", reference, source)
    return _make("incorrect", 0.0, "Not quite.", reference, source)


_CHOICE_NUMBER = re.compile(r"^\s*\(?([1-9]|[a-fA-F])[.)]?\s*$")


def grade_mcq(
    reference: str,
    answer: str,
    choices: Sequence[str] = (),
    accept: Sequence[str] = (),
    source=None,
) -> Grade:
    if not normalize(answer) and not answer.strip():
        return _make("incorrect", 0.0, "No answer given.", reference, source)
    if choices:
        picked = _CHOICE_NUMBER.match(answer)
        if picked:
            token = picked.group(1)
            index = int(token) - 1 if token.isdigit() else ord(token.lower()) - ord("a")
            if 0 <= index < len(choices):
                answer = choices[index]
            else:
                return _make(
                    "incorrect",
                    0.0,
                    f"There is no choice {token}: pick 1 to {len(choices)}.",
                    reference,
                    source,
                )
        # the exact choice wins; a typo counts only if it is closest to one choice
        norm = normalize(answer)
        for choice in choices:
            if norm == normalize(choice):
                return _mcq_verdict(choice, reference, accept, source, exact=True)
        near = [c for c in choices if close_enough(answer, c)[0]]
        if len(near) == 1:
            return _mcq_verdict(near[0], reference, accept, source, exact=False)
    return grade_cloze(reference, answer, accept, source)


def _mcq_verdict(choice: str, reference: str, accept, source, exact: bool) -> Grade:
    if normalize(choice) == normalize(reference) or any(
        normalize(choice) == normalize(a) for a in accept
    ):
        return _make("correct", 1.0 if exact else 0.9, "Correct.", reference, source)
    return _make("incorrect", 0.0, f"Not quite: you chose {choice!r}.", reference, source)


# ---------------------------------------------------------------- free text


@lru_cache(maxsize=1)
def load_weights() -> dict:
    """The fitted classifier (see scripts/fit_grader.py); {} if it is missing."""
    try:
        return json.loads(WEIGHTS_PATH.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}


def _probability(x, weights: dict) -> float:
    import numpy as np

    z = (np.asarray(x) - np.asarray(weights["mean"])) / np.asarray(weights["scale"])
    logit = float(z @ np.asarray(weights["coef"]) + weights["intercept"])
    return 1.0 / (1.0 + math.exp(-max(-40.0, min(40.0, logit))))


def _short_targets(reference: str, accept: Sequence[str]) -> list[str]:
    return [t for t in (reference, *accept) if t.strip()]


def _short_texts(question: str, targets: list[str], answer: str = "") -> list[str]:
    """[question, the reference's new words, the reference with swapped subjects or ""]."""
    from tutor.grading.features import novel_text, swapped_reference

    return [
        question,
        novel_text(question, targets[0]),
        swapped_reference(targets[0], answer, question) or "",
    ]


GUARDS = ("restates", "stuffing", "swapped", "conflicts", "brief")
SWAP_MARGIN = 0.02  # how much closer to the subject-swapped reference counts as swapped


def decide(
    p: float, sig, sem: dict[str, float], hi: float, lo: float, guards: Sequence[str] = GUARDS
) -> tuple[str, float, str]:
    """(verdict, score, why) from P(correct), the lexical signals and the cosines.

    The guard rules overrule the classifier for the traps it was not trained on:
    an answer that only restates the question, a bag of keywords, swapped roles,
    or a statement that contradicts the reference is never "correct"; an answer
    much shorter than a reference of several parts ("A does x, while B does y")
    is at best "partial".
    """
    why = None
    if "restates" in guards and sig.restates_question:
        why = "the answer only restates the question."
    elif "stuffing" in guards and sig.stuffing:
        why = "a list of keywords is not an explanation: answer in a sentence."
    elif "swapped" in guards and (sig.swapped or sem.get("swap_gap", -1.0) > SWAP_MARGIN):
        why = "the answer swaps the roles of the terms in the reference."
    elif "conflicts" in guards and sig.conflicts and p >= lo:
        why = "the answer contradicts the reference (a negation or a reversed statement)."
    if why:
        return "incorrect", min(p, lo * 0.5), f"Not quite: {why}"
    if p >= hi and "brief" in guards and sig.brief:
        why = "Partly right, but incomplete: the reference answer says more."
        return "partial", min(p, hi - 0.01), why
    if p >= hi:
        return "correct", p, "Correct."
    if p >= lo:
        return "partial", p, "Partly right: compare with the reference answer."
    if sem["cos_ref"] < 0.2 and sig.values["ref_recall"] < 0.1:
        return "incorrect", p, "Not quite: the answer does not seem to address this question."
    return "incorrect", p, "Not quite."


def _verdict_short(question, reference, answer, accept, source, vectors) -> Grade:
    """Grade one free-text answer; `vectors` maps each text to its unit embedding."""
    import numpy as np

    from tutor.grading import features as F

    targets = _short_targets(reference, accept)
    if not answer.strip():
        return _make("incorrect", 0.0, "No answer given.", reference, source)
    sig = F.lexical(question, targets, answer)
    if sig.filler:
        why = "That answer says nothing about the question."
        return _make("incorrect", 0.0, why, reference, source)
    # an exact match of the reference or an accepted answer needs no model
    if any(close_enough(answer, t)[0] for t in targets):
        return _make("correct", 1.0, "Correct.", reference, source)

    _, novel, swapped = _short_texts(question, targets, answer)
    sem = F.semantic(
        vectors[answer],
        np.stack([vectors[t] for t in targets]),
        vectors[question] if question.strip() else np.zeros_like(vectors[answer]),
        vectors[novel],
        vectors[swapped] if swapped else None,
    )
    weights = load_weights()
    if weights:
        p = _probability(F.vector(sig, sem), weights)
        hi, lo = weights["thresholds"]["correct"], weights["thresholds"]["partial"]
    else:
        p = sem["cos_ref"]
        hi, lo = _FALLBACK["correct"], _FALLBACK["partial"]
    verdict, score, why = decide(p, sig, sem, hi, lo)
    return _make(verdict, score, why, reference, source)


# ---------------------------------------------------------------------- API


def grade(
    question: str,
    reference: str,
    answer: str,
    *,
    kind: str = "short",
    accept: Sequence[str] = (),
    choices: Sequence[str] = (),
    source: str | None = None,
) -> Grade:
    """Grade one answer. Free text loads the sentence model on first use."""
    return next(
        grade_many(
            [
                {
                    "question": question,
                    "reference": reference,
                    "answer": answer,
                    "kind": kind,
                    "accept": accept,
                    "choices": choices,
                    "source": source,
                }
            ]
        )
    )


def _clean(row: dict) -> dict:
    if not isinstance(row, dict):
        raise GradeInputError("each item must be an object with question, reference and answer")
    kind = row.get("kind") or row.get("type") or "short"
    if kind not in KINDS:
        raise GradeInputError(f"kind must be one of {', '.join(KINDS)}, not {kind!r}")
    for name in ("reference", "answer"):
        if name not in row:
            raise GradeInputError(f"missing field {name!r}")
    return {
        "question": _check("question", row.get("question") or ""),
        "reference": _check("reference", row["reference"]),
        "answer": _check("answer", row["answer"] if row["answer"] is not None else ""),
        "kind": kind,
        "accept": _check_list("accept", row.get("accept") or ()),
        "choices": _check_list("choices", row.get("choices") or ()),
        "source": _check("source", row.get("source"), required=False) or None,
    }


def grade_many(rows: Iterable[dict | GradeInputError]) -> Iterator[Grade | GradeInputError]:
    """Grade many answers, embedding the free-text ones in batches with one model load.

    Rows are dicts with the keyword arguments of `grade`; results come in order.
    A row that is a `GradeInputError` (from `read_json_lines`) comes back in its
    place; a bad dict raises `GradeInputError` when its turn comes.
    """
    chunk: list[dict] = []
    for row in rows:
        if isinstance(row, GradeInputError):
            yield from _grade_chunk(chunk)
            chunk = []
            yield row
            continue
        chunk.append(_clean(row))
        if len(chunk) >= BATCH:
            yield from _grade_chunk(chunk)
            chunk = []
    if chunk:
        yield from _grade_chunk(chunk)


def _grade_chunk(rows: list[dict]) -> Iterator[Grade]:
    texts: dict[str, None] = {}
    for r in rows:
        if r["kind"] == "short" and r["answer"].strip():
            targets = _short_targets(r["reference"], r["accept"]) or [r["reference"]]
            for t in (r["answer"], *targets, *_short_texts(r["question"], targets, r["answer"])):
                texts.setdefault(t, None)
    vectors = {}
    if texts:
        from tutor.embed import encode

        keys = list(texts)
        vectors = dict(zip(keys, encode(keys, batch_size=BATCH), strict=True))
    for r in rows:
        if r["kind"] == "mcq":
            yield grade_mcq(r["reference"], r["answer"], r["choices"], r["accept"], r["source"])
        elif r["kind"] == "cloze":
            yield grade_cloze(r["reference"], r["answer"], r["accept"], r["source"])
        else:
            if not r["reference"].strip():
                raise GradeInputError("reference is empty")
            yield _verdict_short(
                r["question"], r["reference"], r["answer"], r["accept"], r["source"], vectors
            )


# ------------------------------------------------------------------ JSON lines


def read_json_lines(stream) -> Iterator[dict | GradeInputError]:
    """Rows from a binary stream of JSON lines; a bad line becomes a GradeInputError
    naming its line number, in its place, so the good lines around it are still graded.

    Each line is an object with "question", "reference" and "answer" (and
    optionally "kind", "accept", "choices", "source"); blank lines are skipped.
    """
    for number, raw in enumerate(stream, start=1):
        try:
            row = _read_line(number, raw)
        except GradeInputError as exc:
            exc.line = number
            yield exc
            continue
        if row is not None:
            yield row


def _read_line(number: int, raw: bytes | str) -> dict | None:
    try:
        line = raw.decode("utf-8") if isinstance(raw, bytes) else raw
    except UnicodeDecodeError:
        raise GradeInputError(f"stdin line {number}: not UTF-8 text") from None
    if not line.strip():
        return None
    if len(line) > 4 * MAX_CHARS + 1000:
        raise GradeInputError(f"stdin line {number}: line too long ({len(line):,} characters)")
    try:
        row = json.loads(line)
    except json.JSONDecodeError as exc:
        raise GradeInputError(f"stdin line {number}: not valid JSON ({exc.msg})") from None
    if not isinstance(row, dict):
        raise GradeInputError(f"stdin line {number}: expected a JSON object")
    try:
        return _clean(row)
    except GradeInputError as exc:
        raise GradeInputError(f"stdin line {number}: {exc}") from None
