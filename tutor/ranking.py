"""Learned ranking of what answers a question: passages first, then their sentences.

Why learned: the fused dense + bm25 ranking finds the right section (the target
section is among the first three 95 % of the time) but not the passage or the
sentence that holds the asked-for fact: an answer quoted the section's lead
sentence ("an LSTM has three gates") when the question asked to name them. Which
signals matter for which question (a number question wants the passage with
the numbers, a list question the list, a short query the heading that names it)
is learned from (question, passage) pairs rather than written as rules.

Two small boosted-tree models (tutor/data/ranker.json, fitted by
scripts/train_ranker.py, evaluated in numpy by tutor/grading/trees.py):

- `passage`: scores each of the ~30 candidate chunks of the fused search from
  their retrieval scores, how much of the question's vocabulary (idf-weighted)
  their text and heading carry, and the question's kind against the passage's
  shape (numbers, list items, code, an exercise);
- `unit`: scores each sentence or list item of the best few passages the same
  way, so the answer opens with the one that carries the fact.

Both read only what every index holds (chunk text, chunk and sentence vectors),
so they work on a learner's own notes as on the course.
"""

from __future__ import annotations

import json
import math
import re
import weakref
from collections import Counter
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from tutor.chunking import SENTENCE_END
from tutor.grading.text import content_stems
from tutor.text import STOPWORDS, words

if TYPE_CHECKING:
    from tutor.index import IndexStore
    from tutor.search import Hit

MODEL = Path(__file__).resolve().parent / "data" / "ranker.json"
CANDIDATES = 30  # chunks of the fused search the passage model orders

# What the question asks for, from its wording. The models learn what each kind
# wants from a passage; these only say which kind it is.
CUES = {
    "number": re.compile(
        r"\b(how (many|much|big|large|long|fast)|what (size|number|percent)|default|defaults|"
        r"ratio|count|size|equals?|value of|rate|cost|memory|params?|parameters|\d)\b"
    ),
    "list": re.compile(
        r"\b(what are|list|name (the|all|some)|types|kinds|examples|ways|options|steps|"
        r"main|which .*s\b|gates|layers|techniques|methods)\b"
    ),
    "definition": re.compile(r"^(what('s| is| are| does)|define|definition|meaning|wh?at is)\b"),
    "how": re.compile(r"\bhow (do|does|is|are|can|to|would)\b"),
    "why": re.compile(r"\bwhy\b"),
    "compare": re.compile(r"\b(vs\.?|versus|difference|differ|compared?|or)\b"),
    "example": re.compile(r"\b(example|examples|e\.g|such as|used for|applications?|real)\b"),
}
DEFINES = re.compile(r"\b(is|are|means|refers to|stands for|called)\b")
NUMBER = re.compile(r"\b\d[\d,.]*\b")

SCOPE_FEATURES = (
    "lr", "best", "top_learned", "second_learned", "top_dense", "cover", "known", "unknown",
    "q_terms", "corrected", "bm25_found", "asked_best",
)  # fmt: skip
PASSAGE_FEATURES = (
    "fused", "dense", "sentence", "dense_gap", "sentence_gap", "dense_rank", "bm25_rank",
    "bm25_rel", "cover_text", "cover_raw", "cover_head", "cover_lesson", "exercise",
    "chunk_no", "words", "code", "digits", "items", "section_gap", "section_hits", "q_terms",
    "asked", "asked_gap", "asked_on", *(f"cue_{c}" for c in CUES),
)  # fmt: skip
UNIT_FEATURES = (
    "passage", "passage_rank", "cos", "has_vec", "cos_gap", "cover", "cover_raw", "pos",
    "section_lead", "item", "intro", "block", "digits", "words", "defines", "bold", "bold_match",
    "symbols", "q_terms", "head_cover", "exercise", "rank_in_passage", "passage_cos_gap",
    "prev_cover", "after_best", *(f"cue_{c}" for c in CUES),
)  # fmt: skip
BOLD = re.compile(r"\*\*(.+?)\*\*")


def cues(question: str) -> dict[str, float]:
    q = question.lower()
    return {f"cue_{name}": float(bool(rx.search(q))) for name, rx in CUES.items()}


# -- units: the sentences and list items an answer quotes -------------------------------


@dataclass(frozen=True)
class Unit:
    """One quotable piece of a chunk: a sentence, or one item of a list."""

    text: str  # whitespace flattened, list marker removed: as it reads in the passage
    para: int  # paragraph number within the chunk
    pos: int  # order within the chunk
    item: bool  # an item of a Markdown list
    intro: bool  # ends with ":", so what follows (a list, a formula) completes it
    # the short fenced block (a formula, a few lines of code) this introduction
    # leads into: "the output width is:" means nothing without it
    block: str = ""

    @property
    def words(self) -> int:
        return len(self.text.split())


BLOCK_LINES = 8  # a fenced block this short is quoted with the sentence leading into it


def units_of(text: str) -> list[Unit]:
    """The prose of a chunk cut into sentences and list items (code and tables skipped).

    The index embeds the units of four words or more (`sentences_of`); shorter
    list items ("Versatility.") are kept here too, because a list question wants
    the whole list. A short fenced block (a formula, a snippet) is not a unit of
    its own but travels with the introduction just before it (`Unit.block`).
    """
    prose, in_fence, fence = [], False, []
    blocks: dict[int, str] = {}  # prose lines before a block -> the block
    for line in text.splitlines():
        if line.lstrip().startswith(("```", "~~~")):
            if in_fence and 0 < len(fence) <= BLOCK_LINES:
                blocks[len(prose)] = "\n".join(fence)
            in_fence, fence = not in_fence, []
            continue
        if in_fence:
            fence.append(line.rstrip())
        else:
            prose.append(line)
    # the paragraph each block follows
    after = {len(re.split(r"\n\s*\n", "\n".join(prose[:n]))) - 1: b for n, b in blocks.items()}
    out: list[Unit] = []
    for p, para in enumerate(re.split(r"\n\s*\n", "\n".join(prose))):
        start = len(out)
        for j, piece in enumerate(re.split(r"\n\s*(?:[-*+]|\d+\.)\s+", "\n" + para)):
            flat = " ".join(piece.split())
            flat = re.sub(r"^(?:[-*+]|\d+\.)\s+", "", flat)
            for sentence in SENTENCE_END.split(flat):
                sentence = sentence.strip()
                if sentence and not sentence.startswith(("|", "#")):
                    out.append(Unit(sentence, p, len(out), j > 0, sentence.endswith(":")))
        intros = [i for i in range(start, len(out)) if out[i].intro]
        if p in after and intros:
            out[intros[-1]] = replace(out[intros[-1]], block=after[p])
    return out


# -- vocabulary weights -------------------------------------------------------------------


class Vocabulary:
    """Inverse document frequencies of the stems in one index's chunks, and its words
    (most frequent first) for reading a misspelt question."""

    def __init__(self, texts: list[str]):
        df: Counter[str] = Counter()
        seen: Counter[str] = Counter()
        for text in texts:
            df.update(set(content_stems(text)))
            seen.update(words(text))
        self.n = max(1, len(texts))
        self.df = df
        self.words = [w for w, _ in seen.most_common() if w.isalpha() and len(w) > 2]
        self.known = set(seen)

    def known_share(self, q_stems: list[str]) -> float:
        """Idf-weighted share of the question's stems that occur in the index at all."""
        return self.cover(q_stems, {s for s in q_stems if s in self.df})[0]

    def idf(self, stem: str) -> float:
        return math.log(1 + self.n / (1 + self.df.get(stem, 0)))

    def cover(self, q_stems: list[str], stems: set[str]) -> tuple[float, float]:
        """(idf-weighted, plain) share of the question's stems found in `stems`."""
        if not q_stems:
            return 0.0, 0.0
        weights = [self.idf(s) for s in q_stems]
        found = [w for s, w in zip(q_stems, weights, strict=True) if s in stems]
        return sum(found) / sum(weights), len(found) / len(q_stems)


_vocabularies: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def vocabulary(store: IndexStore) -> Vocabulary:
    """The store's vocabulary, computed once per store and state of its chunks (a few
    ms for the course); a notes index updated in place gets a fresh one."""
    state = store.chunk_state()
    cached = _vocabularies.get(store)
    if cached is None or cached[0] != state:
        cached = _vocabularies[store] = (state, Vocabulary(store.all_chunk_texts()))
    return cached[1]


def correct(question: str, vocabularies: list[Vocabulary]) -> str:
    """The question with each misspelt word replaced by the nearest word of the indexes.

    "derivitive of x^2", "recepive field meaning": learners type fast, and a word
    the index has never seen matches nothing in bm25 and little in the embedding.
    Only words of five letters or more that no index contains and that are not
    English words either (the bundled model's vocabulary: "nerve" must not become
    "serve") are read again, as the most frequent index word within one edit (two
    for words of eight letters or more); anything else is left as typed.
    """
    from rapidfuzz import process
    from rapidfuzz.distance import Levenshtein

    from tutor.grading.text import english_words

    english = english_words()

    def fix(match: re.Match) -> str:
        word = match.group(0)
        low = word.lower()
        if len(low) < 5 or not low.isalpha() or low in STOPWORDS:
            return word
        if low in english or any(low in v.known for v in vocabularies):
            return word
        limit = 1 if len(low) < 8 else 2
        best: tuple[int, str] | None = None
        for v in vocabularies:
            found = process.extractOne(
                low, v.words, scorer=Levenshtein.distance, score_cutoff=limit
            )
            if found is not None and (best is None or found[1] < best[0]):
                best = (found[1], found[0])
        return best[1] if best else word

    return re.sub(r"[A-Za-z]+", fix, question)


def changed_words(question: str, query: str) -> int:
    """How many words `correct` read differently (the scope model counts them)."""
    return sum(a != b for a, b in zip(question.split(), query.split(), strict=False))


# -- the models ---------------------------------------------------------------------------


@lru_cache(maxsize=1)
def models() -> dict:
    """The fitted trees by name; a model missing, unreadable or fitted on other
    features than this code computes is left out (that step keeps the fused order)."""
    try:
        data = json.loads(MODEL.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    wanted = {"passage": PASSAGE_FEATURES, "unit": UNIT_FEATURES, "scope": SCOPE_FEATURES}
    features = data.get("features", {})
    from tutor.grading.trees import prepare

    return {
        name: prepare(data[name])
        for name, names in wanted.items()
        if name in data and tuple(features.get(name, ())) == names
    }


def _shape(text: str) -> dict[str, float]:
    lines = text.splitlines() or [""]
    fence, code = False, 0
    for line in lines:
        if line.lstrip().startswith(("```", "~~~")):
            fence = not fence
            code += 1
        elif fence:
            code += 1
    tokens = text.split()
    return {
        "words": math.log1p(len(tokens)),
        "code": code / len(lines),
        "digits": len(NUMBER.findall(text)) / max(1, len(tokens)),
        "items": float(sum(bool(re.match(r"\s*(?:[-*+]|\d+\.)\s", ln)) for ln in lines)),
    }


def passage_rows(question: str, hits: list[Hit], asked: list[float | None]) -> np.ndarray:
    """One feature row per candidate chunk (PASSAGE_FEATURES order). `asked` is each
    chunk's closeness to the questions it answered before (tutor/asked.py), None
    where its index has no such record."""
    from tutor.chunking import chunk_number

    q_stems = list(dict.fromkeys(content_stems(question)))
    cue = cues(question)
    top_dense = max((h.dense for h in hits), default=0.0)
    top_sentence = max((h.sentence for h in hits), default=0.0)
    top_bm25 = max((h.bm25 for h in hits), default=0.0) or 1.0
    best_in_section: dict[tuple, float] = {}
    count_in_section: Counter = Counter()
    for h in hits:
        key = (id(h.store), h.lesson_id, h.section_id)
        best_in_section[key] = max(best_in_section.get(key, 0.0), h.score)
        count_in_section[key] += 1
    top_score = max((h.score for h in hits), default=0.0)
    top_asked = max((a for a in asked if a is not None), default=0.0)
    rows = []
    for h, near in zip(hits, asked, strict=True):
        key = (id(h.store), h.lesson_id, h.section_id)
        vocab = vocabulary(h.store)
        cover, raw = vocab.cover(q_stems, set(content_stems(h.text)))
        head, _ = vocab.cover(q_stems, set(content_stems(h.heading)))
        lesson, _ = vocab.cover(q_stems, set(content_stems(h.lesson_title)))
        values = {
            "fused": h.score,
            "dense": h.dense,
            "sentence": h.sentence,
            "dense_gap": top_dense - h.dense,
            "sentence_gap": top_sentence - h.sentence,
            "dense_rank": float(h.ranks.get("dense", 31)),
            "bm25_rank": float(h.ranks.get("bm25", 31)),
            "bm25_rel": h.bm25 / top_bm25,
            "cover_text": cover,
            "cover_raw": raw,
            "cover_head": head,
            "cover_lesson": lesson,
            "exercise": float("exercise" in h.heading.lower()),
            "chunk_no": float(chunk_number(h.chunk_id)),
            **_shape(h.text),
            "section_gap": top_score - best_in_section[key],
            "section_hits": float(count_in_section[key]),
            "q_terms": float(len(q_stems)),
            "asked": near or 0.0,
            "asked_gap": top_asked - near if near is not None else 0.0,
            "asked_on": float(near is not None),
            **cue,
        }
        rows.append([values[f] for f in PASSAGE_FEATURES])
    return np.asarray(rows, dtype=np.float64).reshape(len(hits), len(PASSAGE_FEATURES))


def unit_rows(question: str, cands: list[Candidate]) -> np.ndarray:
    """One row per candidate unit (UNIT_FEATURES order), its passage's `learned`
    score included.

    A term in bold is where the course defines it, so a unit that bolds a word of
    the question is the likely answer to "what is X". A unit is also read beside
    its passage: how it ranks there by cosine, and whether the unit before it names
    the topic, since the fact often follows the sentence that matches the question
    (grouped CV unit top-1 0.664 -> 0.674, top-3 0.899 -> 0.905 with these)."""
    from tutor.chunking import chunk_number

    q_stems = list(dict.fromkeys(content_stems(question)))
    cue = cues(question)
    best = max((c.cos for c in cands if c.cos is not None), default=0.0)
    covers = [
        vocabulary(c.hit.store).cover(q_stems, set(content_stems(c.unit.text))) for c in cands
    ]
    context = _passage_context(cands, [cover for cover, _ in covers])
    rows = []
    heads: dict[str, float] = {}
    for c, (cover, raw), ctx in zip(cands, covers, context, strict=True):
        unit, cos, vocab = c.unit, c.cos, vocabulary(c.hit.store)
        opens = chunk_number(c.hit.chunk_id) == 0
        if c.hit.heading not in heads:
            heads[c.hit.heading] = vocab.cover(q_stems, set(content_stems(c.hit.heading)))[0]
        bold = {s for b in BOLD.findall(unit.text) for s in content_stems(b)}
        tokens = unit.text.split()
        head = " ".join(tokens[:8]).lower()
        defines = bool(DEFINES.search(head)) and any(s in set(content_stems(head)) for s in q_stems)
        values = {
            "passage": c.hit.learned,
            "passage_rank": float(c.rank),
            "cos": cos if cos is not None else 0.0,
            "has_vec": float(cos is not None),
            "cos_gap": best - cos if cos is not None else 1.0,
            "cover": cover,
            "cover_raw": raw,
            "pos": float(unit.pos),
            "section_lead": float(opens and unit.pos == 0),
            "item": float(unit.item),
            "intro": float(unit.intro),
            "block": float(bool(unit.block)),
            "digits": float(len(NUMBER.findall(unit.text))),
            "words": float(len(tokens)),
            "defines": float(defines),
            "bold": float(bool(bold)),
            "bold_match": vocab.cover(q_stems, bold)[0] if bold else 0.0,
            "head_cover": heads[c.hit.heading],
            "exercise": float("exercise" in c.hit.heading.lower()),
            "symbols": sum(not c.isalnum() and not c.isspace() for c in unit.text)
            / max(1, len(unit.text)),
            "q_terms": float(len(q_stems)),
            **ctx,
            **cue,
        }
        rows.append([values[f] for f in UNIT_FEATURES])
    return np.asarray(rows, dtype=np.float64).reshape(len(cands), len(UNIT_FEATURES))


def _passage_context(cands: list[Candidate], covers: list[float]) -> list[dict[str, float]]:
    """Per unit, how it stands among its passage's units: its rank by cosine, its
    cosine below the passage's best, the previous unit's cover of the question, and
    whether the previous unit is the passage's best match."""
    out: list[dict[str, float]] = [{} for _ in cands]
    by_hit: dict[int, list[int]] = {}
    for i, c in enumerate(cands):
        by_hit.setdefault(id(c.hit), []).append(i)
    for members in by_hit.values():
        members.sort(key=lambda i: cands[i].unit.pos)
        cos = [cands[i].cos if cands[i].cos is not None else 0.0 for i in members]
        order = sorted(range(len(members)), key=lambda j: -cos[j])
        rank = {j: r for r, j in enumerate(order)}
        for j, i in enumerate(members):
            out[i] = {
                "rank_in_passage": float(rank[j]),
                "passage_cos_gap": cos[order[0]] - cos[j],
                "prev_cover": covers[members[j - 1]] if j else 0.0,
                "after_best": float(j > 0 and order[0] == j - 1),
            }
    return out


def score(name: str, rows: np.ndarray) -> np.ndarray | None:
    """Log-odds from model `name` for each row, or None if no model is installed."""
    from tutor.grading.trees import log_odds

    model = models().get(name)
    if model is None or not len(rows):
        return None
    return log_odds(model, rows)


# -- the two steps, as the answerer and the fit script both run them -----------------------


def rerank(question: str, hits: list[Hit], qvec: np.ndarray) -> list[Hit]:
    """The candidates ordered by the passage model (unchanged without one); each hit's
    `learned` holds its log-odds of carrying the answer."""
    from tutor import asked

    if not hits:
        return hits
    scores = score("passage", passage_rows(question, hits, asked.closeness(hits, qvec)))
    if scores is None:
        return hits
    for hit, s in zip(hits, scores, strict=True):
        hit.learned = float(s)
    return sorted(hits, key=lambda h: -h.learned)


@dataclass
class Candidate:
    """A unit of one of the best passages, with what the unit model reads about it."""

    unit: Unit
    cos: float | None  # its cosine to the question, when the index embedded it
    hit: Hit  # the passage it stands in
    rank: int  # that passage's place in the ranking
    learned: float = 0.0


def is_exercise_prompt(hit: Hit) -> bool:
    """The task of an exercise, not its solution: the course puts each solution
    under its own "Solution" heading below the exercise's."""
    heading = hit.heading.lower()
    return "exercise" in heading and "solution" not in heading


def candidates(passages: list[Hit], qvec: np.ndarray) -> list[Candidate]:
    """Every unit of the given passages, with the cosines the index stored for them.

    An exercise's prompt poses a question ("With Adam's defaults, the first
    gradient is g = -2. Compute m, v..."), so its units are quoted only when no
    other passage has any; the passage can still be cited as a source."""
    ranked = list(enumerate(passages))
    if not all(is_exercise_prompt(h) for h in passages):
        ranked = [(rank, h) for rank, h in ranked if not is_exercise_prompt(h)]
        passages = [h for _, h in ranked]
    out: list[Candidate] = []
    by_store: dict[int, list[Hit]] = {}
    for hit in passages:
        by_store.setdefault(id(hit.store), []).append(hit)
    cosines: dict[tuple[int, int, str], float] = {}
    for hits in by_store.values():
        store = hits[0].store
        rows, vectors = store.vectors_for("sentences", "chunk_rowid", [h.rowid for h in hits])
        for (_, chunk, _, text), sim in zip(rows, vectors @ qvec, strict=True):
            cosines[(id(store), chunk, text)] = float(sim)
    for rank, hit in ranked:
        for unit in units_of(hit.text):
            cos = cosines.get((id(hit.store), hit.rowid, unit.text))
            out.append(Candidate(unit, cos, hit, rank))
    return out


def rank_units(question: str, cands: list[Candidate]) -> list[Candidate]:
    """Units best first by the unit model (passage order, then text order, without one)."""
    if not cands:
        return cands
    rows = unit_rows(question, cands)
    scores = score("unit", rows)
    if scores is None:
        return cands
    for c, s in zip(cands, scores, strict=True):
        c.learned = float(s)
    return sorted(cands, key=lambda c: -c.learned)


def scope_row(
    question: str, corrected: int, qvec: np.ndarray, ranked: list[Hit], skip=None
) -> np.ndarray:
    """What the scope model reads about a question and its reranked passages.

    The index's own scope classifier (tutor/scope.py) is one input: it knows the
    index's topics but leans on wording, and learners' short questions ("what is
    adam") read like everyday ones to it. The passage model's confidence, how much
    of the question the index's vocabulary knows at all, and how much the best
    passages cover, tell a course question from "how many neurons are in the brain".
    So does its closeness to the questions learners asked of the course before
    (tutor/asked.py; `skip` masks some out, as the fit script does).
    """
    from tutor import asked

    q_stems = list(dict.fromkeys(content_stems(question)))
    top = ranked[:5]
    stores = list({id(h.store): h.store for h in top}.values())
    vocabs = [vocabulary(st) for st in stores]
    lr = max((st.scope.log_odds(qvec) for st in stores if st.scope is not None), default=0.0)
    covers = [vocabulary(h.store).cover(q_stems, set(content_stems(h.text)))[0] for h in top[:3]]
    known = max((v.known_share(q_stems) for v in vocabs), default=0.0)
    unknown = min((sum(s not in v.df for s in q_stems) for v in vocabs), default=len(q_stems))
    values = {
        "lr": lr,
        "best": max((max(h.dense, h.sentence) for h in top), default=0.0),
        "top_learned": top[0].learned if top else -10.0,
        "second_learned": top[1].learned if len(top) > 1 else -10.0,
        "top_dense": top[0].dense if top else 0.0,
        "cover": max(covers, default=0.0),
        "known": known,
        "unknown": float(unknown),
        "q_terms": float(len(q_stems)),
        "corrected": float(corrected),
        "bm25_found": sum(h.bm25 > 0 for h in top) / max(1, len(top)),
        "asked_best": asked.best_closeness(top, qvec, skip),
    }
    return np.asarray([[values[f] for f in SCOPE_FEATURES]], dtype=np.float64)
