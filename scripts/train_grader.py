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
  1. Fine-tune a cross-encoder from the bundled all-MiniLM-L6-v2 weights, a
     3-way head over (question + reference, answer), on 3,000 SemEval answers
     and round 1's training answers (`course_answers.ROUND1`) of half of its
     items ("half A": the items whose id hashes odd), with those items' accepted
     answers as extra correct pairs; 2 epochs, AdamW lr 4e-5, batch 16, max 128
     tokens.
  2. Export it to ONNX and quantize it to int8 (onnxruntime's dynamic
     quantization): tutor/data/grader-ce.onnx. It is shipped in the package
     (about 23 MB; the fp32 graph is 90 MB) because, unlike the sentence
     encoder, it cannot be rebuilt from an installed package. Reports how often
     the int8 and fp32 models agree.
  3. On every training answer the cross-encoder did not train on, compute the
     runtime features (`tutor.grade.analyse_many`: the same code the grader
     runs). An answer's item evidence is the training answers of its item
     written by *other* writers (other files): a learner's answer is never a
     near-copy of the course's labelled ones, and same-writer evidence taught
     the trees to trust near neighbours that a new writer does not have (blind
     answers: 0.793 correct-vs-not with such evidence vs 0.843 without any).
  4. Fit two boosted-tree models (scikit-learn GradientBoostingClassifier):
     "reference" (no item evidence: new or unlabelled cards) and "examples"
     (with it), both cross-validated with folds by item; write them as JSON
     trees to tutor/data/grader.json.
  5. Write every training answer, by card id, to
     tutor/data/grader-examples.json: the bundled course's item evidence.

    .venv/bin/python scripts/train_grader.py [--reuse-ce DIR] [--skip-ce]

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

import course_answers as CA  # noqa: E402

from tutor.grading import cross, trees  # noqa: E402
from tutor.grading import features as F  # noqa: E402
from tutor.grading.examples import BUNDLED_PATH, LABELS, Example  # noqa: E402
from tutor.grading.examples import FEATURES as EXAMPLE_FEATURES  # noqa: E402

SEMEVAL = ROOT.parent / "shared/datasets/semeval2013-2way-train.jsonl"
MODEL_OUT = ROOT / "tutor/data/grader.json"
BUILD = ROOT / "build/grader"
SEED = 13
SEMEVAL_PAIRS = 3000
EPOCHS, BATCH, LR, MAX_LEN = 2, 16, 4e-5, 128
MIN_EXAMPLES = 4
GB = {"n_estimators": 250, "max_depth": 3, "learning_rate": 0.05, "subsample": 0.8}
BASE_FEATURES = F.FEATURES  # the answer/reference features, trap detectors included
CE_FEATURES = ("ce_incorrect", "ce_partial", "ce_correct")
CITATION = (
    "Dzikovska et al., SemEval-2013 Task 7: The Joint Student Response Analysis and "
    "8th Recognizing Textual Entailment Challenge (2013), CC BY 4.0"
)


def half(item_id: str) -> str:
    """ "A" (the cross-encoder trains on it) or "B" (the tree models fit on it)."""
    return "A" if int(hashlib.sha1(item_id.encode()).hexdigest(), 16) % 2 else "B"


class Clock:
    def __init__(self) -> None:
        self.start = time.process_time()

    def lap(self, what: str) -> None:
        now = time.process_time()
        print(f"[{what}: {now - self.start:.0f} s CPU]", flush=True)
        self.start = now


# ------------------------------------------------------------ cross-encoder


def ce_saw(answer) -> bool:
    """Whether the cross-encoder trained on this answer (so the trees must not)."""
    return answer.file in CA.ROUND1 and half(answer.item) == "A"


def ce_pairs(items, train) -> list[tuple[str, str, int]]:
    rng = random.Random(SEED)
    value = {label: i for i, label in enumerate(LABELS)}
    seen = [a for a in train if ce_saw(a)]
    pairs = [
        (cross.pair_text(items[a.item].question, items[a.item].reference), a.text, value[a.label])
        for a in seen
    ]
    for iid in sorted({a.item for a in seen}):
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


def fine_tune(pairs, out: Path) -> None:
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    from tutor.embed import model_path

    torch.manual_seed(SEED)
    rng = random.Random(SEED)
    tokenizer = AutoTokenizer.from_pretrained(str(model_path()))
    model = AutoModelForSequenceClassification.from_pretrained(str(model_path()), num_labels=3)
    optimizer = torch.optim.AdamW(model.parameters(), lr=LR, weight_decay=0.01)
    steps = EPOCHS * ((len(pairs) + BATCH - 1) // BATCH)
    warm = 0.1 * steps
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: min(1.0, s / warm) * max(0.0, (steps - s) / (steps - warm))
    )
    print(f"fine-tuning on {len(pairs):,} pairs, {steps} steps", flush=True)
    model.train()
    step = 0
    for _ in range(EPOCHS):
        rng.shuffle(pairs)
        for i in range(0, len(pairs), BATCH):
            batch = pairs[i : i + BATCH]
            enc = tokenizer(
                [p[0] for p in batch],
                [p[1] for p in batch],
                truncation=True,
                max_length=MAX_LEN,
                padding=True,
                return_tensors="pt",
            )
            logits = model(**enc).logits
            loss = torch.nn.functional.cross_entropy(logits, torch.tensor([p[2] for p in batch]))
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            schedule.step()
            optimizer.zero_grad()
            step += 1
            if step % 100 == 0:
                print(f"  step {step}/{steps} loss {loss.item():.3f}", flush=True)
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)


def export_int8(model_dir: Path, out: Path) -> None:
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from transformers import AutoModelForSequenceClassification

    model = AutoModelForSequenceClassification.from_pretrained(str(model_dir)).eval()
    fp32 = BUILD / "grader-ce-fp32.onnx"
    dummy = torch.ones(1, 8, dtype=torch.long)
    axes = {0: "batch", 1: "tokens"}
    with torch.no_grad():
        torch.onnx.export(
            model,
            (dummy, dummy, torch.zeros_like(dummy)),
            str(fp32),
            input_names=["input_ids", "attention_mask", "token_type_ids"],
            output_names=["logits"],
            dynamic_axes={
                "input_ids": axes,
                "attention_mask": axes,
                "token_type_ids": axes,
                "logits": {0: "batch"},
            },
            opset_version=17,
            dynamo=False,
        )
    quantize_dynamic(str(fp32), str(out), weight_type=QuantType.QInt8)
    print(
        f"wrote {out} ({out.stat().st_size / 1e6:.1f} MB; fp32 {fp32.stat().st_size / 1e6:.0f} MB)"
    )


def int8_agreement(items, answers, fp32: Path) -> float:
    """Share of answers on which the int8 and fp32 cross-encoders pick the same class."""
    from tutor.embed import session_for

    pairs = [
        (cross.pair_text(items[a.item].question, items[a.item].reference), a.text) for a in answers
    ]
    q = cross.probabilities(pairs)
    f = cross.probabilities(pairs, session=session_for(fp32))
    return float((q.argmax(1) == f.argmax(1)).mean())


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
    ap.add_argument("--reuse-ce", type=Path, help="a fine-tuned cross-encoder folder to reuse")
    ap.add_argument("--skip-ce", action="store_true", help="reuse tutor/data/grader-ce.onnx")
    ap.add_argument("--no-ce-features", action="store_true", help="fit the trees without it")
    args = ap.parse_args(argv)
    random.seed(SEED)
    np.random.seed(SEED)
    clock = Clock()
    BUILD.mkdir(parents=True, exist_ok=True)
    items = CA.load_items()
    train = CA.parts(CA.load_answers())["train"]
    if not args.skip_ce:
        ce_dir = args.reuse_ce or BUILD / "cross-encoder"
        if not args.reuse_ce:
            fine_tune(ce_pairs(items, train), ce_dir)
            clock.lap("fine-tune")
        export_int8(ce_dir, cross.MODEL_PATH)
        clock.lap("export + int8")
        unseen = [a for a in train if not ce_saw(a)]
        agreement = int8_agreement(items, unseen, BUILD / "grader-ce-fp32.onnx")
        print(
            f"int8 vs fp32 cross-encoder: same class on {agreement:.3f} of the answers it did not see"
        )
        clock.lap("int8 check")

    features = BASE_FEATURES + ((), CE_FEATURES)[not args.no_ce_features]
    from tutor.grade import analyse_many

    value = {label: i for i, label in enumerate(LABELS)}
    fit_on = [a for a in train if not ce_saw(a)]
    y = np.array([value[a.label] for a in fit_on])
    models, figures = {}, {}
    for name, with_examples in (("reference", False), ("examples", True)):
        cols = features + (EXAMPLE_FEATURES if with_examples else ())
        analyses = analyse_many(
            rows_for(items, fit_on, train, with_examples), cross=not args.no_ce_features
        )
        X = matrix(analyses, cols)
        shortcut = [value[a.shortcut[0]] if a.shortcut else None for a in analyses]
        figures[name] = cross_validate(X, y, [a.item for a in fit_on], shortcut)
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
                    "tree_rows": len(fit_on),
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
