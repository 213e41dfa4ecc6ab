"""`tutor ask` and `tutor grade` latency: warm (model and index loaded) and cold.

Warm p50/p95 is over every question of the retrieval sets, three passes.
Cold is the wall time of `tutor ask QUESTION` and `tutor grade ...` as a user
runs them (a new process each), next to the time of
`python -c "import sentence_transformers"` in the same run: that import alone
was most of a cold start before the model moved to ONNX Runtime. Targets:
cold ask < 1.5 s and <= 0.15x the import; cold grade < 1.5 s; warm ask p50 < 30 ms.

    .venv/bin/python bench/bench_ask.py
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path

from bench_retrieval import SETS, load_set
from common import ROOT, pct, write_results

from tutor.services import Tutor


def wall(cmd: list[str], **kw) -> float:
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True, **kw)
    return time.perf_counter() - t0


def main() -> None:
    texts = []
    for name in SETS:
        questions, offtopic = load_set(name)
        texts += [q["question"] for q in questions] + offtopic
    tutor = Tutor()
    tutor.answerer()
    times = []
    for _ in range(3):
        for text in texts:
            t0 = time.perf_counter()
            tutor.ask(text)
            times.append((time.perf_counter() - t0) * 1000)
    grades = []
    for _ in range(3):
        for text in texts[:60]:
            t0 = time.perf_counter()
            tutor.grade("What does dropout do?", "It zeroes random activations.", text)
            grades.append((time.perf_counter() - t0) * 1000)

    exe = str(Path(sys.executable).with_name("tutor"))
    grade_cmd = [exe, "grade", "-q", "What does dropout do?", "-r", "It zeroes random "
                 "activations during training.", "-a", "drops random units while training"]  # fmt: skip
    cold, cold_grade, imports = [], [], []
    for _ in range(5):  # interleaved, so load on the machine hits all three alike
        cold.append(wall([exe, "ask", "what does dropout do?"], cwd=ROOT))
        cold_grade.append(wall(grade_cmd, cwd=ROOT))
        imports.append(wall([sys.executable, "-c", "import sentence_transformers"]))
    median = statistics.median
    figures = {
        "warm_ask_ms_p50": round(pct(times, 50), 1),
        "warm_ask_ms_p95": round(pct(times, 95), 1),
        "warm_ask_n": len(times),
        "warm_grade_ms_p50": round(pct(grades, 50), 1),
        "warm_grade_ms_p95": round(pct(grades, 95), 1),
        "cold_ask_s_median": round(median(cold), 2),
        "cold_ask_s_range": [round(min(cold), 2), round(max(cold), 2)],
        "cold_grade_s_median": round(median(cold_grade), 2),
        "baseline_import_sentence_transformers_s_median": round(median(imports), 2),
        "cold_ask_vs_import": round(median(cold) / median(imports), 3),
    }
    for key, value in figures.items():
        print(f"{key:48} {value}")
    write_results("ask", figures)


if __name__ == "__main__":
    main()
