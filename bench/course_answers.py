"""The labelled course answers (bench/data/course-answers/) and their fixed split.

One home for reading them, shared by `scripts/train_grader.py` (which trains on
the `train` part only) and `bench/bench_grader.py` (which measures on the
held-out parts). The split is a pure function of the item ids and answer texts,
so it never changes when a file is re-read, and it was fixed (and committed, in
`split.json`) before any model was fitted on these answers:

- `heldout-items`: two items per lesson, every answer to them held out: the
  grader never sees a labelled answer to these questions (like a new teacher's
  quiz, or a generated card);
- `heldout-answers`: about 12 % of the answers to every other item, held out:
  the grader has seen other answers to these questions (its item evidence);
- `train`: the rest.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import yaml

DIR = Path(__file__).resolve().parent / "data" / "course-answers"
SPLIT_PATH = DIR / "split.json"
ITEMS_PER_LESSON = 2
HELDOUT_SHARE = 12  # percent of the answers of each trained-on item
LABELS = ("incorrect", "partial", "correct")


@dataclass(frozen=True)
class Item:
    id: str
    lesson: str
    question: str
    reference: str
    accept: tuple[str, ...]


@dataclass(frozen=True)
class Answer:
    item: str
    text: str
    label: str  # correct | partial | incorrect
    trap: str
    file: str

    @property
    def key(self) -> str:
        return _digest(self.item + "\x00" + self.text)


def _digest(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def load_items(path: Path = DIR / "items.yaml") -> dict[str, Item]:
    rows = yaml.safe_load(path.read_text(encoding="utf-8"))
    return {
        r["item"]: Item(
            r["item"], r["lesson"], r["question"], r["reference"], tuple(r.get("accept") or ())
        )
        for r in rows
    }


def load_answers(pattern: str = "answers-*.yaml", folder: Path = DIR) -> list[Answer]:
    """Every labelled answer in the files matching `pattern`, duplicates (same item
    and text) kept once: the first label wins."""
    seen: set[str] = set()
    out: list[Answer] = []
    for path in sorted(folder.glob(pattern)):
        for r in yaml.safe_load(path.read_text(encoding="utf-8")) or []:
            a = Answer(r["item"], str(r.get("answer") or ""), r["label"], r["trap"], path.name)
            if a.key not in seen:
                seen.add(a.key)
                out.append(a)
    return out


def compute_split(items: dict[str, Item], answers: list[Answer]) -> dict:
    by_lesson: dict[str, list[str]] = defaultdict(list)
    for item in items.values():
        by_lesson[item.lesson].append(item.id)
    held_items = sorted(
        iid
        for ids in by_lesson.values()
        for iid in sorted(ids, key=lambda i: _digest("item:" + i))[:ITEMS_PER_LESSON]
    )
    held = set(held_items)
    held_answers = sorted(
        a.key
        for a in answers
        if a.item not in held and int(_digest("answer:" + a.key), 16) % 100 < HELDOUT_SHARE
    )
    return {"heldout-items": held_items, "heldout-answers": held_answers}


def load_split() -> dict:
    return json.loads(SPLIT_PATH.read_text(encoding="utf-8"))


def parts(answers: list[Answer], split: dict | None = None) -> dict[str, list[Answer]]:
    split = split or load_split()
    held_items, held_answers = set(split["heldout-items"]), set(split["heldout-answers"])
    out: dict[str, list[Answer]] = {"train": [], "heldout-items": [], "heldout-answers": []}
    for a in answers:
        if a.item in held_items:
            out["heldout-items"].append(a)
        elif a.key in held_answers:
            out["heldout-answers"].append(a)
        else:
            out["train"].append(a)
    return out


if __name__ == "__main__":  # write split.json (run once; the file is committed)
    items, answers = load_items(), load_answers()
    split = compute_split(items, answers)
    SPLIT_PATH.write_text(json.dumps(split, indent=1) + "\n", encoding="utf-8")
    sizes = {k: len(v) for k, v in parts(answers, split).items()}
    print(f"{len(answers)} answers to {len(items)} items: {sizes}")
