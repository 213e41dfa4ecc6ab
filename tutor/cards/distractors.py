"""Distractors for generated multiple-choice cards, and the term-vector cache behind them.

Three distractors per card: other key terms of the course ranked by the cosine
similarity of their "term: definition" embeddings (at least
`MIN_PLAUSIBLE_COSINE`, so plausible), never a variant of the answer (shared
stem, substring, near spelling, acronym, or cosine above `VARIANT_COSINE`), never
its synonym, kind or instance as the definitions name them, never a term named in
the question, always in the same grammatical form (plural, acronym, length);
shuffled with a seed from the card id so the choices stay put between syncs.
Fewer than two distractors: no MCQ. Vectors are cached in the database
(`term_vectors`), so only new or edited terms are embedded.
"""

from __future__ import annotations

import hashlib
import random
import re
from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import TYPE_CHECKING

from rapidfuzz import fuzz

from tutor.cards.generate import _is_plural, _term_pattern
from tutor.cards.model import CardSpec
from tutor.store import cards as card_rows
from tutor.text import WORD, clean_markdown, content_words

if TYPE_CHECKING:
    import numpy as np
    import sqlite_utils

VARIANT_COSINE = 0.9  # distractors closer than this to the answer are synonyms/variants
MIN_PLAUSIBLE_COSINE = 0.3  # distractors further than this would be giveaways
Encoder = Callable[[Sequence[str]], "np.ndarray"]


@lru_cache(maxsize=1)
def _stemmer():
    from snowballstemmer import stemmer

    return stemmer("english")


@lru_cache(maxsize=4096)
def _stems(text: str) -> frozenset[str]:
    return frozenset(_stemmer().stemWords(WORD.findall(text)))


def is_variant(answer: str, other: str) -> bool:
    """True if `other` is a spelling, inflection or sub/super-phrase of `answer`."""
    a, b = answer.lower().strip(), other.lower().strip()
    if not a or not b or a in b or b in a:
        return True
    sa, sb = _stems(a), _stems(b)
    if sa <= sb or sb <= sa:
        return True
    if fuzz.ratio(a, b) >= 80:
        return True
    ac_a = "".join(w[0] for w in WORD.findall(a))
    ac_b = "".join(w[0] for w in WORD.findall(b))
    return (len(a) <= 6 and a == ac_b) or (len(b) <= 6 and b == ac_a)


def same_form(answer: str, other: str) -> bool:
    """Same grammatical shape: plural with plural, acronym with acronym, similar length."""
    if _is_plural(answer) != _is_plural(other):
        return False
    if answer.isupper() != other.isupper():
        return False
    return abs(len(answer.split()) - len(other.split())) <= 2


_SYNONYM_CUE = (
    r"(?:also called|also known as|another name for|known as|same (?:effect|thing) as|"
    r"equivalent to|or simply|aka|i\.e\.|or)"
)


_INSTANCE_CUE = r"(?:such as|e\.g\.|for example|like|including)"


def _related(term: str, definition: str) -> bool:
    """Whether `definition` names `term` as a synonym, its kind (genus) or an instance."""
    pattern = _term_pattern(term).pattern
    if re.search(rf"{_SYNONYM_CUE}\s+(?:an?\s+|the\s+)?{pattern}", definition, re.I):
        return True
    if re.search(rf"{_INSTANCE_CUE}\b[^.;]*?{pattern}", definition, re.I):
        return True
    genus = " ".join(definition.split()[:5])
    return bool(re.search(pattern, genus, re.I))


def pick_distractors(
    term: str,
    definition: str,
    candidates: list[tuple[str, str]],
    sims: Sequence[float],
    k: int = 3,
    min_sim: float = -1.0,
) -> list[str]:
    """Up to k other terms, most similar first, that are plausible but not the answer."""
    order = sorted(range(len(candidates)), key=lambda i: (-sims[i], candidates[i][0]))
    picked: list[str] = []
    for i in order:
        other, other_def = candidates[i]
        if sims[i] < min_sim:
            break  # too far from the answer to be a plausible choice
        if sims[i] > VARIANT_COSINE or is_variant(term, other) or not same_form(term, other):
            continue
        if _term_pattern(other).search(definition) or _related(term, other_def):
            continue  # named in the question, or the answer's synonym, kind or instance
        if any(is_variant(p, other) for p in picked):
            continue
        picked.append(other)
        if len(picked) == k:
            break
    return picked


def _vector_key(text: str) -> str:
    from tutor.embed import MODEL_ID

    return hashlib.sha1(f"{MODEL_ID}\n{text}".encode()).hexdigest()


def term_text(term: str, definition: str) -> str:
    """What is embedded for a key term: with its definition, so neighbours are related
    concepts, not look-alike words."""
    return f"{term}: {definition}"


def key_term_texts(course) -> list[str]:
    """The texts `fill_mcq_choices` embeds for a course's front-matter key terms (the
    course index stores their vectors, so a first sync needs no encoder)."""
    return [
        term_text(term, clean_markdown(definition))
        for lesson in course.lessons
        for term, definition in (lesson.key_terms or {}).items()
    ]


def vector_keys(texts: Sequence[str]) -> list[str]:
    return [_vector_key(t) for t in texts]


Seed = Callable[[list[str]], dict[str, bytes]]  # vector keys -> float32 bytes, where known


def _term_vectors(
    db: sqlite_utils.Database, texts: list[str], encoder: Encoder | None, seed: Seed | None
) -> np.ndarray | None:
    """Unit vectors for texts: from the learner's cache, then from `seed` (the bundled
    index's), and only then from the encoder, for what is still missing."""
    import numpy as np

    keys = vector_keys(texts)
    cached = {
        k: np.frombuffer(v, dtype=np.float32) for k, v in card_rows.cached_vectors(db, keys).items()
    }
    missing = [k for k in keys if k not in cached]
    if missing and seed is not None:
        seeded = seed(missing)
        if seeded:
            card_rows.save_vectors(db, list(seeded.items()))
            cached.update({k: np.frombuffer(v, dtype=np.float32) for k, v in seeded.items()})
    missing = [i for i, k in enumerate(keys) if k not in cached]
    if missing:
        if encoder is None:
            from tutor.embed import encode as encoder
        try:
            vectors = np.asarray(encoder([texts[i] for i in missing]), dtype=np.float32)
        except (ImportError, OSError, RuntimeError):
            return None
        rows = []
        for i, vector in zip(missing, vectors, strict=True):
            cached[keys[i]] = vector
            rows.append((keys[i], vector.tobytes()))
        card_rows.save_vectors(db, rows)
    return np.vstack([cached[k] for k in keys]) if keys else None


def fill_mcq_choices(
    db: sqlite_utils.Database,
    specs: list[CardSpec],
    terms: dict[str, str],
    encoder: Encoder | None,
    seed: Seed | None = None,
) -> list[CardSpec]:
    """Give each gen-mcq spec its shuffled choices; drop those without 2+ distractors."""
    mcqs = [s for s in specs if s.source == "gen-mcq"]
    if not mcqs:
        return specs
    names = list(terms)
    # a term with its definition: neighbours are related concepts, not look-alike words
    vectors = _term_vectors(db, [term_text(n, terms[n]) for n in names], encoder, seed)
    index = {n: i for i, n in enumerate(names)}
    dropped: set[str] = set()
    for spec in mcqs:
        term = spec.term or spec.answer
        others = [(n, terms[n]) for n in names if n != term]
        if vectors is not None:
            sims = [float(vectors[index[term]] @ vectors[index[n]]) for n, _ in others]
        else:  # no model: fall back to word overlap of the definitions
            want = content_words(terms[term])
            sims = [
                len(want & content_words(d)) / (1 + len(want | content_words(d))) for _, d in others
            ]
        floor = MIN_PLAUSIBLE_COSINE if vectors is not None else -1.0
        distractors = pick_distractors(term, terms[term], others, sims, min_sim=floor)
        if len(distractors) < 2:
            dropped.add(spec.id)
            continue
        choices = [term, *distractors]
        random.Random(spec.id).shuffle(choices)
        spec.choices = choices
    return [s for s in specs if s.id not in dropped]
