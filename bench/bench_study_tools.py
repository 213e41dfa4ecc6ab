"""Study tools at scale: undo and the card browser, on 100k cards and 1M review-log rows.

- undo: `Tutor.undo` (find today's latest standing review, put the card's FSRS state
  back, mark the review, append the undo record: one committed transaction), p50/p95
  over 300 undos, each of a review just recorded (the recording is not timed);
  target < 5 ms.
- browse: `Tutor.browse` with a search, first page of 100 plus the total and each
  listed card's last answers, p50/p95 over 20 runs per query; target < 100 ms. The
  cards get the bundled course's average text lengths (question, reference and
  accepted answers: about 180 characters in all). The queries: a
  word in every card, a word in one, two words (a few thousand), no match, and a
  filter (flagged) with a search.
- backup: `Tutor.backup` of the whole file (SQLite's online backup API), 3 runs.

    .venv/bin/python bench/bench_study_tools.py [--cards 100000] [--reviews 1000000]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from bench_srs import NOW, populate, timed
from common import ROOT, pct, write_results

from tutor import store
from tutor.services import Tutor
from tutor.study import queue, schedule

# the bundled course's cards average 98 characters of question, 57 of reference and
# 26 of accepted answers: the synthetic cards are padded to the same
QUESTION_TAIL = (
    " What does a convolutional layer learn when its weights are shared across the image?"
)
ANSWER_TAIL = " One local pattern detector, applied at every position."
ACCEPT = '["weight sharing", "one kernel"]'
SEARCHES = {
    "common word": "question",
    "rare word": "12345",
    "two words": "question 99",
    "no match": "zyzzyva",
}


def figures(ms: list[float]) -> dict:
    return {"p50": round(statistics.median(ms), 3), "p95": round(pct(ms, 95), 3), "runs": len(ms)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cards", type=int, default=100_000)
    parser.add_argument("--reviews", type=int, default=1_000_000)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        os.environ["TUTOR_HOME"] = tmp
        db = store.connect()
        t0 = time.perf_counter()
        shape = populate(db, args.cards, args.reviews)
        # course-like lengths: a question of a sentence or two, a reference of one or two
        db.execute(
            "UPDATE cards SET question = question || ?, answer = answer || ?, accept = ?",
            [QUESTION_TAIL, ANSWER_TAIL, ACCEPT],
        )
        print(f"populated {shape} in {time.perf_counter() - t0:.1f} s")
        tutor = Tutor(db_path=Path(tmp) / "tutor.db", clock=lambda: NOW)
        tutor._db = db  # the database populated above (the facade would open the same file)

        due = queue.build_queue(db, NOW).due
        sched = schedule.scheduler(db)
        undo_ms = []
        for card_id in due[:300]:
            schedule.record_review(db, card_id, 3, now=NOW, answer="x", sched=sched)
            t = time.perf_counter()
            tutor.undo()
            undo_ms.append((time.perf_counter() - t) * 1000)
        print(f"undo: p50 {statistics.median(undo_ms):.2f} ms, p95 {pct(undo_ms, 95):.2f} ms")

        tutor.flag(due[:500])
        browse = {}
        for name, query in SEARCHES.items():
            page = tutor.browse(search=query)
            ms = timed(lambda q=query: tutor.browse(search=q), 20)
            browse[name] = {"query": query, "matches": page.total, **figures(ms)}
            print(
                f"browse {name!r} ({page.total} match): p50 {statistics.median(ms):.1f} ms, "
                f"p95 {pct(ms, 95):.1f} ms"
            )
        page = tutor.browse(search="question", flagged=True)
        ms = timed(lambda: tutor.browse(search="question", flagged=True), 20)
        browse["flagged + search"] = {"query": "question", "matches": page.total, **figures(ms)}
        print(f"browse flagged+search: p50 {statistics.median(ms):.1f} ms")
        ms = timed(lambda: tutor.browse(), 20)
        browse["no filter"] = {"query": None, "matches": tutor.browse().total, **figures(ms)}
        print(f"browse, no filter: p50 {statistics.median(ms):.1f} ms")

        backup_s = timed(lambda: tutor.backup(), 3)
        size_mb = Path(tmp, "tutor.db").stat().st_size / 1e6
        print(f"backup of {size_mb:.0f} MB: p50 {statistics.median(backup_s) / 1000:.2f} s")

    write_results(
        "study_tools",
        {
            "command": ".venv/bin/python bench/bench_study_tools.py",
            "data": {**shape, "db_mb": round(size_mb)},
            "undo_ms": {**figures(undo_ms), "target": 5},
            "browse_ms": {"target": 100, "page": 100, "queries": browse},
            "backup_s": {"p50": round(statistics.median(backup_s) / 1000, 2), "runs": 3},
        },
    )


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main()
