"""Fit the learned ranker (tutor/data/ranker.json): the passage, unit and scope models.

Training data, none of it the held-out sets bench/bench_retrieval.py reports:
- scripts/data/rank-pairs-*.yaml: learner-style questions written for training,
  each with the verbatim excerpt of the course that answers it;
- the bench sets already measured (LOOKED_AT: questions-e..l and their
  off-topic sets), with the strings that carry each fact: once a held-out set
  has been looked at it becomes training data, and a new one is written blind;
- course questions with only a section (questions-a..d) and off-topic
  questions (scripts/data/offtopic-train.yaml and older sets), for scope.

These questions are also the bank of tutor/asked.py (written here first): a
candidate's closeness to the bank questions it answered is a passage feature,
computed for each training question with its own writer's questions left out
(what a new learner's question meets) and, for a fifth of the questions, not at
all (an index without a bank: the learner's notes).

For every question the fused search gives ~30 candidate chunks; a chunk is a
positive when it holds the answer (the excerpt, or an expected string). The
units (sentences, list items) of the best passages are labelled the same way.
`--cv` reports grouped 5-fold figures (by question) against the fused ranking,
which is how the features and tree sizes were chosen; the final fit uses all.

    .venv/bin/python scripts/train_ranker.py [--cv] [--no-write] [--hold e|f]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
from pathlib import Path

import numpy as np
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tutor import asked, embed, ranking  # noqa: E402
from tutor.answer import Answerer  # noqa: E402
from tutor.grading.trees import to_json  # noqa: E402

PAIRS = sorted((ROOT / "scripts/data").glob("rank-pairs-*.yaml"))
BUILD = ROOT / "build/ranker"  # the bank of a trial fit (--no-write)
DATA = ROOT / "bench/data"
# Bench sets that have been measured (so they are no longer held out) train the
# models too: course questions with the strings that carry each fact, and
# off-topic questions. `--hold NAME` leaves one pair out to measure on.
LOOKED_AT = {
    "e": (["questions-e.yaml"], "offtopic-c.yaml"),
    "f": (["questions-f1.yaml", "questions-f2.yaml"], "offtopic-d.yaml"),
    "g": (["questions-g1.yaml", "questions-g2.yaml"], "offtopic-e.yaml"),
    "h": (["questions-h1.yaml", "questions-h2.yaml"], "offtopic-h.yaml"),
    "i": (["questions-i1.yaml", "questions-i2.yaml"], "offtopic-i.yaml"),
    "k": (["questions-k1.yaml", "questions-k2.yaml"], "offtopic-k.yaml"),
    "l": (["questions-l1.yaml", "questions-l2.yaml"], "offtopic-l.yaml"),
}
# The scope model also learns from these: course questions with only a section
# (no excerpt) and questions the course does not answer.
MORE_COURSE = [ROOT / f"bench/data/questions-{s}.yaml" for s in "abcd"]
OFFTOPIC = [
    ROOT / "scripts/data/offtopic-train.yaml",
    ROOT / "bench/data/offtopic.yaml",
    ROOT / "bench/data/offtopic-b.yaml",
]
SCOPE_TREES = {"n_estimators": 120, "max_depth": 2, "learning_rate": 0.1, "subsample": 0.8}
UNIT_PASSAGES = 3  # units of this many passages are scored at run time
# A leaf holds at least 40 rows: fitted with set i and no such floor, the passage
# model gave "what is one-hot encoding?" (with the question mark; not without it)
# the positional-encoding passages at +5 log-odds over the one-hot ones.
TREES = {
    "n_estimators": 150, "max_depth": 3, "learning_rate": 0.1, "subsample": 0.8,
    "min_samples_leaf": 40,
}  # fmt: skip


def norm(text: str) -> str:
    text = re.sub(r"(\*\*|__|`)", "", text.lower())
    return " ".join(text.split())


def load(sets: list[str]) -> list[dict]:
    items = []
    for path in PAIRS:
        for row in yaml.safe_load(path.read_text(encoding="utf-8")):
            excerpt = norm(row["answer"])
            items.append({"question": row["question"], "excerpt": excerpt, "source": path.name})
    for name in sets:
        for file in LOOKED_AT[name][0]:
            for row in yaml.safe_load((DATA / file).read_text(encoding="utf-8")):
                items.append(
                    {
                        "question": row["question"],
                        "expect": [norm(e) for e in row["expect"]],
                        "source": file,
                    }
                )
    return items


def carries(item: dict, text: str) -> bool:
    text = norm(text)
    if "expect" in item:
        return any(e in text for e in item["expect"])
    excerpt = item["excerpt"]
    # an excerpt may run over two chunks: its opening or its close is enough
    return excerpt in text or excerpt[:60] in text or excerpt[-60:] in text


def unit_carries(item: dict, unit: str) -> bool:
    unit = norm(unit)
    if "expect" in item:
        return any(e in unit for e in item["expect"])
    return len(unit) > 12 and (unit in item["excerpt"] or item["excerpt"] in unit)


def write_bank(answerer: Answerer, items: list[dict], queries, vecs, folder: Path) -> None:
    """tutor/data/asked.{json,npy} (or `folder`'s, for a trial fit): the questions as
    read, their embeddings, and the course chunks that carry each one's answer."""
    store = answerer.searcher.stores[0]  # the course index
    chunks: dict[str, tuple[str, list[int]]] = {}
    rows = store.conn.execute("SELECT id, text FROM chunks ORDER BY rowid").fetchall()
    for n, item in enumerate(items):
        for cid, text in rows:
            if carries(item, text):
                chunks.setdefault(cid, (asked.text_hash(text), []))[1].append(n)
    payload = {
        "about": "the ranker's training questions (as read) and the bundled course's chunks "
        "that answer them, by chunk id and text SHA-1 (scripts/train_ranker.py)",
        "questions": list(queries),
        "sources": [it["source"] for it in items],
        "chunks": dict(sorted(chunks.items())),
    }
    folder.mkdir(parents=True, exist_ok=True)
    (folder / asked.BANK_JSON.name).write_text(
        json.dumps(payload, ensure_ascii=False, separators=(",", ":")) + "\n", encoding="utf-8"
    )
    np.save(folder / asked.BANK_VECTORS.name, np.asarray(vecs, dtype=np.float16))
    asked.BANK_JSON = folder / asked.BANK_JSON.name
    asked.BANK_VECTORS = folder / asked.BANK_VECTORS.name
    asked.bank.cache_clear()
    print(f"bank: {len(items)} questions over {len(chunks)} chunks, in {folder}")


def bank_off(question: str) -> bool:
    """A fifth of the questions are fitted as if their index had no bank (the
    learner's notes, an edited passage), so the model ranks those too."""
    return int(hashlib.sha1(question.encode()).hexdigest(), 16) % 5 == 0


def passage_data(answerer: Answerer, items: list[dict], queries, vecs):
    """Per question: its vector and candidates; and passage rows, labels, groups. A
    question's bank evidence leaves out every question by its own writer (file)."""
    sources = np.array([it["source"] for it in items])
    found, rows, y, groups = [], [], [], []
    for g, (item, query, qvec) in enumerate(zip(items, queries, vecs, strict=True)):
        hits = answerer.searcher.search(query, qvec, k=ranking.CANDIDATES, mode="hybrid+sentence")
        found.append((query, qvec, hits))
        if not hits:
            continue
        near = (
            [None] * len(hits)
            if bank_off(item["question"])
            else asked.closeness(hits, qvec, skip=sources == item["source"])
        )
        rows.append(ranking.passage_rows(query, hits, near))
        y += [carries(item, h.text) for h in hits]
        groups += [g] * len(hits)
    return found, (np.vstack(rows), np.array(y), np.array(groups))


def out_of_fold(data) -> np.ndarray:
    """Passage scores from models that never saw the question (for stacking)."""
    from sklearn.model_selection import GroupKFold

    x, y, g = data
    scores = np.zeros(len(y))
    for train, test in GroupKFold(n_splits=5).split(x, y, g):
        scores[test] = fit(x[train], y[train]).decision_function(x[test])
    return scores


def unit_data(items: list[dict], found, passage_scores: np.ndarray):
    """Unit rows, labels, groups: the units of each question's best passages as the
    run-time step sees them (ordered by out-of-fold passage scores), plus those of
    any positive passage further down, so each question has positive units."""
    rows, y, groups, at = [], [], [], 0
    for g, (item, (query, qvec, hits)) in enumerate(zip(items, found, strict=True)):
        for hit, s in zip(hits, passage_scores[at : at + len(hits)], strict=True):
            hit.learned = float(s)
        at += len(hits)
        ranked = sorted(hits, key=lambda h: -h.learned)
        chosen = (
            ranked[:UNIT_PASSAGES]
            + [h for h in ranked[UNIT_PASSAGES:] if carries(item, h.text)][:2]
        )
        cands = ranking.candidates(chosen, qvec)
        if not cands:
            continue
        rows.append(ranking.unit_rows(query, cands))
        # a unit's formula block is quoted with it, so it carries what the block holds
        y += [unit_carries(item, f"{c.unit.text} {c.unit.block}") for c in cands]
        groups += [g] * len(cands)
    return np.vstack(rows), np.array(y), np.array(groups)


def fit(x, y, trees: dict = TREES, weights=None):
    from sklearn.ensemble import GradientBoostingClassifier

    return GradientBoostingClassifier(random_state=0, **trees).fit(x, y, sample_weight=weights)


def scope_rows(questions: list[str], answerer: Answerer, passage_model: dict) -> np.ndarray:
    """Scope rows for questions the passage model was not fitted on."""
    from tutor.grading.trees import log_odds, prepare

    passage_model = prepare(passage_model)
    queries = [answerer.read(q) for q in questions]
    rows = []
    for question, query, qvec in zip(questions, queries, embed.encode(queries), strict=True):
        hits = answerer.searcher.search(query, qvec, k=ranking.CANDIDATES, mode="hybrid+sentence")
        if hits:
            rows_ = ranking.passage_rows(query, hits, asked.closeness(hits, qvec))
            for h, s in zip(hits, log_odds(passage_model, rows_), strict=True):
                h.learned = float(s)
        ranked = sorted(hits, key=lambda h: -h.learned)
        changed = ranking.changed_words(question, query)
        rows.append(ranking.scope_row(query, changed, qvec, ranked[:5]))
    return np.vstack(rows)


def in_sample_scope_rows(found, passage_scores: np.ndarray, items: list[dict]) -> np.ndarray:
    """Scope rows for the passage model's own questions, from out-of-fold scores and
    the bank without their own writer's questions (or none, for the bank-off fifth)."""
    sources = np.array([it["source"] for it in items])
    rows, at = [], 0
    for item, (query, qvec, hits) in zip(items, found, strict=True):
        for hit, s in zip(hits, passage_scores[at : at + len(hits)], strict=True):
            hit.learned = float(s)
        at += len(hits)
        ranked = sorted(hits, key=lambda h: -h.learned)
        changed = ranking.changed_words(item["question"], query)
        skip = sources == item["source"]
        if bank_off(item["question"]):
            skip = np.ones(len(items), bool)
        rows.append(ranking.scope_row(query, changed, qvec, ranked[:5], skip))
    return np.vstack(rows)


def yaml_questions(path: Path) -> list[str]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [d["question"] if isinstance(d, dict) else d for d in data]


def scope_curve(model, pos: np.ndarray, neg: np.ndarray, label: str) -> None:
    p, n = model.decision_function(pos), model.decision_function(neg)
    print(f"scope {label}: {len(pos)} course / {len(neg)} off-topic; bar: kept / rejected")
    for bar in (-1.0, -0.5, 0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0):
        print(f"  {bar:5.1f}: {np.mean(p >= bar):.3f} / {np.mean(n < bar):.3f}")


def top_k_hits(scores, y, groups, k: int) -> float:
    """Share of groups (with any positive) whose top-k by score holds a positive."""
    found, total = 0, 0
    for g in np.unique(groups):
        m = groups == g
        if not y[m].any():
            continue
        total += 1
        order = np.argsort(-scores[m], kind="stable")
        found += bool(y[m][order[:k]].any())
    return found / max(1, total)


def report(data, scores, baseline_col: int, name: str, expect_groups: set[int]) -> None:
    x, y, g = data
    for label, keep in (
        ("all", np.ones(len(y), bool)),
        ("with expect", np.isin(g, list(expect_groups))),
    ):
        base = x[:, baseline_col]
        line = [f"{name:8} {label:12}"]
        for k in (1, 3):
            line.append(
                f"top{k} {top_k_hits(base[keep], y[keep], g[keep], k):.3f}"
                f" -> {top_k_hits(scores[keep], y[keep], g[keep], k):.3f}"
            )
        print("  ".join(line))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cv", action="store_true", help="grouped 5-fold figures first")
    ap.add_argument("--no-write", action="store_true")
    ap.add_argument(
        "--hold", choices=sorted(LOOKED_AT), help="leave this set out and measure the scope on it"
    )
    args = ap.parse_args()
    sets = [name for name in LOOKED_AT if name != args.hold]
    items = load(sets)
    print(f"{len(items)} questions ({len(PAIRS)} pair files + sets {', '.join(sets)})")
    answerer = Answerer.load()
    queries = [answerer.read(it["question"]) for it in items]
    vecs = embed.encode(queries)
    write_bank(answerer, items, queries, vecs, asked.DATA if not args.no_write else BUILD)
    found, passages = passage_data(answerer, items, queries, vecs)
    oof = out_of_fold(passages)
    units = unit_data(items, found, oof)
    expect_groups = {i for i, it in enumerate(items) if "expect" in it}
    if args.cv:
        report(passages, oof, ranking.PASSAGE_FEATURES.index("fused"), "passage", expect_groups)
        report(units, out_of_fold(units), ranking.UNIT_FEATURES.index("cos"), "unit", expect_groups)
    passage_json = to_json(fit(passages[0], passages[1]))
    more = [q for path in MORE_COURSE for q in yaml_questions(path)]
    offtopic = [q for path in OFFTOPIC for q in yaml_questions(path)]
    offtopic += [q for name in sets for q in yaml_questions(DATA / LOOKED_AT[name][1])]
    pos = np.vstack(
        [in_sample_scope_rows(found, oof, items), scope_rows(more, answerer, passage_json)]
    )
    neg = scope_rows(offtopic, answerer, passage_json)
    x = np.vstack([pos, neg])
    y = np.r_[np.ones(len(pos)), np.zeros(len(neg))]
    weights = np.r_[np.full(len(pos), len(neg) / len(pos)), np.ones(len(neg))]
    scope_model = fit(x, y, SCOPE_TREES, weights)
    if args.hold:
        files, off = LOOKED_AT[args.hold]
        held = [q for file in files for q in yaml_questions(DATA / file)]
        held_off = yaml_questions(DATA / off)
        scope_curve(
            scope_model,
            scope_rows(held, answerer, passage_json),
            scope_rows(held_off, answerer, passage_json),
            f"on held-out set {args.hold}",
        )
    if args.no_write:
        return
    files = [p.name for p in PAIRS + MORE_COURSE + OFFTOPIC]
    files += [f for name in sets for f in [*LOOKED_AT[name][0], LOOKED_AT[name][1]]]
    out = {
        "passage": passage_json,
        "unit": to_json(fit(units[0], units[1])),
        "scope": to_json(scope_model),
        "features": {
            "passage": ranking.PASSAGE_FEATURES,
            "unit": ranking.UNIT_FEATURES,
            "scope": ranking.SCOPE_FEATURES,
        },
        "trained_on": {"questions": len(items), "files": files},
    }
    ranking.MODEL.write_text(json.dumps(out, separators=(",", ":")) + "\n", encoding="utf-8")
    print(f"wrote {ranking.MODEL.relative_to(ROOT)} ({ranking.MODEL.stat().st_size // 1024} KB)")


if __name__ == "__main__":
    main()
