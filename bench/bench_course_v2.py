"""Retrieval before and after Course v2 (issue 14): did the new course make `ask` worse?

Course v2 (commit COURSE_V2) rewrote passages, added four lessons and rebuilt
`index/`. This runs `ask` from git worktrees of the commit before it and of it
(the same ranking code, so only the course and its index differ), and of the
shipped ranking now, on the question sets written before Course v2 (so none was
written for the new text): the dev sets a-c and the held-out set d, with their
off-topic sets, and on held-out-j, written blind after Course v2 from the
course before it (so it asks what Course v1 taught) with key terms as the facts.
Figures as in bench_retrieval.py: answer from the target section (v1's
sections: for held-out-j a moved topic counts as a miss), asked-for fact in the
answer / in a top-3 source, kept (in-scope questions answered) and off-topic
rejected. Writes bench/results/course-v2.json.

    .venv/bin/python bench/bench_course_v2.py
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import bench_retrieval as R  # noqa: E402
from common import write_results  # noqa: E402

COURSE_V2 = "04c0f36"
REVS = {
    "course v1": f"{COURSE_V2}^",
    "course v2, same ranking": COURSE_V2,
    "course v2, shipped ranking": "HEAD",
}
# dev and held-out were written before Course v2; held-out-j after it, blind, on
# the course before it, and judged by key terms any wording carries.
SETS = ("dev", "held-out", "held-out-j")


def figures(questions: list[dict], offtopic: list[str], rev: str) -> dict | None:
    answers = R.answers_before([q["question"] for q in questions] + offtopic, rev)
    if answers is None:
        return None
    course, off = answers[: len(questions)], answers[len(questions) :]
    out = R.answer_figures(questions, course)
    out["kept"] = round(sum(a["in_scope"] for a in course) / len(course), 3)
    out["offtopic_rejected"] = round(sum(not a["in_scope"] for a in off) / len(off), 3)
    return out


def main() -> None:
    import subprocess

    def commit(rev: str) -> str:  # "HEAD" moves: record which code each column ran
        return subprocess.run(
            ["git", "-C", str(ROOT), "rev-parse", "--short", rev],
            capture_output=True, text=True, check=True,
        ).stdout.strip()  # fmt: skip

    revs = {label: commit(rev) for label, rev in REVS.items()}
    results: dict = {"course_v2_commit": COURSE_V2, "revs": revs, "sets": {}}
    for name in SETS:
        questions, offtopic = R.load_set(name)
        print(f"\n{name}: {len(questions)} questions, {len(offtopic)} off-topic")
        results["sets"][name] = {}
        for label, rev in revs.items():
            got = figures(questions, offtopic, rev)
            results["sets"][name][label] = got
            if got:
                shown = ", ".join(
                    f"{k} {v}" for k, v in got.items() if not k.startswith("answer_w")
                )
                print(f"  {label:28s} {shown}")
    write_results("course-v2", results)


if __name__ == "__main__":
    main()
