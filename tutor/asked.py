"""Questions learners asked before, with the course passages that answered them.

Why: a learner's wording often shares no words with the passage that answers it
("how much cheaper is fine tuning than pretraining" against "two thousand times
less compute"), and a cosine between question and passage is weak evidence. The
ranker's training questions (written blind by other people, each with the strings
that carry its answer) are a bank of such wordings: a candidate passage that
answered a question close to this one is likely to answer it too. The passage
model reads that closeness as a feature (tutor/ranking.py). Grouped 5-fold CV on
the questions with expected strings, each one's own writer left out of the bank
and a fifth fitted with the bank off: passage top-1 0.789 -> 0.879, top-3 0.943
-> 0.971. On set i, held out of both the fit and the bank: the fact in the
answer 0.803 -> 0.891, in a top-3 source 0.881 -> 0.938.

`tutor/data/asked.json` holds the questions and, for each passage of the bundled
course that answers some, its chunk id, the SHA-1 of its text and the questions'
numbers; `asked.npy` their embeddings (float16). Both are written by
scripts/train_ranker.py. A passage whose text changed since (a course edit) or
an index without these chunks (the learner's notes) gets no bank evidence, and
the model was fitted with the bank switched off for some questions to rank those.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from tutor.index import IndexStore

DATA = Path(__file__).resolve().parent / "data"
BANK_JSON = DATA / "asked.json"
BANK_VECTORS = DATA / "asked.npy"


def text_hash(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Bank:
    questions: list[str]
    sources: list[str]  # the file each came from (its writer): left out of its own features
    vectors: np.ndarray  # one unit-normalised row per question
    chunks: dict[str, tuple[str, list[int]]]  # chunk id -> (text SHA-1, question numbers)


@lru_cache(maxsize=1)
def bank() -> Bank | None:
    """The shipped bank, or None when it is missing or does not match its vectors."""
    try:
        data = json.loads(BANK_JSON.read_text(encoding="utf-8"))
        vectors = np.load(BANK_VECTORS).astype(np.float32)
    except (OSError, ValueError):
        return None
    if vectors.shape[0] != len(data.get("questions", ())):
        return None
    chunks = {cid: (sha, list(nums)) for cid, (sha, nums) in data["chunks"].items()}
    return Bank(data["questions"], data["sources"], vectors, chunks)


# chunk rowid -> bank question numbers, for the one index open (keyed by its state)
_per_store: dict[tuple, dict[int, np.ndarray]] = {}


def chunk_questions(store: IndexStore, found: Bank) -> dict[int, np.ndarray]:
    """The bank's question numbers for each chunk rowid of `store` whose id and text
    are the ones the bank was built on; cached per store and index state."""
    key = (id(store), store.chunk_state(), id(found))
    cached = _per_store.get(key)
    if cached is None:
        cached = {}
        for rowid, cid, text in store.conn.execute("SELECT rowid, id, text FROM chunks"):
            entry = found.chunks.get(cid)
            if entry is not None and entry[0] == text_hash(text):
                cached[rowid] = np.asarray(entry[1], dtype=np.int64)
        _per_store.clear()  # one course index is open at a time; keep it small
        _per_store[key] = cached
    return cached


def closeness(hits, qvec: np.ndarray, skip: np.ndarray | None = None) -> list[float | None]:
    """For each hit, the best cosine of the question to a bank question its passage
    answered (0.0 when none did), or None when the hit's index has no bank evidence
    at all (another course, the learner's notes). `skip` masks bank questions out
    (the fit script leaves out a question's own writer)."""
    found = bank()
    if found is None:
        return [None] * len(hits)
    sims = found.vectors @ qvec
    if skip is not None:
        sims = np.where(skip, -1.0, sims)
    out: list[float | None] = []
    per_store: dict[int, dict[int, np.ndarray]] = {}
    for hit in hits:
        mapping = per_store.get(id(hit.store))
        if mapping is None:
            mapping = per_store[id(hit.store)] = chunk_questions(hit.store, found)
        if not mapping:
            out.append(None)
            continue
        nums = mapping.get(hit.rowid)
        out.append(max(0.0, float(sims[nums].max())) if nums is not None else 0.0)
    return out


def best_closeness(hits, qvec: np.ndarray, skip: np.ndarray | None = None) -> float:
    """The best cosine of the question to any bank question, when one of the hits'
    indexes is the one the bank was built on (else 0.0): a question close to one a
    learner asked of this course before is a course question, whatever words it
    uses ("how much cheaper is finetuning than pretraining")."""
    found = bank()
    stores = {id(h.store): h.store for h in hits}.values()
    if found is None or not any(chunk_questions(store, found) for store in stores):
        return 0.0
    sims = found.vectors @ qvec
    if skip is not None:
        sims = np.where(skip, -1.0, sims)
    return max(0.0, float(sims.max())) if len(sims) else 0.0
