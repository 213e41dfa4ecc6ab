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

import re
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from tutor import ranking
from tutor.errors import TutorError
from tutor.index import IndexStore, Progress, open_course_index
from tutor.search import Hit, Searcher, query_terms
from tutor.text import is_unicode, strip_strong

# A question can be in scope only when its best passage or sentence reaches this
# cosine. Chosen on bench/data (bench/bench_retrieval.py prints the sweep).
IN_SCOPE_MIN = 0.40
MAX_QUESTION_CHARS = 1000
ANSWER_SENTENCES = 3
ANSWER_WORDS = 25  # a lone short unit brings the sentences after it up to this many words
LIST_WORDS = 90  # a list longer than this is quoted around its best item
PASSAGES_QUOTED = 3  # the unit model reads the units of this many passages
MAX_SOURCES = 3
MAX_UNITS = 3  # units the answer is built around (each with what completes it)
# log-odds: a unit is quoted beside the best when this close to it. The unit model's
# second and third choices often hold the fact its first only introduces, and they
# spend the words better than the sentences that follow the first. Chosen on
# sets i and k with rankers not fitted on them (fact in the answer, median words):
# gap 1.5 with 45 words of what follows, 0.746 / 0.799 at 56 words; gap 4 with
# 25, 0.782 / 0.845 at 74-77 words (p90 100-104, about as before).
UNIT_GAP = 4.0
# The scope model's bar, chosen on the two measured sets with models fitted without
# each: 0.5 kept / rejected 0.985 / 0.932 on dev-e and 0.991 / 0.953 on dev-f, and
# 1.0 kept fewer on both at the same rejection (bench/bench_retrieval.py sweeps it).
SCOPE_MIN_LOG_ODDS = 0.5
SOURCE_MIN_LOG_ODDS = -2.0  # a further passage is cited when the model gives it this much


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
    # the question as searched, when it differs: a misspelt word read again, or a
    # follow-up with the previous question's topic
    read_as: str | None = None

    def to_dict(self) -> dict:
        keys = ("lesson_id", "lesson", "section", "text", "score", "path", "line")
        return {
            "question": self.question,
            "answer": self.answer,
            "in_scope": self.in_scope,
            "read_as": self.read_as,
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


# A follow-up leans on the previous question: it opens with a connective ("and
# why?", "what about GRUs?") or has no topic word of its own ("give an example").
FOLLOW_UP_START = re.compile(r"^\s*(and|but|so|also|then|what about|how about)\b", re.IGNORECASE)
FOLLOW_UP_WORDS = frozenset(
    "example examples explain elaborate more detail details simpler simply simple again else "
    "instance mean meant means tell show say give another one please go".split()
)


def follow_up(question: str, previous: str | None) -> str:
    """The question to search: a follow-up carries the previous question's topic.

    "and why?" after "how does dropout work" is searched as "how does dropout
    work and why?"; a question with a topic of its own is searched as it is.
    """
    if not previous:
        return question
    own = [w for w in query_terms(question) if w not in FOLLOW_UP_WORDS]
    if own and not FOLLOW_UP_START.match(question):
        return question
    return f"{previous.rstrip(' ?.!')} {question}"


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

    def ask(self, question: str, mode: str = "learned", previous: str | None = None) -> Answer:
        """Answer `question`; `previous` is the chat's last question, which a
        follow-up ("and why?") takes its topic from."""
        from tutor import embed

        question = check_question(question)
        asked = follow_up(question, previous)
        query = self.read(asked)
        qvec = embed.encode([query])[0]
        hits = self.searcher.search(query, qvec, k=ranking.CANDIDATES, mode=mode)
        corrected = ranking.changed_words(asked, query)
        if not self.in_scope(query, qvec, hits[:5], mode=mode, corrected=corrected):
            found = self._not_covered(question, hits)
        else:
            found = self._compose(question, query, qvec, hits)
        found.read_as = query if query != question else None
        return found

    def read(self, question: str) -> str:
        """The question as searched: misspelt words read as the indexes' nearest words."""
        return ranking.correct(question, [ranking.vocabulary(s) for s in self.searcher.stores])

    @staticmethod
    def in_scope(question: str, qvec, hits: list[Hit], mode: str = "learned", corrected: int = 0):
        """Whether the course (or the notes) answers the question.

        With the learned ranking, the scope model of tutor/ranking.py decides from
        the index's own classifier, the passage model's confidence and how much of
        the question the index knows. Otherwise (the older modes, kept to compare
        in bench/bench_retrieval.py, or no model installed): some index has a
        passage close enough and its own classifier claims the question.
        """
        if not query_terms(question):
            return False
        if mode == "learned":
            odds = ranking.score("scope", ranking.scope_row(question, corrected, qvec, hits))
            if odds is not None:
                return bool(odds[0] >= SCOPE_MIN_LOG_ODDS)
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

    def _compose(self, question: str, query: str, qvec, hits: list[Hit]) -> Answer:
        """Quote the units that carry the answer, from the passages that hold it.

        The passage model orders the candidates and the unit model the sentences
        and list items of the best few (tutor/ranking.py), so a number question
        opens with the sentence holding the numbers, not the section's lead. A
        chosen list item or list introduction brings its whole list; a lone short
        sentence brings the ones after it up to ANSWER_WORDS. The first source is the
        passage quoted; the others are the next passages the model finds
        relevant, at most two from one section, so the learner has other places
        to read.
        """
        passages = hits[:PASSAGES_QUOTED]  # hits come in the passage model's order
        cands = ranking.rank_units(query, ranking.candidates(passages, qvec))
        if not cands:  # a passage of code alone
            return Answer(question, passages[0].text, True, self._sources([passages[0]], hits))
        # The best unit, and the next ones the model rates nearly as high: the
        # fact is often in the sentence after the one that names the topic, or in
        # a second passage when the first only introduces it.
        picked = [c for c in cands[:MAX_UNITS] if c.learned >= cands[0].learned - UNIT_GAP]
        quoted = list({id(c.hit): c.hit for c in picked}.values())
        text = "\n\n".join(
            _quote([c for c in picked if c.hit is hit], [c for c in cands if c.hit is hit])
            for hit in quoted
        )
        return Answer(question, text, True, self._sources(quoted, hits))

    @staticmethod
    def _sources(quoted: list[Hit], ranked: list[Hit]) -> list[Source]:
        sources = [Source.from_hit(h) for h in quoted]
        per_section: dict[tuple[str, str], int] = {}
        for hit in quoted:
            key = (hit.lesson_id, hit.section_id)
            per_section[key] = per_section.get(key, 0) + 1
        for hit in ranked:
            if len(sources) == MAX_SOURCES:
                break
            key = (hit.lesson_id, hit.section_id)
            if any(hit is q for q in quoted) or per_section.get(key, 0) >= 2:
                continue
            if hit.learned < SOURCE_MIN_LOG_ODDS and max(hit.dense, hit.sentence) < IN_SCOPE_MIN:
                continue
            per_section[key] = per_section.get(key, 0) + 1
            sources.append(Source.from_hit(hit))
        return sources


def _quote(picked: list[ranking.Candidate], same_passage: list[ranking.Candidate]) -> str:
    """The picked units of one passage with what completes them, in reading order.

    A list item or a list's introduction brings the whole list (around the item
    when the list is long), and an introduction the short fenced block it leads
    into (a formula); a lone sentence brings the ones after it up to
    ANSWER_WORDS, since a lesson's point is often stated then explained.
    """
    units = sorted((c.unit for c in same_passage), key=lambda u: u.pos)
    chosen: dict[int, ranking.Unit] = {}
    for unit in (c.unit for c in picked):
        if unit.item or unit.intro:
            para = [u for u in units if u.para == unit.para]
            items = [u for u in para if u.item]
            first = items[0].pos if items else unit.pos + 1
            lead = [u for u in para if not u.item and u.pos < first][-1:]
            block = lead + items
            if sum(u.words for u in block) > LIST_WORDS:  # long: the item and its neighbours
                at = next((i for i, u in enumerate(items) if u.pos >= unit.pos), 0)
                block = lead + items[max(0, at - 1) : at + 3]
        else:
            block = [unit]
        chosen.update((u.pos, u) for u in block)
    if len(chosen) == 1:
        (only,) = chosen.values()
        for unit in units:
            words = sum(u.words for u in chosen.values())
            if len(chosen) == ANSWER_SENTENCES or words >= ANSWER_WORDS:
                break
            if unit.pos > only.pos and not unit.item:
                chosen[unit.pos] = unit
    lines: list[str] = []
    previous = None
    for pos in sorted(chosen):
        unit, text = chosen[pos], strip_strong(chosen[pos].text)
        if unit.item:
            lines.append("- " + text)
        elif lines and lines[-1] and not lines[-1].startswith(("- ", " ")) and previous == pos - 1:
            lines[-1] += " " + text
        else:
            lines.append(text)
        if unit.block:  # the formula it introduces, line for line, set apart and indented:
            # plain text in the terminal, a code block (never reflowed) in the chat
            lines += ["", *("    " + ln if ln.strip() else "" for ln in unit.block.splitlines())]
            lines.append("")
        previous = pos
    return "\n".join(lines).strip("\n")
