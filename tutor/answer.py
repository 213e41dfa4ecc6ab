"""Answer a question from the course: the best few sentences, with their sources.

Answers are extractive on purpose: every sentence shown is a sentence of the
course, so it can be cited to `file:line` and cannot be invented. When even the
best passage is far from the question, the honest answer is "not in the
course", with the nearest lessons as a suggestion. A question is in scope when
some index has a passage close enough to it *and* that index's scope model
(tutor/scope.py) claims it: closeness alone lets "the plot of the movie
Transformers" through on one shared word.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from tutor.chunking import chunk_id, chunk_number
from tutor.errors import TutorError
from tutor.index import IndexStore, Progress, open_course_index
from tutor.search import Hit, Searcher, query_terms
from tutor.text import is_unicode, strip_strong

# A question can be in scope only when its best passage or sentence reaches this
# cosine. Chosen on bench/data (bench/bench_retrieval.py prints the sweep).
IN_SCOPE_MIN = 0.40
MAX_QUESTION_CHARS = 1000
ANSWER_SENTENCES = 3
ANSWER_WORDS = 45  # keep adding the sentences that follow until this many words


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
            section=section_label(hit.lesson_title, hit.heading),
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


def section_label(lesson: str, heading: str) -> str:
    """The heading path below the lesson, each part once.

    A note's one section is named after its title, so "Sub note › Sub note" under the
    lesson "Sub note" was shown as "Sub note › Sub note › Sub note".
    """
    parts: list[str] = []
    for part in heading.split(" › "):
        part = part.strip()
        if part and (parts[-1] if parts else lesson).casefold() != part.casefold():
            parts.append(part)
    return " › ".join(parts) or heading.split(" › ")[-1].strip() or lesson


def check_question(question: str) -> str:
    if not is_unicode(question):
        raise TutorError("the question is not valid UTF-8 text; type it again or fix its encoding")
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

    def __init__(self, stores: list[IndexStore], warnings: list[str] | None = None):
        self.searcher = Searcher(stores)
        # What the answers leave out and why (a damaged notes index): the faces show
        # these once, since "not covered" would otherwise hide a broken library.
        self.warnings: list[str] = list(warnings or [])

    @classmethod
    def load(
        cls,
        progress: Callable[[str], None] | None = None,
        course_dir: Path | None = None,
        index_progress: Progress | None = None,
        notice: Callable[[str], None] | None = None,
    ) -> Answerer:
        """Load the model and the indexes (seconds: call it from a worker in the TUI).

        `notice` hears of long, unusual work (a damaged course index being rebuilt,
        about a minute), which `progress`'s step-by-step messages may not reach.
        """
        from tutor import embed, library

        say = progress or (lambda _msg: None)
        say("loading the language model")
        embed.load()
        say("opening the course index")
        stores = [open_course_index(course_dir, progress=index_progress, notice=notice or say)]
        mine = library.open_library_index()
        warnings = []
        if mine is not None:
            stores.append(mine)
        elif (why := library.library_problem()) is not None:
            warnings.append(
                f"your notes index is not used ({why}): answers come from the course only; "
                "run `tutor index` to rebuild it"
            )
        answerer = cls(stores, warnings)
        answerer.ask("warm up")  # first FAISS/ONNX call allocates; pay it here
        say("ready")
        return answerer

    def ask(self, question: str, mode: str = "hybrid+sentence") -> Answer:
        from tutor import embed

        question = check_question(question)
        qvec = embed.encode([question])[0]
        hits = self.searcher.search(question, qvec, k=5, mode=mode)
        if not self.in_scope(question, qvec, hits):
            return self._not_covered(question, hits)
        best = max(max(h.dense, h.sentence) for h in hits)
        return self._compose(question, qvec, hits, best)

    @staticmethod
    def in_scope(question: str, qvec, hits: list[Hit]) -> bool:
        """Some index has a passage close enough, and its scope model claims the question."""
        if not query_terms(question):
            return False
        for store in {id(h.store): h.store for h in hits}.values():
            best = max(max(h.dense, h.sentence) for h in hits if h.store is store)
            if best < IN_SCOPE_MIN:
                continue
            if store.scope is None or store.scope.claims(qvec, best - IN_SCOPE_MIN):
                return True
        return False

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
        """Quote the section of the best hit: its lead, then the best sentence on.

        Lessons state a point at the top of a section and explain it below, so the
        answer opens with the section's lead sentence when that is nearly as close
        to the question as the best sentence, then reads on from the best sentence.
        (Choosing the section by summed evidence over several hits measured worse
        on bench/data: 0.667 vs 0.704 of answers drawn from the target section.)
        """
        relevant = [h for h in hits if max(h.dense, h.sentence) >= max(IN_SCOPE_MIN, best - 0.2)]
        top = relevant[0]
        mine = [
            h
            for h in relevant
            if (h.store, h.lesson_id, h.section_id) == (top.store, top.lesson_id, top.section_id)
        ]
        by_rowid = {h.rowid: h for h in mine}
        rows, vectors = top.store.vectors_for("sentences", "chunk_rowid", list(by_rowid))
        sentences = sorted(
            (_chunk_number(by_rowid[chunk]), pos, text, float(sim), by_rowid[chunk])
            for (_, chunk, pos, text), sim in zip(rows, vectors @ qvec, strict=True)
        )
        chosen: list[tuple[str, Hit]] = []
        if sentences:
            # A short sentence ("Dropout behaves differently in the two modes.") often
            # matches a question's words well but says little on its own.
            start = max(
                range(len(sentences)),
                key=lambda i: sentences[i][3] - (0.06 if len(sentences[i][2].split()) < 8 else 0.0),
            )
            lead = self._lead_sentence(top, qvec)
            if lead and lead[0] != sentences[start][2] and lead[1] >= sentences[start][3] - 0.2:
                chosen.append((lead[0], by_rowid.get(lead[2].rowid, lead[2])))
            for _, _, text, _, hit in sentences[start:]:
                words = sum(len(t.split()) for t, _ in chosen)
                if chosen and (len(chosen) == ANSWER_SENTENCES or words >= ANSWER_WORDS):
                    break
                if all(text != t for t, _ in chosen):
                    chosen.append((text, hit))
        text = " ".join(strip_strong(t) for t, _ in chosen) or top.text  # a code-only passage
        quoted = sorted({id(h): h for _, h in chosen}.values(), key=_chunk_number) or [top]
        sources = [
            replace(
                Source.from_hit(quoted[0]),
                text="\n\n".join(h.text for h in quoted),
                score=round(max(max(h.dense, h.sentence) for h in quoted), 4),
            )
        ]
        seen = {(top.lesson_id, top.section_id)}
        for hit in relevant:
            if (hit.lesson_id, hit.section_id) not in seen and len(sources) < 3:
                seen.add((hit.lesson_id, hit.section_id))
                sources.append(Source.from_hit(hit))
        return Answer(question, text, True, sources)

    @staticmethod
    def _lead_sentence(top: Hit, qvec) -> tuple[str, float, Hit] | None:
        """The first sentence of top's section, its similarity, and its passage as a Hit."""
        import numpy as np

        row = top.store.first_sentence(chunk_id(top.lesson_id, top.section_id, 0))
        if row is None:
            return None
        sim = float(np.frombuffer(row[1], dtype=np.float32) @ qvec)
        passage = replace(
            top,
            rowid=row[2],
            chunk_id=row[3],
            heading=row[4],
            text=row[5],
            line=row[6],
            dense=float(np.frombuffer(row[7], dtype=np.float32) @ qvec),
            sentence=sim,
        )
        return row[0], sim, passage


def _chunk_number(hit: Hit) -> int:
    return chunk_number(hit.chunk_id)
