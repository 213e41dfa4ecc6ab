"""Answer a question from the course: the best few sentences, with their sources.

Answers are extractive on purpose: every sentence shown is a sentence of the
course, so it can be cited to `file:line` and cannot be invented. When even the
best passage is far from the question, the honest answer is "not in the
course", with the nearest lessons as a suggestion.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from tutor.errors import TutorError
from tutor.index import IndexStore, Progress, open_course_index
from tutor.search import Hit, Searcher, query_terms

# A question is in scope when its best passage or sentence reaches this cosine.
# Chosen on bench/data (bench/bench_retrieval.py prints the sweep).
IN_SCOPE_MIN = 0.40
MAX_QUESTION_CHARS = 1000
ANSWER_SENTENCES = 3
ANSWER_WORDS = 90


@dataclass
class Source:
    chunk_id: str
    lesson_id: str
    lesson: str
    section_id: str
    section: str
    text: str
    score: float
    path: str
    line: int

    @classmethod
    def from_hit(cls, hit: Hit) -> Source:
        return cls(
            chunk_id=hit.chunk_id,
            lesson_id=hit.lesson_id,
            lesson=hit.lesson_title,
            section_id=hit.section_id,
            section=hit.heading,
            text=hit.text,
            score=round(max(hit.dense, hit.sentence), 4),
            path=hit.path,
            line=hit.line,
        )

    @property
    def citation(self) -> str:
        return f"{self.lesson} › {self.section} ({self.path}:{self.line})"


@dataclass
class Answer:
    question: str
    answer: str
    in_scope: bool
    sources: list[Source] = field(default_factory=list)
    suggestions: list[Source] = field(default_factory=list)  # nearest lessons, when out of scope

    def to_dict(self) -> dict:
        keys = ("lesson_id", "lesson", "section", "text", "score", "path", "line")
        return {
            "question": self.question,
            "answer": self.answer,
            "in_scope": self.in_scope,
            "sources": [{k: asdict(s)[k] for k in keys} for s in self.sources],
            "suggestions": [
                {"lesson_id": s.lesson_id, "lesson": s.lesson} for s in self.suggestions
            ],
        }


def check_question(question: str) -> str:
    question = " ".join(question.split())
    if not question:
        raise TutorError('the question is empty: ask something, e.g. tutor ask "what is dropout?"')
    if len(question) > MAX_QUESTION_CHARS:
        raise TutorError(
            f"the question is {len(question)} characters long; the limit is {MAX_QUESTION_CHARS}"
        )
    return question


class Answerer:
    """The loaded model and indexes; `ask` is cheap once this exists."""

    def __init__(self, stores: list[IndexStore]):
        self.searcher = Searcher(stores)

    @classmethod
    def load(
        cls,
        progress: Callable[[str], None] | None = None,
        course_dir: Path | None = None,
        index_progress: Progress | None = None,
    ) -> Answerer:
        """Load the model and the indexes (seconds: call it from a worker in the TUI)."""
        from tutor import embed, library

        say = progress or (lambda _msg: None)
        say("loading the language model")
        embed.get_model()
        say("opening the course index")
        stores = [open_course_index(course_dir, progress=index_progress, notice=say)]
        mine = library.open_library_index()
        if mine is not None:
            stores.append(mine)
        answerer = cls(stores)
        answerer.ask("warm up")  # first FAISS/torch call allocates; pay it here
        say("ready")
        return answerer

    def ask(self, question: str, mode: str = "hybrid+sentence") -> Answer:
        from tutor import embed

        question = check_question(question)
        qvec = embed.encode([question])[0]
        hits = self.searcher.search(question, qvec, k=5, mode=mode)
        best = max((max(h.dense, h.sentence) for h in hits), default=0.0)
        if not hits or best < IN_SCOPE_MIN or not query_terms(question):
            return self._not_covered(question, hits)
        return self._compose(question, qvec, hits, best)

    def _not_covered(self, question: str, hits: list[Hit]) -> Answer:
        nearest: dict[str, Source] = {}
        for hit in sorted(hits, key=lambda h: -h.dense):
            nearest.setdefault(hit.lesson_id, Source.from_hit(hit))
        suggestions = list(nearest.values())[:3]
        text = "That isn't covered in the course."
        if suggestions:
            text += " The nearest lessons are: " + "; ".join(s.lesson for s in suggestions) + "."
        return Answer(question, text, False, [], suggestions)

    def _compose(self, question: str, qvec, hits: list[Hit], best: float) -> Answer:
        """Pick the sentences of the top passages that best match the question."""
        relevant = [h for h in hits if max(h.dense, h.sentence) >= max(IN_SCOPE_MIN, best - 0.2)]
        top = relevant[:3]
        scored = []  # (similarity, hit rank, position, text)
        for store in {id(h.store): h.store for h in top}.values():
            mine = {h.rowid: (rank, h) for rank, h in enumerate(top) if h.store is store}
            rows, vectors = store.vectors_for("sentences", "chunk_rowid", list(mine))
            for (_, chunk_rowid, pos, text), sim in zip(rows, vectors @ qvec, strict=True):
                rank, _ = mine[chunk_rowid]
                scored.append((float(sim) - 0.03 * rank, rank, pos, text))
        scored.sort(reverse=True)
        chosen, words = [], 0
        floor = scored[0][0] - 0.12 if scored else 0.0
        for sim, rank, pos, text in scored:
            if len(chosen) == ANSWER_SENTENCES or (
                chosen and (sim < floor or words > ANSWER_WORDS)
            ):
                break
            chosen.append((rank, pos, text))
            words += len(text.split())
        chosen.sort()  # read in course order: passage by passage, sentence by sentence
        answer = " ".join(text for _, _, text in chosen) or top[0].text
        used = {rank for rank, _, _ in chosen} or {0}
        sources = [Source.from_hit(h) for i, h in enumerate(top) if i in used]
        sources += [Source.from_hit(h) for i, h in enumerate(relevant) if i not in used][:2]
        sources.sort(key=lambda s: -s.score)
        return Answer(question, answer, True, sources)


_default: Answerer | None = None
_lock = threading.Lock()


def get_answerer(progress: Callable[[str], None] | None = None) -> Answerer:
    """The process-wide answerer, loaded on first use."""
    global _default
    with _lock:
        if _default is None:
            _default = Answerer.load(progress)
    return _default
