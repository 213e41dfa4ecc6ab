"""Find the chunks that answer a question: dense (FAISS) + lexical (FTS5 bm25), fused.

Dense search understands paraphrase ("why can't I stack linear layers");
bm25 catches exact terms the model blurs (names, acronyms like "ROC AUC").
Reciprocal rank fusion combines their rankings without calibrating their
scores against each other. Several indexes (the course, the user's own notes)
are searched as one: cosine scores are comparable across them (same model).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from tutor.index import IndexStore
from tutor.text import STOPWORDS, words

if TYPE_CHECKING:
    import numpy as np

# Reciprocal rank fusion constant. 60 is the usual default for long result lists;
# with 30 candidates per retriever a smaller constant lets the top ranks count
# more, and on bench/data 10 ranked better than 30 or 60 on our questions and on
# the held-out set alike (bench/bench_retrieval.py).
RRF_K = 10
CANDIDATES = 30  # per retriever, before fusion
SENTENCE_WEIGHT = 0.1  # of a chunk's best cosine (its own or one sentence's) in its score
MODES = ("bm25", "dense", "hybrid", "hybrid+sentence", "learned")


@dataclass
class Hit:
    store: IndexStore
    rowid: int
    chunk_id: str
    lesson_id: str
    lesson_title: str
    section_id: str
    section_title: str
    heading: str  # section › subsection
    text: str
    path: str
    line: int
    dense: float = 0.0  # cosine of the question and the chunk
    score: float = 0.0  # what the ranking used
    sentence: float = 0.0  # best cosine of the question and one sentence of the chunk
    bm25: float = 0.0  # its bm25 score, 0 when the lexical search did not find it
    learned: float = 0.0  # the passage model's log-odds that it carries the answer
    ranks: dict[str, int] = field(default_factory=dict)


def query_terms(question: str) -> list[str]:
    """The question's topic words, once each, in order (for the bm25 OR-query)."""
    found = words(question)
    return [w for w in dict.fromkeys(found) if w not in STOPWORDS and (len(w) > 1 or w.isdigit())]


def fts_query(question: str) -> str | None:
    terms = query_terms(question)
    return " OR ".join(f'"{t}"' for t in terms) if terms else None


class Searcher:
    """Hybrid search over one or more index folders."""

    def __init__(self, stores: list[IndexStore]):
        import faiss

        # One question at a time: OpenMP threads only add hand-off cost (and on a
        # busy 2-core machine, spin-waiting that made a 10k flat search 90 ms).
        faiss.omp_set_num_threads(1)
        self.stores = stores

    def dense(self, qvec: np.ndarray, k: int = CANDIDATES) -> list[tuple[IndexStore, int, float]]:
        out = []
        for store in self.stores:
            index = store.faiss_index
            if index.ntotal == 0:
                continue
            scores, ids = index.search(qvec.reshape(1, -1), min(k, index.ntotal))
            out += [
                (store, int(i), float(s)) for s, i in zip(scores[0], ids[0], strict=True) if i >= 0
            ]
        return sorted(out, key=lambda r: -r[2])[:k]

    def lexical(self, question: str, k: int = CANDIDATES) -> list[tuple[IndexStore, int, float]]:
        query = fts_query(question)
        if not query:
            return []
        out = []
        for store in self.stores:
            out += [(store, rowid, score) for rowid, score in store.bm25(query, k)]
        return sorted(out, key=lambda r: -r[2])[:k]

    def search(
        self, question: str, qvec: np.ndarray, k: int = 5, mode: str = "hybrid+sentence"
    ) -> list[Hit]:
        """The k best chunks for the question (qvec is its normalised embedding)."""
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}")
        if mode == "learned":  # the fused candidates, ordered by the passage model
            from tutor.ranking import CANDIDATES, rerank

            found = self.search(question, qvec, k=max(k, CANDIDATES), mode="hybrid+sentence")
            return rerank(question, found, qvec)[:k]
        dense = self.dense(qvec) if mode != "bm25" else []
        lexical = self.lexical(question) if mode != "dense" else []
        fused: dict[tuple[int, int], float] = {}
        ranks: dict[tuple[int, int], dict[str, int]] = {}
        bm25 = {(id(store), rowid): score for store, rowid, score in lexical}
        for name, results in (("dense", dense), ("bm25", lexical)):
            for rank, (store, rowid, _) in enumerate(results):
                key = (id(store), rowid)
                fused[key] = fused.get(key, 0.0) + 1.0 / (RRF_K + rank + 1)
                ranks.setdefault(key, {})[name] = rank + 1
        by_store = {id(s): s for s in self.stores}
        hits = self._hydrate(by_store, list(fused), qvec)
        for hit in hits:
            key = (id(hit.store), hit.rowid)
            hit.ranks = ranks[key]
            hit.score = fused[key]
            hit.bm25 = bm25.get(key, 0.0)
        if mode == "hybrid+sentence":
            self._score_sentences(hits, qvec)
            # A chunk whose single best sentence matches the question well is a
            # better answer source than one that matches only on average.
            for hit in hits:
                hit.score += SENTENCE_WEIGHT * max(hit.sentence, hit.dense)
        hits.sort(key=lambda h: -h.score)
        return hits[:k]

    def _hydrate(self, by_store: dict, keys: list[tuple[int, int]], qvec: np.ndarray) -> list[Hit]:
        hits = []
        for store_key, store in by_store.items():
            rowids = [rowid for s, rowid in keys if s == store_key]
            if not rowids:
                continue
            import numpy as np

            for r in store.chunk_rows(rowids):
                vec = np.frombuffer(r[10], dtype=np.float32)
                hits.append(Hit(store, *r[:10], dense=float(vec @ qvec)))
        return hits

    def _score_sentences(self, hits: list[Hit], qvec: np.ndarray) -> None:
        for store in {id(h.store): h.store for h in hits}.values():
            mine = {h.rowid: h for h in hits if h.store is store}
            rows, vectors = store.vectors_for("sentences", "chunk_rowid", list(mine))
            if not rows:
                continue
            sims = vectors @ qvec
            for (_, chunk_rowid, _, _), sim in zip(rows, sims, strict=True):
                hit = mine[chunk_rowid]
                hit.sentence = max(hit.sentence, float(sim))
