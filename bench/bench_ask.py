"""`tutor ask` latency: warm (model and index loaded) and cold (a new process).

Warm p50/p95 is over every question of the retrieval sets, three passes.
Cold is the wall time of `tutor ask QUESTION` as a user runs it, next to the
time of `python -c "import sentence_transformers"` in the same run: the import
alone is most of a cold start, and is the floor for any design that embeds.

    .venv/bin/python bench/bench_ask.py
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from bench_retrieval import SETS, load_set
from common import ROOT, pct, write_results

from tutor.answer import Answerer


def wall(cmd: list[str], **kw) -> float:
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True, **kw)
    return time.perf_counter() - t0


def main() -> None:
    texts = []
    for name in SETS:
        questions, offtopic = load_set(name)
        texts += [q["question"] for q in questions] + offtopic
    answerer = Answerer.load()
    times = []
    for _ in range(3):
        for text in texts:
            t0 = time.perf_counter()
            answerer.ask(text)
            times.append((time.perf_counter() - t0) * 1000)

    tutor = str(Path(sys.executable).with_name("tutor"))
    cold = [wall([tutor, "ask", "what does dropout do?"], cwd=ROOT) for _ in range(3)]
    imports = [wall([sys.executable, "-c", "import sentence_transformers"]) for _ in range(3)]
    figures = {
        "warm_ask_ms_p50": round(pct(times, 50), 1),
        "warm_ask_ms_p95": round(pct(times, 95), 1),
        "warm_ask_n": len(times),
        "cold_ask_s_median": round(sorted(cold)[1], 2),
        "baseline_import_sentence_transformers_s_median": round(sorted(imports)[1], 2),
    }
    for key, value in figures.items():
        print(f"{key:48} {value}")
    write_results("ask", figures)


if __name__ == "__main__":
    main()
