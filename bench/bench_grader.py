"""Benchmark the free-text grader; prints tables and writes bench/results/grader.json.

Measured on answers the shipped grader never trained on, with three baselines
in the same run:

  * "cosine": the max cosine of the answer to the references, with the threshold
    that is best on the course answers' train part (the plain-MiniLM baseline);
  * "v1" to "v4r": the graders shipped before (commits in BASELINES), each run
    from a git worktree of its commit through its own `tutor grade --json -`;
    v2 on are given their own bundled item evidence, as they would use it.

Sets (bench/data/course-answers/, split fixed in bench/course_answers.py):
  * heldout-items: every answer to the items the grader never saw an answer to;
  * heldout-answers: 12 % of the answers to the other items, whose remaining
    answers are the grader's item evidence (as for a bundled card). Measured
    twice: with the card's bundled evidence, which holds the same writer's other
    answers (each writer wrote contrasting twins, "A into B" correct beside "B
    into A" wrong, so a near twin with the opposite label sits in the
    evidence, as it never does for a new learner), and with only the answers
    other writers wrote (what a new learner's answer meets);
  * another lesson's answer: a held-out correct answer typed for a card of
    another lesson, with that card's bundled evidence (all wrong).
  * the final blind set (`course_answers.FINAL_BLIND`), with `--only-blind`:
    written by two more writers, measured once after the grader was frozen;
    its answers to items with training answers and to held-out items are
    reported apart.
For each: correct-vs-not accuracy, 3-way accuracy, per trap, per lesson; terse
correct answers accepted; sibling / swapped / negated answers rejected.

Also: SemEval-2013 Task 7 (Dzikovska et al. 2013, CC BY 4.0) 5-fold GroupKFold
by question, macro-F1 (cosine; the tree model on the grader's features, fitted
per fold; today's CV figure from its grader.json) — the shipped cross-encoder saw
SemEval answers of every question, so it is measured there only on the answers
it did not train on (seen questions); warm latency per answer (one at a time and
batched) and a cold `tutor grade` process.

    .venv/bin/python bench/bench_grader.py [--no-semeval] [--no-baseline | --baselines v4 ...]
        [--only-blind] [--only-latency]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT / "scripts"))

import course_answers as CA  # noqa: E402
from common import pct, run_at, write_results  # noqa: E402

BASELINES = {
    "v1": "ef8f4ff",  # the hand-tuned grader before the learned one
    "v2": "d1771bd",  # cross-encoder + trees whose item evidence was same-writer
    "v3": "9c1c187",  # evidence by other writers; one cross-encoder, on round 1's half A
    "v4": "9c11d01",  # cross-fitted cross-encoders; trees on every training answer
    "v4r": "ffda072",  # v4 with the off-card rule (OFF_CARD_COSINE)
}
SEMEVAL = ROOT.parent / "shared/datasets/semeval2013-2way-train.jsonl"
REJECT_TRAPS = ("sibling", "swapped", "negation")


def rows_for(items, answers, evidence: str | None, pool=()) -> list[dict]:
    """Grader rows. `evidence`: None (no item evidence), "bundled" (the card's
    shipped labelled answers) or "other-writers" (the `pool` answers to the item
    written by other writers than the answer's: what a new learner's answer meets)."""
    from tutor.grading.examples import bundled

    by_item = defaultdict(list)
    for o in pool:
        by_item[o.item].append(o)

    def examples(a) -> list[dict]:
        if evidence == "bundled":
            return [e.to_dict() for e in bundled(a.item)]
        if evidence == "other-writers":
            return [
                {"answer": o.text, "label": o.label} for o in by_item[a.item] if o.file != a.file
            ]
        return []

    return [
        {
            "question": items[a.item].question,
            "reference": items[a.item].reference,
            "accept": list(items[a.item].accept),
            "answer": a.text,
            "examples": examples(a),
        }
        for a in answers
    ]


def other_lesson_answers(items, answers) -> list:
    """A learner's right answer typed for the wrong card: each item's first correct
    held-out answer, given to an unrelated item of another lesson (picked by hash)
    that has bundled evidence. All are wrong; an unrelated answer must not borrow the
    verdict of whichever labelled answer happens to be nearest."""
    import hashlib

    from tutor.grading.examples import bundled

    def digest(text: str) -> int:
        return int(hashlib.sha1(text.encode("utf-8")).hexdigest(), 16)

    unrelated = CA.unrelated_items(items)
    first = {}
    for a in answers:
        if a.label == "correct":
            first.setdefault(a.item, a)
    out = []
    for a in first.values():
        others = [i for i in unrelated[a.item] if bundled(i)]  # never the answer's own
        to = others[digest(a.key) % len(others)]
        out.append(CA.Answer(to, a.text, "incorrect", "other-lesson", a.file))
    return out


def grade_new(rows: list[dict]) -> list:
    from tutor.grade import grade_many

    return list(grade_many(rows))


def decided_by(answers, grades) -> dict:
    """What decided each verdict ("example": the same answer as a labelled one; "model",
    "model+examples", "term", ...), with how many and the correct-vs-not accuracy of
    each: the writers are alike, so a blind answer can repeat a bundled one."""
    groups = defaultdict(list)
    for a, g in zip(answers, grades, strict=True):
        groups[g.evidence.get("by", "")].append((g.verdict == "correct") == (a.label == "correct"))
    return {k: [len(v), round(float(np.mean(v)), 3)] for k, v in sorted(groups.items())}


def grade_at(rev: str, rows: list[dict], answers, evidence: str | None) -> list[str] | None:
    """Verdicts of the grader at `rev`, through its own `tutor grade --json -`; with
    its own bundled item evidence when it shipped one and the set uses the bundled
    evidence, or with the rows' own evidence when the set gives it."""
    shipped = subprocess.run(
        ["git", "-C", str(ROOT), "show", f"{rev}:tutor/data/grader-examples.json"],
        capture_output=True, text=True)  # fmt: skip
    shipped_evidence = json.loads(shipped.stdout)["examples"] if shipped.returncode == 0 else {}
    lines = ""
    for r, a in zip(rows, answers, strict=True):
        line = {k: r[k] for k in ("question", "reference", "accept", "answer")}
        if evidence == "bundled" and shipped_evidence.get(a.item):
            line["examples"] = [{"answer": t, "label": lab} for t, lab in shipped_evidence[a.item]]
        elif evidence == "other-writers" and r["examples"]:
            line["examples"] = r["examples"]
        lines += json.dumps(line) + "\n"
    out = run_at(rev, ["-m", "tutor.cli", "grade", "--json", "-"], lines)
    if out is None:
        return None
    return [json.loads(line)["verdict"] for line in out.splitlines() if line.strip()]


def cosine_scores(items, answers) -> np.ndarray:
    from tutor.embed import encode

    texts = sorted(
        {a.text for a in answers}
        | {t for a in answers for t in (items[a.item].reference, *items[a.item].accept)}
    )
    vec = dict(zip(texts, encode(texts, batch_size=64), strict=True))
    return np.array(
        [
            max(
                float(vec[a.text] @ vec[t])
                for t in (items[a.item].reference, *items[a.item].accept)
            )
            for a in answers
        ]
    )


def best_cut(scores: np.ndarray, correct: np.ndarray, macro: bool = False) -> float:
    """The cosine threshold with the best accuracy (or macro-F1) on these answers."""
    from sklearn.metrics import f1_score

    grid = np.quantile(scores, np.linspace(0.02, 0.98, 97))
    if macro:
        return float(max(grid, key=lambda t: f1_score(correct, scores >= t, average="macro")))
    return float(max(grid, key=lambda t: ((scores >= t) == correct).mean()))


def summary(answers, items, verdicts: list[str]) -> dict:
    """The figures of one grader on one set."""
    labels = [a.label for a in answers]
    ok = [(v == "correct") == (lab == "correct") for v, lab in zip(verdicts, labels, strict=True)]
    out = {
        "n": len(answers),
        "correct_vs_not": round(float(np.mean(ok)), 4),
        "three_way": round(
            float(np.mean([v == lab for v, lab in zip(verdicts, labels, strict=True)])), 4
        ),
    }
    terse = [
        v
        for a, v in zip(answers, verdicts, strict=True)
        if a.trap == "terse" and a.label == "correct"
    ]
    if terse:
        out["terse_correct_accepted"] = round(float(np.mean([v == "correct" for v in terse])), 4)
        out["terse_correct_n"] = len(terse)
    for trap in REJECT_TRAPS:
        picked = [v for a, v in zip(answers, verdicts, strict=True) if a.trap == trap]
        if picked:
            out[f"{trap}_rejected"] = round(float(np.mean([v != "correct" for v in picked])), 4)
    per_trap, per_lesson = defaultdict(list), defaultdict(list)
    for a, good in zip(answers, ok, strict=True):
        per_trap[a.trap].append(good)
        per_lesson[items[a.item].lesson].append(good)
    out["per_trap"] = {
        k: [round(float(np.mean(v)), 3), len(v)] for k, v in sorted(per_trap.items())
    }
    out["per_lesson"] = {
        k: [round(float(np.mean(v)), 3), len(v)] for k, v in sorted(per_lesson.items())
    }
    return out


def measure_sets(sets: dict, items, cut: float, baseline: dict[str, str], pool=()) -> dict:
    results = {}
    for name, (answers, evidence) in sets.items():
        if not answers:
            continue
        rows = rows_for(items, answers, evidence, pool)
        graded = grade_new(rows)
        graders = {"new": [g.verdict for g in graded]}
        scores = cosine_scores(items, answers)
        graders["cosine"] = [
            "correct" if s >= cut else "partial" if s >= cut - 0.15 else "incorrect" for s in scores
        ]
        for name_, rev in baseline.items():
            verdicts = grade_at(rev, rows, answers, evidence)
            if verdicts:
                graders[name_] = verdicts
        results[name] = {g: summary(answers, items, v) for g, v in graders.items()}
        results[name]["new"]["decided_by"] = decided_by(answers, graded)
        print(f"\n{name} ({len(answers)} answers, item evidence: {evidence or 'none'})")
        print(f"  {'grader':8s} {'corr/not':>9s} {'3-way':>7s} {'terse ok':>9s} "
              + " ".join(f"{t + ' rej':>12s}" for t in REJECT_TRAPS))  # fmt: skip
        for g, s in results[name].items():
            rej = " ".join(f"{s.get(f'{t}_rejected', float('nan')):12.3f}" for t in REJECT_TRAPS)
            terse = s.get("terse_correct_accepted", float("nan"))
            print(f"  {g:8s} {s['correct_vs_not']:9.3f} {s['three_way']:7.3f} {terse:9.3f} {rej}")
        new = results[name]["new"]["per_trap"]
        print("  new, per trap: " + ", ".join(f"{k} {v[0]:.2f} ({v[1]})" for k, v in new.items()))
        by = results[name]["new"]["decided_by"]
        print("  new, decided by: " + ", ".join(f"{k} {v[1]:.3f} ({v[0]})" for k, v in by.items()))
    return results


def _semeval():
    """SemEval's training answers with the grader's features: rows, feature matrix
    (no cross-encoder), labels (1 correct), question groups, shortcut verdicts (-1
    none, else 1 correct / 0 not) and cosines to the reference."""
    from train_grader import BASE_FEATURES

    from tutor.grade import analyse_many, model_row

    rows = [json.loads(line) for line in SEMEVAL.open(encoding="utf-8") if line.strip()]
    analyses = analyse_many(
        [
            {"question": r["question"], "reference": r["references"][0], "accept": r["references"][1:], "answer": r["answer"]}
            for r in rows
        ],
        cross=False,
    )  # fmt: skip
    spec = {"features": list(BASE_FEATURES)}
    return (
        rows,
        np.stack([model_row(a.named, None, None, spec) for a in analyses]),
        np.array([1 if r["correct"] else 0 for r in rows]),
        np.array([r["qid"] for r in rows]),
        np.array([-1 if a.shortcut is None else int(a.shortcut[0] == "correct") for a in analyses]),
        np.array([a.named.get("cos_ref", 0.0) for a in analyses]),
    )


def semeval_figures() -> dict:
    """GroupKFold-by-question macro-F1 on SemEval: cosine, and the tree model on the
    grader's features (no cross-encoder) fitted per fold; today's CV from its file."""
    from sklearn.ensemble import GradientBoostingClassifier
    from sklearn.metrics import f1_score
    from sklearn.model_selection import GroupKFold
    from train_grader import GB, SEED

    _, X, y, groups, shortcut, cos = _semeval()
    pred_tree, pred_cos = np.zeros(len(y), int), np.zeros(len(y), int)
    for tr, te in GroupKFold(5).split(X, y, groups):
        cut = best_cut(cos[tr], y[tr] == 1, macro=True)
        pred_cos[te] = cos[te] >= cut
        fit_rows = tr[shortcut[tr] < 0]
        model = GradientBoostingClassifier(random_state=SEED, **GB).fit(X[fit_rows], y[fit_rows])
        pred_tree[te] = model.predict(X[te])
    pred_tree = np.where(shortcut >= 0, shortcut, pred_tree)
    return {
        "cosine": round(float(f1_score(y, pred_cos, average="macro")), 4),
        "trees_on_features": round(float(f1_score(y, pred_tree, average="macro")), 4),
        "n": len(y),
    }


def semeval_cross_figures(folds: int = 5) -> dict:
    """The whole design on SemEval, fitted per fold of a GroupKFold by question, so no
    part of it saw a test question: a cross-encoder fine-tuned (the shipped recipe,
    int8 graph) on the answers to half the fold's training questions, then the trees
    on the grader's features plus its readings, fitted on the other half (as the
    shipped trees read cross-fitted readings). Also the cross-encoder alone (argmax).
    About 5 minutes per fold on a quiet 2-core machine: run with --semeval-cross."""
    import tempfile

    from finetune import export_int8, fine_tune
    from sklearn.ensemble import GradientBoostingClassifier
    from sklearn.metrics import f1_score
    from sklearn.model_selection import GroupKFold
    from train_grader import GB, RECIPE, SEED

    from tutor.embed import session_for
    from tutor.grading import cross

    rows, X, y, groups, shortcut, _ = _semeval()
    pairs = [(cross.pair_text(r["question"], r["references"][0]), r["answer"]) for r in rows]
    pred_ce, pred_all = np.zeros(len(y), int), np.zeros(len(y), int)
    for k, (tr, te) in enumerate(GroupKFold(folds).split(X, y, groups)):
        questions = sorted(set(groups[tr]))
        first = set(questions[::2])
        ce_rows = np.array([i for i in tr if groups[i] in first])
        tree_rows = np.array([i for i in tr if groups[i] not in first])
        with tempfile.TemporaryDirectory() as tmp:
            folder, graph = Path(tmp) / "ce", Path(tmp) / "ce.onnx"
            fine_tune([(*pairs[i], 2 * int(y[i])) for i in ce_rows], folder, RECIPE)
            export_int8(folder, graph)
            session = session_for(graph)
            p = np.zeros((len(y), 3))
            wanted = np.concatenate([tree_rows, te])
            p[wanted] = cross.probabilities([pairs[i] for i in wanted], session=session)
        Xc = np.hstack([X, p])
        fit_rows = tree_rows[shortcut[tree_rows] < 0]
        model = GradientBoostingClassifier(random_state=SEED, **GB).fit(Xc[fit_rows], y[fit_rows])
        pred_all[te] = model.predict(Xc[te])
        pred_ce[te] = p[te].argmax(1) == 2
        print(f"  SemEval fold {k + 1}/{folds}: {len(ce_rows)} cross-encoder answers, "
              f"{len(tree_rows)} tree rows, {len(te)} tested", flush=True)  # fmt: skip
    pred_all = np.where(shortcut >= 0, shortcut, pred_all)
    return {
        "cross_encoder_alone": round(float(f1_score(y, pred_ce, average="macro")), 4),
        "grader_design": round(float(f1_score(y, pred_all, average="macro")), 4),
        "n": len(y),
    }


def latency() -> dict:
    from tutor.grade import grade, grade_many
    from tutor.grading.examples import bundled

    examples = [e.to_dict() for e in bundled("reg-overfit-def")]
    question = "What is overfitting?"
    reference = "When a model fits the training data so closely that it does worse on new data."
    answers = [f"the model memorises the training set {i} and fails on new data" for i in range(40)]
    grade(question, reference, "warm up", examples=examples)
    one = []
    for a in answers:
        start = time.perf_counter()
        grade(question, reference, a, examples=examples)
        one.append((time.perf_counter() - start) * 1000)
    rows = [
        {"question": question, "reference": reference, "answer": a, "examples": examples}
        for a in answers
    ]
    start = time.perf_counter()
    list(grade_many(rows))
    batched = (time.perf_counter() - start) * 1000 / len(rows)
    cold = []
    for _ in range(3):
        start = time.perf_counter()
        subprocess.run(
            [
                sys.executable,
                "-m",
                "tutor.cli",
                "grade",
                "-q",
                question,
                "-r",
                reference,
                "-a",
                answers[0],
            ],
            check=True,
            capture_output=True,
            cwd=ROOT,
        )
        cold.append(time.perf_counter() - start)
    return {
        "warm_ms_p50": round(statistics.median(one), 1),
        "warm_ms_p95": round(pct(one, 95), 1),
        "batched_ms_per_answer": round(batched, 1),
        "cold_grade_s_median": round(statistics.median(cold), 2),
    }


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--no-semeval", action="store_true")
    ap.add_argument(
        "--semeval-cross",
        action="store_true",
        help="also the whole design fitted per SemEval fold (about 25 quiet minutes)",
    )
    ap.add_argument("--no-baseline", action="store_true", help="skip the graders before this one")
    ap.add_argument(
        "--baselines", nargs="+", choices=sorted(BASELINES), help="only these earlier graders"
    )
    ap.add_argument("--only-blind", action="store_true", help="only the final blind set, once")
    ap.add_argument(
        "--only-latency",
        action="store_true",
        help="only the latency, into grader.json (rerun it when a busy machine skewed it)",
    )
    args = ap.parse_args(argv)
    if args.only_latency:  # the rest of the file keeps the time it was measured
        from datetime import UTC, datetime

        path = ROOT / "bench/results/grader.json"
        payload = json.loads(path.read_text(encoding="utf-8"))
        payload["latency"] = latency() | {"when": datetime.now(UTC).isoformat(timespec="seconds")}
        print(f"latency: {payload['latency']}")
        path.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
        return
    baselines = (
        {}
        if args.no_baseline
        else {k: v for k, v in BASELINES.items() if not args.baselines or k in args.baselines}
    )
    items = CA.load_items()
    parts = CA.parts(CA.load_answers())
    train = parts["train"]
    cut = best_cut(cosine_scores(items, train), np.array([a.label == "correct" for a in train]))
    sets = {
        "heldout-items": (parts["heldout-items"], None),
        "heldout-answers": (parts["heldout-answers"], "bundled"),
        "heldout-answers, evidence by other writers": (parts["heldout-answers"], "other-writers"),
        "another lesson's answer, bundled evidence": (
            other_lesson_answers(items, parts["heldout-answers"]),
            "bundled",
        ),
    }
    if args.only_blind:
        blind = CA.load_answers(CA.FINAL_BLIND)
        known = {a.item for a in train}
        sets = {
            "blind-after-freeze": ([a for a in blind if a.item in known], "bundled"),
            "blind-after-freeze, held-out items": ([a for a in blind if a.item not in known], None),
            "blind-after-freeze, another lesson's answer": (
                other_lesson_answers(items, blind),
                "bundled",
            ),
        }
    payload = {
        "course": measure_sets(sets, items, cut, baselines, train),
        "cosine_threshold": round(cut, 3),
        "labels": dict(Counter(a.label for p in parts.values() for a in p)),
    }
    if not args.no_semeval and not args.only_blind:
        payload["semeval_groupkfold_macro_f1"] = semeval_figures()
        before = json.loads(subprocess.run(
            ["git", "-C", str(ROOT), "show", f"{BASELINES['v1']}:tutor/data/grader.json"],
            capture_output=True, text=True, check=True).stdout)  # fmt: skip
        payload["semeval_groupkfold_macro_f1"]["v1"] = before["cross_validation"][
            "shipped_macro_f1"
        ]
        if args.semeval_cross:
            payload["semeval_groupkfold_macro_f1"] |= semeval_cross_figures()
        print(f"\nSemEval GroupKFold macro-F1: {payload['semeval_groupkfold_macro_f1']}")
    if args.only_blind:  # measured once, after the freeze, kept beside the main figures
        write_results("grader-blind", payload)
        return
    payload["latency"] = latency()
    print(f"\nlatency: {payload['latency']}")
    write_results("grader", payload)


if __name__ == "__main__":
    main()
