"""Command palette provider for the course itself: open any lesson or section.

Titles come from the course files, so they are shown as `Content` (never parsed
as markup), and match highlighting is applied to that plain text.
"""

from __future__ import annotations

from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.content import Content
from textual.markup import escape

# A section that matches as well as one of the app's own commands ranks just below it:
# typing "stat" matched "… › What is a hidden state?" as well as "Stats", and the
# section came first.
COURSE_WEIGHT = 0.9


class LessonsProvider(Provider):
    """'Open lesson: …' for every lesson, and 'Lesson › Section' for every section."""

    def _targets(self) -> list[tuple[str, str, str | None, bool]]:
        course = getattr(self.app, "course", None)
        if course is None:
            return []
        targets = []
        for lesson in course.lessons:
            targets.append((f"Open lesson: {lesson.title}", lesson.id, None, True))
            for section in lesson.sections:
                targets.append((f"{lesson.title} › {section.title}", lesson.id, section.id, False))
        return targets

    def _open(self, lesson_id: str, section_id: str | None) -> None:
        self.app.open_lesson(lesson_id, section_id)

    async def discover(self) -> Hits:
        for text, lesson_id, section_id, is_lesson in self._targets():
            if is_lesson:
                yield DiscoveryHit(
                    Content(text), partial(self._open, lesson_id, section_id), text=text
                )

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for text, lesson_id, section_id, _ in self._targets():
            score = matcher.match(text)
            if score > 0:
                # the matcher's highlight() parses markup: give it escaped text
                display = matcher.highlight(escape(text))
                yield Hit(
                    score * COURSE_WEIGHT,
                    display,
                    partial(self._open, lesson_id, section_id),
                    text=text,
                )
