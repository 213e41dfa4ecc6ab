"""The quiz: the review loop (`tui.screens.review`) over a quiz's cards.

`QuizScreen(lesson_id=None, section_id=None, cram=False, limit=None)`: ten cards of
the course, of one lesson, or of one section (the lesson reader's and the chat's
"quiz me on this"): due cards first, then new ones, then the least well remembered.
Reviews are recorded and rescheduled like any other (cram: logged only).
"""

from __future__ import annotations

from tui.screens.review import ReviewScreen


class QuizScreen(ReviewScreen):
    MODE = "quiz"
