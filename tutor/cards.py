"""Cards: every authored quiz item, plus generated cards where the authored ones leave gaps.

Public API:

- `sync_cards(db, course, origin="course", *, now=None, encoder=None, force=False)
  -> SyncReport` — makes the `cards` table match a course: inserts new cards,
  updates the text of existing ones (their FSRS state and history are kept),
  retires cards of the same `origin` whose source vanished (status 'retired',
  never deleted), and reactivates a retired card whose source came back. When the
  course files are unchanged since the last sync it returns at once, and it only
  loads the embedding model when a key term has no cached vector.
- `sync_bundled(db)` / `sync_library(db)` — the same for the bundled course and for
  the learner's own indexed notes (`tutor index PATH`).
- `get_card(db, id) -> StudyCard`, `get_cards(db, ids)`, `list_cards(db, ...)`.
- `generate_cards(lesson, ...)` — the card specs for one lesson (pure; no database).

Card ids are stable across content edits and re-indexing:
authored → the item id; generated → `gen-cloze:<lesson>:<term-slug>`,
`gen-def:<lesson>:<term-slug>`, `gen-mcq:<lesson>:<term-slug>` (prefixed with
`<origin>:` outside the bundled course); imported → `csv:<hash of front>`.

Generated cards, per key term (front matter `key_terms`; for plain notes, terms are
found in the text: bold phrases and "X is a ..." sentences):
- cloze: the term blanked out of its defining sentence in the lesson text;
- definition: "What is X?" with the key term's definition as the reference;
- multiple choice: "Which term matches this definition?" with three distractors:
  other key terms of the course ranked by the cosine similarity of their
  "term: definition" embeddings (at least `MIN_PLAUSIBLE_COSINE`, so plausible), never
  a variant of the answer (shared stem, substring, small edit distance, acronym, or
  cosine above `VARIANT_COSINE`), never its synonym, kind or instance as the
  definitions name them, never a term named in the question, always in the same
  grammatical form (plural, acronym, length); shuffled with a seed from the card id
  so the choices stay put between syncs. Fewer than two distractors: no MCQ.
  Vectors are cached in `term_vectors`, so only new or edited terms are embedded.
A generated kind is skipped for a term the authored items already cover that way.
Every card records the chunk that teaches it (`chunk_id`, heading, file, line,
text), shown after answering.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import random
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from tutor.chunking import SENTENCE_END, Chunk, chunk_lesson
from tutor.course import Course, Lesson, QuizItem, slugify
from tutor.srs import fsrs_id, iso, new_fsrs_card
from tutor.store import get_setting, set_setting, utcnow

if TYPE_CHECKING:
    import numpy as np
    import sqlite_utils

GENERATOR_VERSION = "3"  # bump when generation changes, so unchanged courses re-sync
VARIANT_COSINE = 0.9  # distractors closer than this to the answer are synonyms/variants
MIN_PLAUSIBLE_COSINE = 0.3  # distractors further than this would be giveaways
MAX_NOTE_TERMS = 8  # key terms found per note file
Encoder = Callable[[Sequence[str]], "np.ndarray"]

_CARD_COLUMNS = (
    "id, origin, source, kind, lesson_id, lesson_title, section_id, question, answer, accept, "
    "choices, explanation, chunk_id, source_heading, source_path, source_line, source_text, "
    "status, state, due, last_review, stability, difficulty"
)


@dataclass
class StudyCard:
    """One card as the quiz/review screens show it."""

    id: str
    origin: str
    source: str  # 'authored' | 'gen-cloze' | 'gen-def' | 'gen-mcq' | 'csv'
    kind: str  # 'short' | 'mcq' | 'cloze'
    lesson_id: str
    lesson_title: str
    section_id: str | None
    question: str
    answer: str
    accept: list[str]
    choices: list[str]
    explanation: str
    chunk_id: str | None
    source_heading: str | None
    source_path: str | None
    source_line: int | None
    source_text: str | None
    status: str
    state: int
    due: str
    last_review: str | None
    stability: float | None
    difficulty: float | None

    @property
    def is_new(self) -> bool:
        return self.last_review is None

    @property
    def source_ref(self) -> str:
        """'file:line' of the teaching chunk, or '' when unknown."""
        if not self.source_path:
            return ""
        return f"{Path(self.source_path).name}:{self.source_line or 1}"

    @classmethod
    def from_row(cls, row: Sequence) -> StudyCard:
        values = list(row)
        values[9] = json.loads(values[9] or "[]")
        values[10] = json.loads(values[10] or "[]")
        return cls(*values)


def get_card(db: sqlite_utils.Database, card_id: str) -> StudyCard | None:
    row = db.execute(f"SELECT {_CARD_COLUMNS} FROM cards WHERE id = ?", [card_id]).fetchone()
    return StudyCard.from_row(row) if row else None


def get_cards(db: sqlite_utils.Database, ids: Sequence[str]) -> list[StudyCard]:
    """Cards in the order of `ids` (unknown ids are left out)."""
    rows = db.execute(
        f"SELECT {_CARD_COLUMNS} FROM cards WHERE id IN (SELECT value FROM json_each(?))",
        [json.dumps(list(ids))],
    ).fetchall()
    by_id = {r[0]: StudyCard.from_row(r) for r in rows}
    return [by_id[i] for i in ids if i in by_id]


def list_cards(
    db: sqlite_utils.Database,
    *,
    lesson: str | None = None,
    status: str | None = "active",
    origin: str | None = None,
) -> list[StudyCard]:
    where, args = [], []
    for col, value in (("lesson_id", lesson), ("status", status), ("origin", origin)):
        if value is not None:
            where.append(f"{col} = ?")
            args.append(value)
    sql = f"SELECT {_CARD_COLUMNS} FROM cards"
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += " ORDER BY lesson_order, position, id"
    return [StudyCard.from_row(r) for r in db.execute(sql, args)]


def lessons_with_cards(db: sqlite_utils.Database) -> list[tuple[str, str]]:
    """(lesson id, title) of lessons that have active cards, in course order."""
    return [
        (r[0], r[1])
        for r in db.execute(
            "SELECT lesson_id, max(lesson_title) FROM cards WHERE status = 'active' "
            "GROUP BY lesson_id ORDER BY min(lesson_order)"
        )
    ]


# --- card specs ---------------------------------------------------------------------


@dataclass
class CardSpec:
    """What a card should contain; sync turns specs into rows."""

    id: str
    source: str
    kind: str
    lesson_id: str
    lesson_title: str
    section_id: str | None
    question: str
    answer: str
    accept: list[str] = field(default_factory=list)
    choices: list[str] = field(default_factory=list)
    explanation: str = ""
    chunk: Chunk | None = None
    position: int = 0
    term: str | None = None  # for gen-mcq: distractors are filled in at sync time


_WORD = re.compile(r"[a-z0-9]+")
_STOP = frozenset(
    "a an the of to in on for and or is are was be by with as at it its this that from which "
    "what why how when does do can into than then so not no each one".split()
)


def _words(text: str) -> set[str]:
    return {w for w in _WORD.findall(text.lower()) if w not in _STOP and len(w) > 1}


def clean_markdown(text: str) -> str:
    """Inline Markdown to plain text: links, emphasis, code ticks, list markers."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"(\*\*|__)(.+?)\1", r"\2", text)
    text = re.sub(r"(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?![\w*])", r"\1", text)
    text = text.replace("`", "")
    text = re.sub(r"^\s*(?:[-*+]|\d+[.)])\s+", "", text, flags=re.M)
    text = re.sub(r"^\s*>\s?", "", text, flags=re.M)
    return re.sub(r"\s+", " ", text).strip()


@dataclass(frozen=True)
class _Sentence:
    raw: str
    text: str  # plain text
    chunk: Chunk


def _sentences(chunks: list[Chunk]) -> list[_Sentence]:
    out = []
    for chunk in chunks:
        for para in re.split(r"\n\s*\n", chunk.text):
            stripped = para.strip()
            if not stripped or stripped.startswith(("```", "~~~", "|", "$$", "<")):
                continue
            for raw in SENTENCE_END.split(re.sub(r"\s*\n\s*", " ", stripped)):
                text = clean_markdown(raw)
                if 4 <= len(text.split()) <= 60:
                    out.append(_Sentence(raw, text, chunk))
    return out


def _term_pattern(term: str) -> re.Pattern:
    words = [re.escape(w) for w in term.split()]
    body = r"[\s-]+".join(words)
    return re.compile(rf"(?<![\w-]){body}(?:e?s)?(?![\w-])", re.I)


_DEFINING_AFTER = re.compile(
    r"^\s*(?:\([^)]{1,40}\)\s*)?,?\s*(?:is|are|means|refers to|describes|measures|was)\b", re.I
)
_DEFINING_BEFORE = re.compile(r"(?:called|known as|named|term|termed|is an?|are)\s*$", re.I)


def defining_sentence(term: str, sentences: list[_Sentence]) -> _Sentence | None:
    """The sentence of the lesson that best defines `term` (None if it never appears)."""
    pattern = _term_pattern(term)
    best, best_score = None, -1.0
    for index, sentence in enumerate(sentences):
        match = pattern.search(sentence.text)
        if not match:
            continue
        score = 0.0
        if _DEFINING_AFTER.match(sentence.text[match.end() :]):
            score += 3
        if _DEFINING_BEFORE.search(sentence.text[: match.start()]):
            score += 2
        if f"**{match.group(0).lower()}" in sentence.raw.lower():
            score += 2
        if match.start() < 30:
            score += 0.5
        score -= index * 0.002  # earliest wins ties
        if score > best_score:
            best, best_score = sentence, score
    return best


def cloze_of(term: str, sentence: str) -> tuple[str, list[str]] | None:
    """The sentence with every mention of the term (and its acronym) blanked out."""
    pattern = _term_pattern(term)
    accept: list[str] = []
    acronym = re.compile(pattern.pattern + r"\s*\(([A-Z][A-Za-z0-9-]{1,9})\)", re.I)
    match = acronym.search(sentence)
    if match:
        accept.append(match.group(1))
        sentence = sentence.replace(match.group(1), "_____")
    blanked, count = pattern.subn("_____", sentence)
    if not count:
        return None
    blanked = re.sub(r"_____\s*\(_____\)", "_____ (_____)", blanked)
    return blanked, accept


def _article(term: str, definition: str) -> str:
    """'a kernel' when the definition reads like a count noun ('A small grid ...')."""
    first = definition.split(maxsplit=1)[0].lower() if definition.split() else ""
    if first not in ("a", "an", "one") or term.endswith("ing"):
        return term
    if term.isupper():  # an acronym, read letter by letter: an LSTM, a GPU
        return ("an " if term[0] in "AEFHILMNORSX" else "a ") + term
    if term[:1].islower():
        return ("an " if term[0] in "aeiou" else "a ") + term
    return term


def _is_plural(term: str) -> bool:
    """'feature maps' yes; 'bias', 'analysis', 'Keras' (a name) no; 'GPUs' yes."""
    last = term.split()[-1] if term.split() else ""
    if len(last) > 2 and last.endswith("s") and last[:-1].isupper():
        return True  # GPUs, CNNs
    if last[:1].isupper():
        return False  # a name: Keras, NeurIPS
    last = last.lower()
    return last.endswith("s") and not last.endswith(("ss", "us", "is", "ics", "ness", "as"))


def definition_question(term: str, definition: str) -> str:
    verb = "are" if _is_plural(term) else "is"
    return f"What {verb} {_article(term, definition)}?"


def _item_covers(items: list[QuizItem], term: str) -> set[str]:
    """Which generated kinds ('cloze', 'def', 'mcq') authored items already cover for a term."""
    covered: set[str] = set()
    pattern = _term_pattern(term)
    for item in items:
        answers = [item.answer, *item.accept]
        if any(pattern.fullmatch(a.strip()) for a in answers):
            covered.add("cloze" if item.type == "cloze" else "mcq")
        if (
            item.type == "short"
            and pattern.search(item.question)
            and re.match(r"\s*(what (is|are|does)|define|explain what)\b", item.question, re.I)
        ):
            covered.add("def")
    return covered


def _best_chunk(chunks: list[Chunk], section_id: str | None, text: str) -> Chunk | None:
    pool = [c for c in chunks if c.section_id == section_id] or chunks
    if not pool:
        return None
    want = _words(text)
    return max(pool, key=lambda c: (len(want & _words(c.text)), -pool.index(c)))


_NOTE_BOLD = re.compile(r"\*\*([^*\n]{2,60}?)\*\*")
_NOTE_DEF = re.compile(
    r"^(?:An?|The)?\s*([A-Za-z][\w-]*(?:\s+[\w-]+){0,3}?)\s*(?:\([^)]{1,20}\)\s*)?"
    r"(?:is|are|refers to|means)\s+(?:an?|the|one|any|how|when|what)\b",
)


def note_key_terms(lesson: Lesson, sentences: list[_Sentence]) -> dict[str, str]:
    """Key terms found in a user's plain notes: bold phrases and 'X is a ...' sentences."""
    terms: dict[str, str] = {}
    for sentence in sentences:
        candidates = [m.group(1).strip() for m in _NOTE_BOLD.finditer(sentence.raw)]
        match = _NOTE_DEF.match(sentence.text)
        if match:
            candidates.append(match.group(1).strip())
        for term in candidates:
            term = clean_markdown(term).strip(" .,:;")
            if not term or len(term.split()) > 4 or term.lower() in _STOP:
                continue
            if term.lower() in (t.lower() for t in terms):
                continue
            if not _term_pattern(term).search(sentence.text):
                continue
            terms[term] = sentence.text
            if len(terms) >= MAX_NOTE_TERMS:
                return terms
    return terms


def generate_cards(lesson: Lesson, origin: str = "course") -> list[CardSpec]:
    """Card specs for one lesson: its authored items, then generated cards for gaps."""
    chunks = chunk_lesson(lesson)
    sentences = _sentences(chunks)
    section_index = {s.id: i for i, s in enumerate(lesson.sections)}
    prefix = "" if origin == "course" else f"{origin}:"
    specs: list[CardSpec] = []

    for n, item in enumerate(lesson.items):
        chunk = _best_chunk(
            chunks, item.section_id, " ".join([item.question, item.answer, item.explanation])
        )
        specs.append(
            CardSpec(
                id=item.id,
                source="authored",
                kind=item.type,
                lesson_id=lesson.id,
                lesson_title=lesson.title,
                section_id=item.section_id,
                question=item.question,
                answer=item.answer,
                accept=list(item.accept),
                choices=list(item.choices),
                explanation=item.explanation,
                chunk=chunk,
                position=section_index.get(item.section_id, 999) * 1000 + n,
            )
        )

    key_terms = lesson.key_terms or note_key_terms(lesson, sentences)
    seen_slugs: set[str] = set()
    for t, (term, definition) in enumerate(key_terms.items()):
        slug = slugify(term)
        if slug in seen_slugs:
            continue
        seen_slugs.add(slug)
        covered = _item_covers(lesson.items, term)
        sentence = defining_sentence(term, sentences)
        chunk = sentence.chunk if sentence else _best_chunk(chunks, None, f"{term} {definition}")
        section_id = chunk.section_id if chunk else None
        base = section_index.get(section_id, 999) * 1000 + 100 + t
        definition = clean_markdown(definition)
        if "def" not in covered:
            specs.append(
                CardSpec(
                    id=f"{prefix}gen-def:{lesson.id}:{slug}",
                    source="gen-def",
                    kind="short",
                    lesson_id=lesson.id,
                    lesson_title=lesson.title,
                    section_id=section_id,
                    question=definition_question(term, definition),
                    answer=definition,
                    explanation=sentence.text if sentence else f"{term}: {definition}",
                    chunk=chunk,
                    position=base,
                )
            )
        cloze = cloze_of(term, sentence.text) if sentence else None
        if "cloze" not in covered and cloze:
            text, accept = cloze
            specs.append(
                CardSpec(
                    id=f"{prefix}gen-cloze:{lesson.id}:{slug}",
                    source="gen-cloze",
                    kind="cloze",
                    lesson_id=lesson.id,
                    lesson_title=lesson.title,
                    section_id=section_id,
                    question=text,
                    answer=term,
                    accept=accept,
                    explanation=f"{term}: {definition}",
                    chunk=chunk,
                    position=base + 300,
                )
            )
        if "mcq" not in covered:
            specs.append(
                CardSpec(
                    id=f"{prefix}gen-mcq:{lesson.id}:{slug}",
                    source="gen-mcq",
                    kind="mcq",
                    lesson_id=lesson.id,
                    lesson_title=lesson.title,
                    section_id=section_id,
                    question=f"Which term matches this definition? {definition}",
                    answer=term,
                    explanation=f"{term}: {definition}",
                    chunk=chunk,
                    position=base + 600,
                    term=term,
                )
            )
    return specs


# --- distractors ----------------------------------------------------------------------


def _stem(word: str) -> str:
    word = word.lower()
    for suffix in ("ational", "ization", "isation", "ations", "ation", "ings", "ing", "ities",
                   "ity", "ness", "ments", "ment", "ers", "er", "ies", "es", "ed", "al", "s"):  # fmt: skip
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            return word[: -len(suffix)]
    return word


def is_variant(answer: str, other: str) -> bool:
    """True if `other` is a spelling, inflection or sub/super-phrase of `answer`."""
    a, b = answer.lower().strip(), other.lower().strip()
    if not a or not b or a in b or b in a:
        return True
    sa = {_stem(w) for w in _WORD.findall(a)}
    sb = {_stem(w) for w in _WORD.findall(b)}
    if sa <= sb or sb <= sa:
        return True
    if difflib.SequenceMatcher(None, a, b).ratio() >= 0.8:
        return True
    ac_a = "".join(w[0] for w in _WORD.findall(a))
    ac_b = "".join(w[0] for w in _WORD.findall(b))
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


def _term_vectors(
    db: sqlite_utils.Database, texts: list[str], encoder: Encoder | None
) -> np.ndarray | None:
    """Unit vectors for texts, from the cache; encodes (loading the model) only the missing."""
    import numpy as np

    keys = [_vector_key(t) for t in texts]
    cached = {
        k: np.frombuffer(v, dtype=np.float32)
        for k, v in db.execute(
            "SELECT key, vector FROM term_vectors WHERE key IN (SELECT value FROM json_each(?))",
            [json.dumps(keys)],
        )
    }
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
        conn = db.conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            conn.executemany("INSERT OR REPLACE INTO term_vectors VALUES (?, ?)", rows)
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
    return np.vstack([cached[k] for k in keys]) if keys else None


def _fill_mcq_choices(
    db: sqlite_utils.Database, specs: list[CardSpec], terms: dict[str, str], encoder
) -> list[CardSpec]:
    """Give each gen-mcq spec its shuffled choices; drop those without 2+ distractors."""
    mcqs = [s for s in specs if s.source == "gen-mcq"]
    if not mcqs:
        return specs
    names = list(terms)
    # a term with its definition: neighbours are related concepts, not look-alike words
    vectors = _term_vectors(db, [f"{n}: {terms[n]}" for n in names], encoder)
    index = {n: i for i, n in enumerate(names)}
    dropped: set[str] = set()
    for spec in mcqs:
        term = spec.term or spec.answer
        others = [(n, terms[n]) for n in names if n != term]
        if vectors is not None:
            sims = [float(vectors[index[term]] @ vectors[index[n]]) for n, _ in others]
        else:  # no model: fall back to word overlap of the definitions
            want = _words(terms[term])
            sims = [len(want & _words(d)) / (1 + len(want | _words(d))) for _, d in others]
        floor = MIN_PLAUSIBLE_COSINE if vectors is not None else -1.0
        distractors = pick_distractors(term, terms[term], others, sims, min_sim=floor)
        if len(distractors) < 2:
            dropped.add(spec.id)
            continue
        choices = [term, *distractors]
        random.Random(spec.id).shuffle(choices)
        spec.choices = choices
    return [s for s in specs if s.id not in dropped]


# --- sync -----------------------------------------------------------------------------


@dataclass
class SyncReport:
    origin: str
    added: int = 0
    updated: int = 0
    retired: int = 0
    reactivated: int = 0
    unchanged: int = 0
    skipped: bool = False  # nothing changed since the last sync

    def __str__(self) -> str:
        if self.skipped:
            return f"{self.origin}: cards up to date"
        return (
            f"{self.origin}: {self.added} new, {self.updated} updated, {self.retired} retired, "
            f"{self.reactivated} back, {self.unchanged} unchanged"
        )


def course_fingerprint(course: Course) -> str:
    """Hash of the lesson and quiz files (and of this generator's version)."""
    h = hashlib.sha1(GENERATOR_VERSION.encode())
    for lesson in course.lessons:
        h.update(f"\0{lesson.id}\0{lesson.order}\0{lesson.path}\0".encode())
        for path in (lesson.path, lesson.path.with_suffix(".quiz.yaml")):
            try:
                h.update(path.read_bytes())
            except OSError:
                h.update(b"-")
    return h.hexdigest()


_TEXT_FIELDS = (
    "source",
    "kind",
    "lesson_id",
    "lesson_title",
    "lesson_order",
    "position",
    "section_id",
    "question",
    "answer",
    "accept",
    "choices",
    "explanation",
    "chunk_id",
    "source_heading",
    "source_path",
    "source_line",
    "source_text",
)

ORIGIN_RANK = {"course": 0, "library": 1, "csv": 2}


def _row(spec: CardSpec, origin: str, lesson_order: int) -> dict:
    chunk = spec.chunk
    return {
        "id": spec.id,
        "origin": origin,
        "source": spec.source,
        "kind": spec.kind,
        "lesson_id": spec.lesson_id,
        "lesson_title": spec.lesson_title,
        "lesson_order": ORIGIN_RANK.get(origin, 3) * 100_000 + lesson_order,
        "position": spec.position,
        "section_id": spec.section_id,
        "question": spec.question,
        "answer": spec.answer,
        "accept": json.dumps(spec.accept),
        "choices": json.dumps(spec.choices),
        "explanation": spec.explanation,
        "chunk_id": chunk.id if chunk else None,
        "source_heading": chunk.heading if chunk else None,
        "source_path": chunk.path if chunk else None,
        "source_line": chunk.line if chunk else None,
        "source_text": chunk.text if chunk else None,
    }


def upsert_rows(
    db: sqlite_utils.Database,
    rows: list[dict],
    origin: str,
    now: datetime,
    *,
    retire_missing: bool,
    report: SyncReport,
) -> None:
    """Insert/update card rows (one transaction); optionally retire this origin's others."""
    stamp = iso(now)
    conn = db.conn
    conn.execute("BEGIN IMMEDIATE")
    try:
        existing = {
            r[0]: r[1:]
            for r in conn.execute(
                f"SELECT id, status, {', '.join(_TEXT_FIELDS)} FROM cards WHERE id IN "
                "(SELECT value FROM json_each(?))",
                [json.dumps([r["id"] for r in rows])],
            )
        }
        inserts, updates = [], []
        for row in rows:
            old = existing.get(row["id"])
            if old is None:
                card = new_fsrs_card(row["id"], now)
                inserts.append(
                    {
                        **row,
                        "fsrs_id": fsrs_id(row["id"]),
                        "status": "active",
                        "created_at": stamp,
                        "updated_at": stamp,
                        "state": int(card.state),
                        "step": card.step,
                        "due": iso(card.due),
                        "fsrs": json.dumps(card.to_dict()),
                    }
                )
                report.added += 1
                continue
            status, *old_fields = old
            changed = list(old_fields) != [row[f] for f in _TEXT_FIELDS]
            if status != "active":
                report.reactivated += 1
            elif changed:
                report.updated += 1
            else:
                report.unchanged += 1
                continue
            updates.append([*(row[f] for f in _TEXT_FIELDS), origin, stamp, row["id"]])
        if inserts:
            cols = list(inserts[0])
            conn.executemany(
                f"INSERT INTO cards ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",
                [[r[c] for c in cols] for r in inserts],
            )
        if updates:
            conn.executemany(
                "UPDATE cards SET "
                + ", ".join(f"{f} = ?" for f in _TEXT_FIELDS)
                + ", origin = ?, status = 'active', retired_at = NULL, updated_at = ? WHERE id = ?",
                updates,
            )
        if retire_missing:
            cur = conn.execute(
                "UPDATE cards SET status = 'retired', retired_at = ?, updated_at = ? "
                "WHERE origin = ? AND status = 'active' "
                "AND id NOT IN (SELECT value FROM json_each(?))",
                [stamp, stamp, origin, json.dumps([r["id"] for r in rows])],
            )
            report.retired += cur.rowcount
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise


def sync_cards(
    db: sqlite_utils.Database,
    course: Course,
    origin: str = "course",
    *,
    now: datetime | None = None,
    encoder: Encoder | None = None,
    force: bool = False,
) -> SyncReport:
    """Make the cards of `origin` match `course` (see the module docstring)."""
    now = now or utcnow()
    report = SyncReport(origin)
    fingerprint = course_fingerprint(course)
    setting = f"cards.fingerprint.{origin}"
    if not force and get_setting(db, setting) == fingerprint:
        report.skipped = True
        return report

    specs: list[CardSpec] = []
    terms: dict[str, str] = {}
    lesson_order: dict[str, int] = {}
    for lesson in course.lessons:
        lesson_specs = generate_cards(lesson, origin)
        specs.extend(lesson_specs)
        lesson_order[lesson.id] = lesson.order
        for spec in lesson_specs:
            if spec.source == "gen-mcq" and spec.term:
                terms.setdefault(spec.term, spec.answer)
        for term, definition in (lesson.key_terms or {}).items():
            terms.setdefault(term, clean_markdown(definition))
    # definitions for note terms come from their explanation ("term: definition")
    for spec in specs:
        if spec.source == "gen-mcq" and spec.term:
            terms[spec.term] = spec.explanation.split(": ", 1)[-1]

    seen: set[str] = set()
    unique = []
    for spec in specs:
        if spec.id not in seen:
            seen.add(spec.id)
            unique.append(spec)
    unique = _fill_mcq_choices(db, unique, terms, encoder)
    rows = [_row(s, origin, lesson_order.get(s.lesson_id, 0)) for s in unique]
    upsert_rows(db, rows, origin, now, retire_missing=True, report=report)
    set_setting(db, setting, fingerprint)
    return report


def sync_bundled(db: sqlite_utils.Database, **kwargs) -> SyncReport:
    """Sync the cards of the bundled course in `content/`."""
    from tutor import paths
    from tutor.course import load_course

    return sync_cards(db, load_course(paths.content_dir()), "course", **kwargs)


def sync_library(db: sqlite_utils.Database, **kwargs) -> SyncReport | None:
    """Sync generated cards for the learner's indexed notes (None when there are none)."""
    try:
        from tutor.library import library_course, roots
    except ImportError:
        return None
    course = library_course() if roots() else Course(root=Path("."), lessons=[], errors=[])
    return sync_cards(db, course, "library", **kwargs)
