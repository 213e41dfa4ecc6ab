"""Train the free-text grader and write what `tutor.grade` ships.

Data:
  - SemEval-2013 Task 7 training answers (SciEntsBank + Beetle, 2-way labels):
    Dzikovska et al., "SemEval-2013 Task 7: The Joint Student Response Analysis
    and 8th Recognizing Textual Entailment Challenge" (2013), CC BY 4.0. Read
    from ../shared/datasets/ next to the repo.
  - The course's labelled learner answers, bench/data/course-answers/, the
    `train` part of its fixed split only (`bench/course_answers.py`); the
    held-out parts and the final blind set are for bench/bench_grader.py.

Steps (fixed seed):
  1. Fine-tune three cross-encoders from the bundled all-MiniLM-L6-v2 weights,
     each a 3-way head over (question + reference, answer), on 3,000 SemEval
     answers and course training answers with their items' accepted answers as
     extra correct pairs; 2 epochs, AdamW lr 4e-5, batch 16 (batches of alike
     lengths, for speed), max 128 tokens:
       - "A" and "B" on the training answers of half the items each (an item's
         half is fixed by its id's hash): the folds of the cross-fitting;
       - "all" on every training answer: the one shipped.
  2. Export each to ONNX and quantize it to int8 (onnxruntime's dynamic
     quantization); "all" becomes tutor/data/grader-ce.onnx. It is shipped in
     the package (about 23 MB; the fp32 graph is 90 MB) because, unlike the
     sentence encoder, it cannot be rebuilt from an installed package. Reports,
     for each fold model on the answers it did not see, how often its int8 and
     fp32 graphs pick the same class and each one's accuracy alone.
  3. On every training answer, compute the runtime features
     (`tutor.grade.analyse_many`: the same code the grader runs), its
     cross-encoder reading taken from the fold model that never saw an answer to
     its item (cross-fitting): the trees learn how far to trust the cross-encoder
     on answers it did not train on, which is what it meets at run time, and
     every training answer is a tree row (before: only those the one
     cross-encoder had not seen). An answer's item evidence is the training
     answers of its item written by *other* writers (other files): a learner's
     answer is never a near-copy of the course's labelled ones, and same-writer
     evidence taught the trees to trust near neighbours that a new writer does
     not have (blind answers: 0.793 correct-vs-not with such evidence vs 0.843
     without any).
  4. Fit two boosted-tree models (scikit-learn GradientBoostingClassifier):
     "reference" (no item evidence: new or unlabelled cards) and "examples"
     (with it), both cross-validated with folds by item; write them as JSON
     trees to tutor/data/grader.json.
  5. Write every training answer, by card id, to
     tutor/data/grader-examples.json: the bundled course's item evidence.

    .venv/bin/python scripts/train_grader.py [--reuse-ce] [--no-ce-features]

Prints the CPU time of each step.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import sys
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT / "scripts"))

import course_answers as CA  # noqa: E402
from finetune import Recipe, export_int8, fine_tune  # noqa: E402

from tutor.grading import cross, trees  # noqa: E402
from tutor.grading import features as F  # noqa: E402
from tutor.grading.examples import BUNDLED_PATH, LABELS, Example  # noqa: E402
from tutor.grading.examples import FEATURES as EXAMPLE_FEATURES  # noqa: E402

SEMEVAL = ROOT.parent / "shared/datasets/semeval2013-2way-train.jsonl"
MODEL_OUT = ROOT / "tutor/data/grader.json"
BUILD = ROOT / "build/grader"
SEED = 13
SEMEVAL_PAIRS = 3000
RECIPE = Recipe(labels=3, epochs=2, batch=16, lr=4e-5, max_len=128, seed=SEED)
MIN_EXAMPLES = 4
GB = {"n_estimators": 250, "max_depth": 3, "learning_rate": 0.05, "subsample": 0.8}
BASE_FEATURES = F.FEATURES  # the answer/reference features, trap detectors included
CE_FEATURES = ("ce_incorrect", "ce_partial", "ce_correct")
CITATION = (
    "Dzikovska et al., SemEval-2013 Task 7: The Joint Student Response Analysis and "
    "8th Recognizing Textual Entailment Challenge (2013), CC BY 4.0"
)


def half(item_id: str) -> str:
    """The cross-fitting fold of an item: "A" or "B", by its id's hash."""
    return "A" if int(hashlib.sha1(item_id.encode()).hexdigest(), 16) % 2 else "B"


FOLDS = ("A", "B")


class Clock:
    def __init__(self) -> None:
        self.start = time.process_time()

    def lap(self, what: str) -> None:
        now = time.process_time()
        print(f"[{what}: {now - self.start:.0f} s CPU]", flush=True)
        self.start = now


# ------------------------------------------------------------ cross-encoder


def ce_pairs(items, answers) -> list[tuple[str, str, int]]:
    """Training pairs: the answers, their items' accepted answers, SemEval's sample."""
    rng = random.Random(SEED)
    value = {label: i for i, label in enumerate(LABELS)}
    pairs = [
        (cross.pair_text(items[a.item].question, items[a.item].reference), a.text, value[a.label])
        for a in answers
    ]
    for iid in sorted({a.item for a in answers}):
        it = items[iid]
        pairs += [(cross.pair_text(it.question, it.reference), acc, 2) for acc in it.accept]
    semeval = [json.loads(line) for line in SEMEVAL.open(encoding="utf-8") if line.strip()]
    rng.shuffle(semeval)
    pairs += [
        (cross.pair_text(r["question"], r["references"][0]), r["answer"], 2 if r["correct"] else 0)
        for r in semeval[:SEMEVAL_PAIRS]
    ]
    rng.shuffle(pairs)
    return pairs


def int8_check(items, answers, int8: Path, fp32: Path) -> dict:
    """How often the int8 and fp32 cross-encoders pick the same class, and each one's
    correct-vs-not accuracy alone (argmax), on `answers`."""
    from tutor.embed import session_for

    pairs = [
        (cross.pair_text(items[a.item].question, items[a.item].reference), a.text) for a in answers
    ]
    q = cross.probabilities(pairs, session=session_for(int8)).argmax(1)
    f = cross.probabilities(pairs, session=session_for(fp32)).argmax(1)
    truth = np.array([a.label == "correct" for a in answers])
    return {
        "same_class": round(float((q == f).mean()), 3),
        "int8_correct_vs_not": round(float(((q == 2) == truth).mean()), 3),
        "fp32_correct_vs_not": round(float(((f == 2) == truth).mean()), 3),
    }


def cross_encoders(items, train, clock: Clock, reuse: bool) -> dict[str, Path]:
    """Fine-tune (or, with `reuse`, reuse the folders of an earlier run) the fold
    models and the shipped one; returns each one's int8 graph."""
    graphs = {}
    for name in (*FOLDS, "all"):
        answers = [a for a in train if name == "all" or half(a.item) == name]
        folder = BUILD / f"cross-encoder-{name}"
        if not (reuse and (folder / "config.json").is_file()):
            fine_tune(ce_pairs(items, answers), folder, RECIPE)
            clock.lap(f"fine-tune {name} ({len(answers):,} course answers)")
        graphs[name] = cross.MODEL_PATH if name == "all" else BUILD / f"grader-ce-{name}.onnx"
        fp32 = export_int8(folder, graphs[name])
        if name != "all":  # the answers this fold model did not see
            unseen = [a for a in train if half(a.item) != name]
            check = int8_check(items, unseen, graphs[name], fp32)
            print(f"int8 vs fp32 cross-encoder {name}, on the answers it did not see: {check}")
        clock.lap(f"export + int8 {name}")
    return graphs


def out_of_fold(items, answers, graphs: dict[str, Path]) -> list[np.ndarray]:
    """Each answer's cross-encoder probabilities from the fold model that never saw
    an answer to its item."""
    from tutor.embed import session_for

    out: list[np.ndarray] = [np.zeros(3)] * len(answers)
    for name in FOLDS:
        other = next(f for f in FOLDS if f != name)
        picked = [i for i, a in enumerate(answers) if half(a.item) == other]
        pairs = [
            (cross.pair_text(items[a.item].question, items[a.item].reference), a.text)
            for a in (answers[i] for i in picked)
        ]
        for i, p in zip(picked, cross.probabilities(pairs, session=session_for(graphs[name])),
                        strict=True):  # fmt: skip
            out[i] = p
    return out


# ------------------------------------------------------------ tree models


def rows_for(items, answers, pool, with_examples: bool) -> list[dict]:
    """Grader rows; each answer's examples are the pool answers of its item that
    other writers wrote (other files)."""
    by_item = defaultdict(list)
    for a in pool:
        by_item[a.item].append(a)
    out = []
    for a in answers:
        it = items[a.item]
        examples = (
            [Example(o.text, o.label, "course") for o in by_item[a.item] if o.file != a.file]
            if with_examples
            else []
        )
        out.append(
            {
                "question": it.question,
                "reference": it.reference,
                "accept": list(it.accept),
                "answer": a.text,
                "examples": examples,
            }
        )
    return out


def matrix(analyses, features: tuple[str, ...]) -> np.ndarray:
    from tutor.grade import model_row

    spec = {"features": list(features)}
    return np.stack([model_row(a.named, a.cross_p, a.example_features, spec) for a in analyses])


def fit(X: np.ndarray, y: np.ndarray):
    from sklearn.ensemble import GradientBoostingClassifier

    return GradientBoostingClassifier(random_state=SEED, **GB).fit(X, y)


def cross_validate(X, y, groups, shortcut) -> dict:
    """Folds by `groups`; the trees fit only the rows no shortcut decides, as at run time."""
    from sklearn.model_selection import GroupKFold

    decided = np.array([s is not None for s in shortcut])
    pred = np.array([s if s is not None else 0 for s in shortcut])
    for tr, te in GroupKFold(5).split(X, y, groups):
        tr = tr[~decided[tr]]
        te = te[~decided[te]]
        pred[te] = fit(X[tr], y[tr]).predict(X[te])
    return {
        "correct_vs_not": round(float(((pred == 2) == (y == 2)).mean()), 4),
        "three_way": round(float((pred == y).mean()), 4),
        "n": len(y),
    }


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument(
        "--reuse-ce", action="store_true", help="reuse the fine-tuned folders under build/grader"
    )
    ap.add_argument("--no-ce-features", action="store_true", help="fit the trees without it")
    args = ap.parse_args(argv)
    random.seed(SEED)
    np.random.seed(SEED)
    clock = Clock()
    BUILD.mkdir(parents=True, exist_ok=True)
    items = CA.load_items()
    train = CA.parts(CA.load_answers())["train"]
    oof = None
    if not args.no_ce_features:
        oof = out_of_fold(items, train, cross_encoders(items, train, clock, args.reuse_ce))
        clock.lap("out-of-fold cross-encoder readings")

    features = BASE_FEATURES + ((), CE_FEATURES)[not args.no_ce_features]
    from tutor.grade import analyse_many

    value = {label: i for i, label in enumerate(LABELS)}
    y = np.array([value[a.label] for a in train])
    models, figures = {}, {}
    for name, with_examples in (("reference", False), ("examples", True)):
        cols = features + (EXAMPLE_FEATURES if with_examples else ())
        analyses = analyse_many(
            rows_for(items, train, train, with_examples), cross=False, cross_p=oof
        )
        X = matrix(analyses, cols)
        shortcut = [value[a.shortcut[0]] if a.shortcut else None for a in analyses]
        figures[name] = cross_validate(X, y, [a.item for a in train], shortcut)
        print(f"{name}: 5-fold CV by item {figures[name]}", flush=True)
        undecided = np.array([s is None for s in shortcut])
        model = fit(X[undecided], y[undecided])
        models[name] = {"features": list(cols), **trees.to_json(model)}
        clock.lap(f"fit {name}")

    MODEL_OUT.write_text(
        json.dumps(
            {
                "version": 2,
                "features": sorted(
                    set(models["reference"]["features"]) | set(models["examples"]["features"])
                ),
                "min_examples": MIN_EXAMPLES,
                "models": models,
                "cv": figures,
                "trained_on": {
                    "semeval_pairs_for_cross_encoder": SEMEVAL_PAIRS,
                    "course_answers": len(train),
                    "tree_rows": len(train),
                    "citation": CITATION,
                    "seed": SEED,
                },
            },
            separators=(",", ":"),
        )
        + "\n",
        encoding="utf-8",
    )
    print(f"wrote {MODEL_OUT} ({MODEL_OUT.stat().st_size / 1e3:.0f} KB)")
    by_item = defaultdict(list)
    for a in train:
        by_item[a.item].append([a.text, a.label])
    BUNDLED_PATH.write_text(
        json.dumps(
            {
                "about": "labelled learner answers to the bundled course's cards (the train part "
                "of bench/data/course-answers/), by card id: the grader's item evidence",
                "examples": dict(sorted(by_item.items())),
            },
            ensure_ascii=False,
            indent=0,
        )
        + "\n",
        encoding="utf-8",
    )
    print(f"wrote {BUNDLED_PATH} ({sum(map(len, by_item.values())):,} answers)")


if __name__ == "__main__":
    main()
