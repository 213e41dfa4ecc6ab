"""Scheduler figures at scale: 100k cards and 1M review-log rows in a temp database.

- queue: `queue.build_queue` (today's due cards ordered by retrievability + new cards),
  p50/p95 over 30 runs; target < 50 ms.
- record: `schedule.record_review` (FSRS step + review row + card update, one committed
  transaction), p50/p95 over 300 reviews of due cards; target < 5 ms.
- stats: `stats.compute_stats` in-process, p50 over 7 runs, and `tutor stats` as a user
  runs it (a new process, imports included), p50 over 3 runs.

    .venv/bin/python bench/bench_srs.py [--cards 100000] [--reviews 1000000]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from common import ROOT, pct, write_results
from fsrs import Card, State

from tutor import store
from tutor.study import clock, queue, schedule
from tutor.study.stats import compute_stats

NOW = store.utcnow()


def populate(db, n_cards: int, n_reviews: int, seed: int = 1) -> dict:
    """Synthetic but realistic: 80% of cards seen, stabilities log-normal, due dates
    from the forgetting curve, so a few percent are due today."""
    rng = random.Random(seed)
    lessons = 18
    cards, seen = [], []
    for i in range(n_cards):
        card_id = f"bench-{i:06d}"
        lesson = i * lessons // n_cards
        row = {
            "id": card_id,
            "fsrs_id": schedule.fsrs_id(card_id),
            "origin": "course",
            "source": "authored",
            "kind": "short",
            "lesson_id": f"lesson-{lesson:02d}",
            "lesson_title": f"Lesson {lesson}",
            "lesson_order": lesson,
            "position": i,
            "question": f"Question {i}?",
            "answer": f"Answer {i}",
            "status": "active",
            "created_at": clock.iso(NOW - timedelta(days=400)),
            "updated_at": clock.iso(NOW - timedelta(days=400)),
        }
        if rng.random() < 0.8:
            stability = min(3650.0, rng.lognormvariate(2.5, 1.2))
            interval = max(1.0, stability)
            # a learner who keeps up: ~5% of seen cards due today, some of them overdue
            last = NOW - timedelta(days=rng.uniform(0, 1.0 * interval) + rng.expovariate(8))
            due = last + timedelta(days=interval)
            card = Card(
                card_id=row["fsrs_id"],
                state=State.Review,
                step=None,
                stability=stability,
                difficulty=rng.uniform(2, 9),
                due=due,
                last_review=last,
            )
            seen.append(card_id)
        else:
            card = Card(card_id=row["fsrs_id"], due=NOW - timedelta(days=400))
        row.update(
            state=int(card.state),
            step=card.step,
            stability=card.stability,
            difficulty=card.difficulty,
            due=clock.iso(card.due),
            last_review=clock.iso(card.last_review) if card.last_review else None,
            fsrs=json.dumps(card.to_dict()),
        )
        cards.append(row)
    cols = list(cards[0])
    conn = db.conn
    conn.execute("BEGIN")
    conn.executemany(
        f"INSERT INTO cards ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",
        ([r[c] for c in cols] for r in cards),
    )
    start = NOW - timedelta(days=730)

    def review_rows():
        for k in range(n_reviews):
            at = start + timedelta(seconds=rng.uniform(0, 730 * 86400))
            yield (
                rng.choice(seen),
                rng.choices((1, 2, 3, 4), (10, 15, 65, 10))[0],
                3,
                clock.iso(at),
                rng.randint(2000, 40000),
                f"answer {k}",
                "correct",
                0.9,
                2,
                0,
            )

    conn.executemany(
        "INSERT INTO reviews (card_id, rating, suggested, reviewed_at, duration_ms, answer, "
        "verdict, score, state_before, cram) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        review_rows(),
    )
    conn.execute("COMMIT")
    conn.execute("ANALYZE")
    return {"cards": n_cards, "seen": len(seen), "reviews": n_reviews}


def timed(fn, runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t0) * 1000)
    return out


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
        build_s = time.perf_counter() - t0
        size_mb = Path(tmp, "tutor.db").stat().st_size / 1e6
        print(f"populated {shape} in {build_s:.1f} s ({size_mb:.0f} MB)")

        today = queue.build_queue(db, NOW)
        queue_ms = timed(lambda: queue.build_queue(db, NOW), 30)
        print(
            f"queue: {len(today.due)} due + {len(today.new)} new; "
            f"p50 {statistics.median(queue_ms):.1f} ms, p95 {pct(queue_ms, 95):.1f} ms"
        )

        sched = schedule.scheduler(db)
        due = iter(today.due)
        record_ms = timed(
            lambda: schedule.record_review(
                db, next(due), 3, now=NOW, duration_ms=5000, answer="x", sched=sched
            ),
            min(300, len(today.due)),
        )
        print(
            f"record review: p50 {statistics.median(record_ms):.2f} ms, "
            f"p95 {pct(record_ms, 95):.2f} ms"
        )

        stats_ms = timed(lambda: compute_stats(db, NOW), 7)
        print(f"compute_stats: p50 {statistics.median(stats_ms):.0f} ms")

        env = {**os.environ, "TUTOR_HOME": tmp}
        cli = [sys.executable, "-c", "from tutor.cli import main; main()", "stats"]
        cli_ms = timed(lambda: subprocess.run(cli, env=env, check=True, capture_output=True), 3)
        print(f"`tutor stats` (new process): p50 {statistics.median(cli_ms):.0f} ms")

    write_results(
        "srs",
        {
            "command": ".venv/bin/python bench/bench_srs.py",
            "data": {**shape, "db_mb": round(size_mb), "due_today": len(today.due)},
            "queue_build_ms": {
                "p50": round(statistics.median(queue_ms), 2),
                "p95": round(pct(queue_ms, 95), 2),
                "runs": len(queue_ms),
                "target": 50,
            },
            "record_review_ms": {
                "p50": round(statistics.median(record_ms), 3),
                "p95": round(pct(record_ms, 95), 3),
                "runs": len(record_ms),
                "target": 5,
            },
            "stats_ms": {
                "compute_stats_p50": round(statistics.median(stats_ms), 1),
                "cli_stats_p50": round(statistics.median(cli_ms), 1),
                "runs": [len(stats_ms), len(cli_ms)],
            },
        },
    )


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main()
