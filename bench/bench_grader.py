"""Benchmark the answer grader; prints a table and writes bench/results/grader.json.

Figures:
  * SemEval-2013 Task 7 training data (Dzikovska et al. 2013, CC BY 4.0):
    cross-validated macro-F1, GroupKFold by question, cosine baseline vs shipped
    (the same CV as scripts/fit_grader.py; skipped with --no-semeval);
  * every bench/data/graded-*.yaml: accuracy correct-vs-not and 3-way, per trap,
    for the shipped grader and for the cosine baseline;
  * warm latency: p50 / p95 ms per free-text answer, one at a time and batched.

    .venv/bin/python bench/bench_grader.py [--no-semeval]
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

RESULTS = ROOT / "bench/results/grader.json"


def load_graded() -> list[dict]:
    """Rows {question, reference, accept, kind, answer, label, trap, set} from graded-*.yaml."""
    from tutor.course import load_course
    from tutor.paths import content_dir

    items = {item.id: item for item in load_course(content_dir()).items}
    rows = []
    for path in sorted((ROOT / "bench/data").glob("graded-*.yaml")):
        for n, raw in enumerate(yaml.safe_load(path.read_text(encoding="utf-8")) or []):
            if "item" in raw:
                item = items.get(raw["item"])
                if item is None:
                    print(
                        f"warning: {path.name} #{n}: unknown item {raw['item']!r}", file=sys.stderr
                    )
                    continue
                question, reference, accept = item.question, item.answer, item.accept
                kind, choices = item.type, item.choices
            else:
                question, reference = raw["question"], raw["reference"]
                accept, kind, choices = raw.get("accept", []), raw.get("kind", "short"), []
            rows.append(
                {
                    "question": question,
                    "reference": reference,
                    "accept": accept,
                    "kind": kind,
                    "choices": choices,
                    "answer": str(raw.get("answer") or ""),
                    "label": raw["label"],
                    "trap": raw.get("trap") or "none",
                    "set": path.stem,
                }
            )
    return rows


def own_set(rows: list[dict]) -> dict:
    import numpy as np

    from tutor.embed import encode
    from tutor.grade import grade_many, load_weights

    keys = ("question", "reference", "answer", "kind", "accept", "choices")
    grades = list(grade_many({k: r[k] for k in keys} for r in rows))

    # the baseline: max cosine to reference + accepted answers, its CV-tuned threshold
    base_t = load_weights().get("baseline_threshold", 0.5)
    base = []
    for r in rows:
        if not r["answer"].strip():
            base.append(False)
            continue
        vecs = encode([r["answer"], r["reference"], *r["accept"]])
        base.append(float(np.max(vecs[1:] @ vecs[0])) >= base_t)

    per_trap: dict[str, list[bool]] = defaultdict(list)
    per_trap_base: dict[str, list[bool]] = defaultdict(list)
    per_set: dict[str, list[tuple[bool, bool, bool]]] = defaultdict(list)
    binary, three, base_ok, mistakes = [], [], [], []
    for r, g, b in zip(rows, grades, base, strict=True):
        ok = g.correct == (r["label"] == "correct")
        binary.append(ok)
        three.append(g.verdict == r["label"])
        base_ok.append(b == (r["label"] == "correct"))
        per_trap[r["trap"]].append(ok)
        per_trap_base[r["trap"]].append(base_ok[-1])
        per_set[r["set"]].append((ok, three[-1], base_ok[-1]))
        if not ok:
            mistakes.append(
                {"set": r["set"], "answer": r["answer"][:120], "label": r["label"], **g.to_dict()}
            )
    return {
        "answers": len(rows),
        "sets": sorted({r["set"] for r in rows}),
        "accuracy_correct_vs_not": round(sum(binary) / len(rows), 4),
        "accuracy_3way": round(sum(three) / len(rows), 4),
        "baseline_accuracy_correct_vs_not": round(sum(base_ok) / len(rows), 4),
        "per_set": {
            name: {
                "n": len(v),
                "correct_vs_not": round(sum(o for o, _, _ in v) / len(v), 4),
                "3way": round(sum(t for _, t, _ in v) / len(v), 4),
                "baseline_correct_vs_not": round(sum(b for _, _, b in v) / len(v), 4),
            }
            for name, v in sorted(per_set.items())
        },
        "per_trap": {
            t: {
                "n": len(v),
                "shipped": round(sum(v) / len(v), 4),
                "baseline": round(sum(per_trap_base[t]) / len(v), 4),
            }
            for t, v in sorted(per_trap.items())
        },
        "mistakes": [
            {k: m[k] for k in ("set", "answer", "label", "verdict", "score")} for m in mistakes
        ],
    }


def latency(rows: list[dict]) -> dict:
    from tutor.grade import grade, grade_many

    short = [r for r in rows if r["kind"] == "short" and r["answer"].strip()][:60]
    grade(short[0]["question"], short[0]["reference"], short[0]["answer"])  # warm up
    times = []
    for r in short:
        start = time.perf_counter()
        grade(r["question"], r["reference"], r["answer"], accept=r["accept"])
        times.append((time.perf_counter() - start) * 1000)
    keys = ("question", "reference", "answer", "accept")
    start = time.perf_counter()
    list(grade_many({k: r[k] for k in keys} for r in short))
    batched = (time.perf_counter() - start) * 1000 / len(short)
    times.sort()
    return {
        "answers": len(short),
        "p50_ms": round(statistics.median(times), 1),
        "p95_ms": round(times[int(0.95 * (len(times) - 1))], 1),
        "batched_ms_per_answer": round(batched, 1),
        "device": "cpu",
        "machine": f"{platform.machine()}, {__import__('os').cpu_count()} CPUs",
    }


def semeval() -> dict:
    sys.path.insert(0, str(ROOT / "scripts"))
    import numpy as np
    from fit_grader import DEFAULT_DATA, cross_validate, featurize, load

    if not DEFAULT_DATA.exists():
        return {"skipped": f"{DEFAULT_DATA} not found"}
    data = load(DEFAULT_DATA)
    y = np.array([bool(r["correct"]) for r in data])
    X, sigs, sems, shortcut = featurize(data)
    from tutor.grade import load_weights

    course_hi = load_weights().get("thresholds", {}).get("correct")
    return cross_validate(data, X, y, sigs, sems, shortcut, course_hi=course_hi)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--no-semeval", action="store_true", help="skip the SemEval CV")
    args = parser.parse_args(argv)

    rows = load_graded()
    result = {"own_set": own_set(rows), "latency": latency(rows)}
    if not args.no_semeval:
        result["semeval_cv"] = semeval()
    elif RESULTS.exists():
        result["semeval_cv"] = json.loads(RESULTS.read_text()).get("semeval_cv")

    own, lat, cv = result["own_set"], result["latency"], result.get("semeval_cv") or {}
    print(f"{'figure':<52} {'baseline':>9} {'shipped':>9}")
    if "shipped_macro_f1" in cv:
        print(
            f"{'SemEval 2-way CV macro-F1 (GroupKFold by question)':<52} "
            f"{cv['baseline_cosine_macro_f1']:>9.3f} {cv['shipped_macro_f1']:>9.3f}"
        )
        if "shipped_at_course_threshold_macro_f1" in cv:
            label = f"  same, at the course threshold {cv['shipped_at_course_threshold']:.2f}"
            print(f"{label:<52} {'':>9} {cv['shipped_at_course_threshold_macro_f1']:>9.3f}")
    print(
        f"{'own set accuracy, correct vs not (n=' + str(own['answers']) + ')':<52} "
        f"{own['baseline_accuracy_correct_vs_not']:>9.3f} {own['accuracy_correct_vs_not']:>9.3f}"
    )
    print(f"{'own set accuracy, 3-way':<52} {'':>9} {own['accuracy_3way']:>9.3f}")
    for name, v in own["per_set"].items():
        label = f"  {name} (n={v['n']}), 3-way {v['3way']:.3f}"
        print(f"{label:<52} {v['baseline_correct_vs_not']:>9.3f} {v['correct_vs_not']:>9.3f}")
    for trap, v in own["per_trap"].items():
        label = f"  trap {trap} (n={v['n']})"
        print(f"{label:<52} {v['baseline']:>9.3f} {v['shipped']:>9.3f}")
    print(
        f"latency warm: p50 {lat['p50_ms']} ms, p95 {lat['p95_ms']} ms per answer, "
        f"batched {lat['batched_ms_per_answer']} ms/answer ({lat['machine']})"
    )
    for m in own["mistakes"]:
        print(
            f"  miss [{m['set']}] label={m['label']} got={m['verdict']} {m['score']}: {m['answer']}"
        )
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {RESULTS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
