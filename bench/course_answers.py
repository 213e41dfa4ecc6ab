"""The labelled course answers (bench/data/course-answers/) and their fixed split.

One home for reading them, shared by `scripts/train_grader.py` (which trains on
the `train` part only) and `bench/bench_grader.py` (which measures on the
held-out parts and the final blind set). Each file is one writer's, written
blind to the grader and to the other files, so a file name is also a writer:

- round 1 (the 207 items of `items.yaml`): `answers-1..4` (one writer per item)
  and `blind-1..2` (two more writers, the set measured once after the first
  freeze, training data since);
- round 2 (all 298 short cards of Course v2: the 105 of `items-v2.yaml` too):
  `answers-5..10` (two writers for each new item, one more for each old one) and
  `blind-3..4` (written with the others, measured only once after the second
  freeze; part of the pool since, so its answers to held-out items are held out
  and the rest are training data);
- round 3: `blind-5`, `blind-6` (4 answers to each of the 312 items, two
  writers), written blind after that measurement and committed unseen before the
  third freeze; measured once after it (grader v4). Not yet in the pool: the
  shipped grader was not fitted on them, and the split is of what it was.
- round 4: `blind-7`, `blind-8` (`FINAL_BLIND`: likewise), written blind after
  round 3 and committed unseen; measured once, for v4 with its off-card rule.
- round 5: `blind-9`, `blind-10` (likewise), committed unseen for the next
  freeze; read by no code yet.

The split is a pure function of the item ids and answer texts, so it never
changes when a file is re-read, and it was fixed (and committed, in
`split.json`) before any model was fitted on the answers it covers:

- `heldout-items`: every answer to them held out, so the grader never sees a
  labelled answer to these questions (like a new teacher's quiz, or a generated
  card): two items per lesson of `items.yaml`; of `items-v2.yaml`, two per lesson
  that is new in Course v2 and one per other lesson;
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
ITEM_FILES = ("items.yaml", "items-v2.yaml")
# what the split divides
POOL = ("answers-*.yaml", "blind-1.yaml", "blind-2.yaml", "blind-3.yaml", "blind-4.yaml")
FINAL_BLIND = ("blind-7.yaml", "blind-8.yaml")
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


def load_items(files: tuple[str, ...] = ITEM_FILES) -> dict[str, Item]:
    out: dict[str, Item] = {}
    for name in files:
        for r in yaml.safe_load((DIR / name).read_text(encoding="utf-8")):
            accept = tuple(r.get("accept") or ())
            out[r["item"]] = Item(r["item"], r["lesson"], r["question"], r["reference"], accept)
    return out


def load_answers(patterns: tuple[str, ...] = POOL, folder: Path = DIR) -> list[Answer]:
    """Every labelled answer in the files matching `patterns`, duplicates (same item
    and text) kept once: the first label wins."""
    seen: set[str] = set()
    out: list[Answer] = []
    paths = sorted({p for pattern in patterns for p in folder.glob(pattern)}, key=_file_order)
    for path in paths:
        for r in yaml.safe_load(path.read_text(encoding="utf-8")) or []:
            a = Answer(r["item"], str(r.get("answer") or ""), r["label"], r["trap"], path.name)
            if a.key not in seen:
                seen.add(a.key)
                out.append(a)
    return out


def _file_order(path: Path) -> tuple[str, int]:
    """answers-2 before answers-10: files are read in the order they were written."""
    stem, _, number = path.stem.rpartition("-")
    return (stem, int(number)) if number.isdigit() else (path.stem, 0)


UNRELATED = 0.5  # the most alike two items' questions or references may be


def unrelated_items(items: dict[str, Item]) -> dict[str, list[str]]:
    """For each item, the items of other lessons whose answers are surely wrong
    for it: neither their question nor their reference is within a cosine of
    UNRELATED of its own. The course asks some things twice ("What is machine
    learning?" in two lessons; a card on "supervised learning" beside one on
    "machine learning"), and such an answer may be right."""
    from tutor.embed import encode

    ids = sorted(items)
    refs = encode([items[i].reference for i in ids])
    questions = encode([items[i].question for i in ids])
    alike = (refs @ refs.T >= UNRELATED) | (questions @ questions.T >= UNRELATED)
    return {
        iid: [
            other
            for j, other in enumerate(ids)
            if items[other].lesson != items[iid].lesson and not alike[i, j]
        ]
        for i, iid in enumerate(ids)
    }


def _held_items(items: dict[str, Item], per_lesson) -> list[str]:
    by_lesson: dict[str, list[str]] = defaultdict(list)
    for item in items.values():
        by_lesson[item.lesson].append(item.id)
    return [
        iid
        for lesson, ids in by_lesson.items()
        for iid in sorted(ids, key=lambda i: _digest("item:" + i))[: per_lesson(lesson)]
    ]


def compute_split(answers: list[Answer]) -> dict:
    first = load_items(ITEM_FILES[:1])
    second = {k: v for k, v in load_items(ITEM_FILES[1:]).items() if k not in first}
    old_lessons = {item.lesson for item in first.values()}
    held_items = sorted(
        _held_items(first, lambda _: ITEMS_PER_LESSON)
        + _held_items(second, lambda lesson: 1 if lesson in old_lessons else ITEMS_PER_LESSON)
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


if __name__ == "__main__":  # write split.json (once per round of answers; it is committed)
    items, answers = load_items(), load_answers()
    split = compute_split(answers)
    SPLIT_PATH.write_text(json.dumps(split, indent=1) + "\n", encoding="utf-8")
    sizes = {k: len(v) for k, v in parts(answers, split).items()}
    print(f"{len(answers)} answers to {len(items)} items: {sizes}")
