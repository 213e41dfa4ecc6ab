"""Card specs for one lesson: its authored items, then generated cards where they leave gaps.

Pure: no database, no model. Per key term (front matter `key_terms`; for plain
notes, terms are found in the text: bold phrases and "X is a ..." sentences):
- cloze: the term blanked out of its defining sentence in the lesson text;
- definition: "What is X?" with the key term's definition as the reference;
- multiple choice: "Which term matches this definition?"; its distractors are
  picked at sync time (`tutor.cards.distractors`).
A generated kind is skipped for a term the authored items already cover that way.
Every card records the chunk that teaches it, shown after answering.

Card ids are stable across content edits and re-indexing: authored → the item
id (a teacher's own course keeps its item ids too); generated →
`gen-cloze:<lesson>:<term-slug>`, `gen-def:…`, `gen-mcq:…` (the learner's
notes prefix them with `library:`, `prefix` here).
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from functools import lru_cache

from tutor.cards.model import CardSpec
from tutor.chunking import SENTENCE_END, Chunk, chunk_lesson
from tutor.course import Lesson, QuizItem, slugify
from tutor.text import STOPWORDS, clean_markdown, content_words


def shuffled(choices: list[str], card_id: str) -> list[str]:
    """The choices in an order of their own per card, the same every session (seeded by
    the card id), so where the right answer sits in the file never gives it away."""
    order = list(choices)
    random.Random(f"choices:{card_id}").shuffle(order)
    return order


GENERATOR_VERSION = "4"  # bump when generation changes, so unchanged courses re-sync
MAX_NOTE_TERMS = 8  # key terms found per note file


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


@lru_cache(maxsize=4096)
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
    want = content_words(text)
    return max(pool, key=lambda c: (len(want & content_words(c.text)), -pool.index(c)))


_NOTE_BOLD = re.compile(r"\*\*([^*\n]{2,60}?)\*\*")


_NOTE_DEF = re.compile(
    r"^(?:An?|The)?\s*([A-Za-z][\w-]*(?:\s+[\w-]+){0,3}?)\s*(?:\([^)]{1,20}\)\s*)?"
    r"(?:is|are|refers to|means)\s+(?:an?|the|one|any|how|when|what)\b",
)


def note_key_terms(sentences: list[_Sentence]) -> dict[str, str]:
    """Key terms found in a user's plain notes: bold phrases and 'X is a ...' sentences."""
    terms: dict[str, str] = {}
    for sentence in sentences:
        candidates = [m.group(1).strip() for m in _NOTE_BOLD.finditer(sentence.raw)]
        match = _NOTE_DEF.match(sentence.text)
        if match:
            candidates.append(match.group(1).strip())
        for term in candidates:
            term = clean_markdown(term).strip(" .,:;")
            if not term or len(term.split()) > 4 or term.lower() in STOPWORDS:
                continue
            if term.lower() in (t.lower() for t in terms):
                continue
            if not _term_pattern(term).search(sentence.text):
                continue
            terms[term] = sentence.text
            if len(terms) >= MAX_NOTE_TERMS:
                return terms
    return terms


def generate_cards(lesson: Lesson, prefix: str = "") -> list[CardSpec]:
    """Card specs for one lesson: its authored items, then generated cards for gaps."""
    chunks = chunk_lesson(lesson)
    sentences = _sentences(chunks)
    section_index = {s.id: i for i, s in enumerate(lesson.sections)}
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
                choices=shuffled(item.choices, item.id),
                explanation=item.explanation,
                chunk=chunk,
                position=section_index.get(item.section_id, 999) * 1000 + n,
            )
        )

    key_terms = lesson.key_terms or note_key_terms(sentences)
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
                    definition=definition,
                )
            )
    return specs
