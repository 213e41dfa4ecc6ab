"""The glossary: every key term of the course once, with its definition and where it is taught.

Built from the lessons' front-matter `key_terms` (a term is defined in one lesson,
the first that teaches it); each entry points at the section of that lesson that
teaches it (its title names the term, else it uses the term most, else first), so
"show me" opens the reader at the right place.
`lookup` finds a term by name, ignoring case, and falls back to the closest
names (rapidfuzz) for a typo.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from tutor.course import Course
from tutor.text import clean_markdown


@dataclass(frozen=True)
class Entry:
    term: str
    definition: str
    lesson_id: str
    lesson_title: str
    section_id: str | None
    section_title: str | None

    def to_dict(self) -> dict:
        return {
            "term": self.term,
            "definition": self.definition,
            "lesson_id": self.lesson_id,
            "lesson": self.lesson_title,
            "section_id": self.section_id,
            "section": self.section_title,
        }


def _mentions(term: str, text: str) -> int:
    words = r"[\s-]+".join(re.escape(w) for w in term.split())
    return len(re.findall(rf"(?<![\w-]){words}(?:e?s)?(?![\w-])", text, re.I))


def _teaching_section(term: str, sections: list):
    scored = [
        (100 * bool(_mentions(term, s.title)) + _mentions(term, s.body), -i, s)
        for i, s in enumerate(sections)
    ]
    best = max(scored, key=lambda x: x[:2], default=None)
    return best[2] if best and best[0] > 0 else None


def build(course: Course) -> list[Entry]:
    """One entry per key term (the first lesson that defines it wins), sorted by term."""
    entries: dict[str, Entry] = {}
    for lesson in course.lessons:
        for term, definition in (lesson.key_terms or {}).items():
            key = term.casefold()
            if key in entries:
                continue
            section = _teaching_section(term, lesson.sections)
            entries[key] = Entry(
                term,
                clean_markdown(definition),
                lesson.id,
                lesson.title,
                section.id if section else None,
                section.title if section else None,
            )
    return sorted(entries.values(), key=lambda e: e.term.casefold())


def lookup(entries: list[Entry], query: str, limit: int = 5) -> list[Entry]:
    """The entry named `query` (any case), else up to `limit` close names, best first."""
    wanted = " ".join(query.split()).casefold()
    exact = [e for e in entries if e.term.casefold() == wanted]
    if exact:
        return exact
    from rapidfuzz import fuzz, process

    names = [e.term.casefold() for e in entries]
    found = process.extract(wanted, names, scorer=fuzz.WRatio, limit=limit, score_cutoff=70)
    return [entries[index] for _name, _score, index in found]
