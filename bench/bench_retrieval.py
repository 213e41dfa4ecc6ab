"""Retrieval quality on our own question set: which ranking to ship, and the scope threshold.

For every question in bench/data/questions-*.yaml (a learner's paraphrase and the
lesson › section that answers it) and bench/data/offtopic.yaml (questions the
course does not answer), report hit@1, hit@3 and MRR for bm25 alone, dense alone,
hybrid (RRF) and hybrid with sentence-level scoring, plus off-topic rejection at
the shipped threshold and a sweep of thresholds.

    .venv/bin/python bench/bench_retrieval.py
"""

from __future__ import annotations

import json
import time

import yaml
from common import ROOT, write_results

from tutor import answer, embed
from tutor.course import slugify
from tutor.search import MODES, query_terms


def load_questions() -> tuple[list[dict], list[str]]:
    questions = []
    for path in sorted((ROOT / "bench/data").glob("questions-*.yaml")):
        questions += yaml.safe_load(path.read_text(encoding="utf-8"))
    offtopic = yaml.safe_load((ROOT / "bench/data/offtopic.yaml").read_text(encoding="utf-8"))
    return questions, offtopic


def evaluate(answerer: answer.Answerer, questions: list[dict], offtopic: list[str]) -> dict:
    qvecs = embed.encode([q["question"] for q in questions])
    ovecs = embed.encode(offtopic)
    results: dict = {}
    drawn = 0  # answers quoted from the section the question targets
    for q in questions:
        ans = answerer.ask(q["question"])
        if ans.in_scope and (ans.sources[0].lesson_id, ans.sources[0].section_id) == (
            q["lesson"],
            slugify(q["section"]),
        ):
            drawn += 1
    results["answer_from_target_section"] = drawn / len(questions)
    for mode in MODES:
        ranks, best_in = [], []
        for q, vec in zip(questions, qvecs, strict=True):
            hits = answerer.searcher.search(q["question"], vec, k=10, mode=mode)
            target = (q["lesson"], slugify(q["section"]))
            rank = next(
                (i + 1 for i, h in enumerate(hits) if (h.lesson_id, h.section_id) == target), None
            )
            ranks.append(rank)
            best_in.append(max((max(h.dense, h.sentence) for h in hits), default=0.0))
        best_off = []
        for text, vec in zip(offtopic, ovecs, strict=True):
            hits = answerer.searcher.search(text, vec, k=10, mode=mode)
            score = max((max(h.dense, h.sentence) for h in hits), default=0.0)
            best_off.append(score if query_terms(text) else 0.0)
        n = len(questions)
        results[mode] = {
            "hit@1": sum(r == 1 for r in ranks if r) / n,
            "hit@3": sum(r <= 3 for r in ranks if r) / n,
            "mrr": sum(1 / r for r in ranks if r) / n,
            "in_scope_kept": sum(s >= answer.IN_SCOPE_MIN for s in best_in) / n,
            "offtopic_rejected": sum(s < answer.IN_SCOPE_MIN for s in best_off) / len(offtopic),
            "sweep": {
                f"{t:.2f}": {
                    "in_scope_kept": round(sum(s >= t for s in best_in) / n, 3),
                    "offtopic_rejected": round(sum(s < t for s in best_off) / len(offtopic), 3),
                }
                for t in [0.30, 0.35, 0.40, 0.45, 0.50]
            },
            "misses": [
                {"question": q["question"], "want": f"{q['lesson']} › {q['section']}", "rank": r}
                for q, r in zip(questions, ranks, strict=True)
                if r is None or r > 3
            ],
            "offtopic_accepted": [
                t for t, s in zip(offtopic, best_off, strict=True) if s >= answer.IN_SCOPE_MIN
            ],
        }
    return results


def main() -> None:
    questions, offtopic = load_questions()
    t0 = time.perf_counter()
    answerer = answer.Answerer.load()
    load_s = time.perf_counter() - t0
    results = evaluate(answerer, questions, offtopic)
    print(
        f"{len(questions)} course questions, {len(offtopic)} off-topic; threshold {answer.IN_SCOPE_MIN}"
    )
    print(f"{'mode':18} {'hit@1':>6} {'hit@3':>6} {'MRR':>6} {'kept':>6} {'off-rej':>7}")
    for mode in MODES:
        r = results[mode]
        print(
            f"{mode:18} {r['hit@1']:6.3f} {r['hit@3']:6.3f} {r['mrr']:6.3f} "
            f"{r['in_scope_kept']:6.3f} {r['offtopic_rejected']:7.3f}"
        )
    print(f"answers quoted from the target section: {results['answer_from_target_section']:.3f}")
    shipped = results["hybrid+sentence"]
    print("threshold sweep (shipped mode):", json.dumps(shipped["sweep"]))
    for miss in shipped["misses"]:
        print("  miss:", miss)
    for text in shipped["offtopic_accepted"]:
        print("  off-topic accepted:", text)
    payload = {
        "questions": len(questions),
        "offtopic": len(offtopic),
        "threshold": answer.IN_SCOPE_MIN,
        "load_seconds": round(load_s, 2),
        "shipped": "hybrid+sentence",
        "modes": results,
    }
    write_results("retrieval", payload)


if __name__ == "__main__":
    main()
