"""The question answerer in a child process, so the UI never waits on torch.

Importing torch and sentence-transformers and loading the model hold Python's
GIL in long stretches (measured: UI stalls of 1-3 s when that ran in a thread of
the app). Here the real `tutor.answer.Answerer` lives in a spawned child
process; the app talks to it over a pipe and never imports anything heavy.

    answerer = RemoteAnswerer.start(course_dir, progress)   # blocks until loaded
    # or: answerer = RemoteAnswerer.spawn(course_dir); answerer.wait_ready(progress)
    answer = answerer.ask("what is dropout?")                # same fields as Answer
    grade = answerer.grade(question, reference, answer_text, kind="short")  # a Grade
    answerer.sync_cards(db_path)                             # card sync needs the model too
    answerer.close()

Grading goes through the child too, so the app holds one copy of the model, and
the review screen never imports torch in the UI's process.

`ask` returns an object with the attributes of `tutor.answer.Answer` (question,
answer, in_scope, sources, suggestions; each source with lesson_id, lesson,
section_id, section, text, score, path, line) and raises `TutorError` with the
child's message for a question it refuses (empty, too long).
"""

from __future__ import annotations

import multiprocessing
import os
import sys
import threading
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

from tutor.errors import TutorError

if TYPE_CHECKING:
    from tutor.grade import Grade


def _answer_to_wire(answer) -> dict[str, Any]:
    data = asdict(answer)
    return {key: data[key] for key in ("question", "answer", "in_scope", "sources", "suggestions")}


def _answer_from_wire(data: dict[str, Any]) -> SimpleNamespace:
    return SimpleNamespace(
        question=data["question"],
        answer=data["answer"],
        in_scope=data["in_scope"],
        sources=[SimpleNamespace(**s) for s in data["sources"]],
        suggestions=[SimpleNamespace(**s) for s in data["suggestions"]],
    )


def _quiet() -> None:
    """The child shares the app's terminal: keep its prints and warnings off it."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    os.close(devnull)


def _serve(conn, course_dir: str | None) -> None:
    """The child: load the Answerer, then answer requests until told to stop."""
    _quiet()
    try:
        from tutor.answer import Answerer

        answerer = Answerer.load(
            progress=lambda message: conn.send(("progress", message)),
            course_dir=Path(course_dir) if course_dir else None,
        )
    except BaseException as exc:  # noqa: BLE001 — reported to the app as one line
        conn.send(("failed", f"{exc.__class__.__name__}: {exc}"))
        return
    conn.send(("ready", None))
    while True:
        try:
            request, argument = conn.recv()
        except (EOFError, OSError):
            return
        if request == "quit":
            return
        try:
            if request == "ask":
                conn.send(("answer", _answer_to_wire(answerer.ask(argument))))
            elif request == "grade":
                from tutor.grade import grade

                conn.send(("graded", grade(**argument).to_dict()))
            elif request == "sync_cards":
                from tutor import store
                from tutor.cards import sync_cards
                from tutor.course import load_course

                db = store.connect(argument["db_path"])
                try:
                    report = sync_cards(db, load_course(argument["course_dir"]))
                finally:
                    db.conn.close()
                conn.send(("synced", str(report)))
            else:
                conn.send(("error", f"unknown request {request!r}"))
        except TutorError as exc:
            conn.send(("refused", str(exc)))
        except Exception as exc:  # noqa: BLE001
            conn.send(("error", f"{exc.__class__.__name__}: {exc}"))


class RemoteAnswerer:
    """A handle on the Answerer in the child process. Calls are serialised."""

    def __init__(self, process, conn) -> None:
        self._process = process
        self._conn = conn
        self._lock = threading.Lock()
        self._ready = False

    @classmethod
    def start(
        cls, course_dir: Path | None = None, progress: Callable[[str], None] | None = None
    ) -> RemoteAnswerer:
        """Spawn the child and wait until its model and index are loaded."""
        answerer = cls.spawn(course_dir)
        answerer.wait_ready(progress)
        return answerer

    @classmethod
    def spawn(cls, course_dir: Path | None = None) -> RemoteAnswerer:
        """Start the child; it loads in the background (see `wait_ready`)."""
        context = multiprocessing.get_context("spawn")
        parent, child = context.Pipe()
        process = context.Process(
            target=_serve,
            args=(child, str(course_dir) if course_dir else None),
            name="tutor-answerer",
            daemon=True,
        )
        # Textual replaces sys.stderr with a capture object whose fileno() is not a
        # real descriptor; multiprocessing hands stderr's descriptor to its helper.
        saved = sys.stderr
        sys.stderr = sys.__stderr__ or saved
        try:
            process.start()
        finally:
            sys.stderr = saved
        child.close()
        return cls(process, parent)

    def wait_ready(self, progress: Callable[[str], None] | None = None) -> None:
        """Block until the child has loaded (or failed: TutorError)."""
        while True:
            try:
                kind, value = self._conn.recv()
            except (EOFError, OSError):
                self._process.join(1)
                raise TutorError(
                    f"the answerer process stopped while loading "
                    f"(exit code {self._process.exitcode})"
                ) from None
            if kind == "progress" and progress:
                progress(value)
            elif kind == "failed":
                self._process.join(1)
                raise TutorError(value)
            elif kind == "ready":
                self._ready = True
                return

    def _call(self, request: str, argument: Any) -> tuple[str, Any]:
        with self._lock:
            try:
                self._conn.send((request, argument))
                return self._conn.recv()
            except (EOFError, OSError, BrokenPipeError):
                raise TutorError("the answerer process has stopped; restart tutor") from None

    def ask(self, question: str) -> SimpleNamespace:
        kind, value = self._call("ask", question)
        if kind == "answer":
            return _answer_from_wire(value)
        raise TutorError(value)

    def grade(self, question: str, reference: str, answer: str, **options: Any) -> Grade:
        """`tutor.grade.grade` (same arguments), run in the child, which has the model."""
        from tutor.grade import Grade

        options = {k: list(v) if isinstance(v, tuple) else v for k, v in options.items()}
        argument = {"question": question, "reference": reference, "answer": answer, **options}
        kind, value = self._call("grade", argument)
        if kind != "graded":
            raise TutorError(value)
        return Grade(**value)

    def sync_cards(self, db_path: Path, course_dir: Path) -> str:
        kind, value = self._call(
            "sync_cards", {"db_path": str(db_path), "course_dir": str(course_dir)}
        )
        if kind != "synced":
            raise TutorError(value)
        return value

    def close(self) -> None:
        """Stop the child (also while it is still loading)."""
        if self._ready and self._process.is_alive() and self._lock.acquire(timeout=0.2):
            try:
                self._conn.send(("quit", None))
            except (OSError, BrokenPipeError):
                pass
            finally:
                self._lock.release()
            self._process.join(1)
        if self._process.is_alive():
            self._process.terminate()
            self._process.join(2)
        self._conn.close()
