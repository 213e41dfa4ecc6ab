"""Errors a user can cause. The CLI prints them as one line, never a traceback."""


class TutorError(Exception):
    """An expected problem, with a message that says what and where."""
