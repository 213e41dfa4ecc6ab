"""Run a demo in a child process and read its events here, so a UI never waits on torch.

Why: importing torch and running a training loop in a thread of the TUI's own
process holds the GIL in long stretches (the UI froze for seconds); a spawned
child has its own interpreter. Events come back over a queue as they happen;
`cancel.set()` here stops the child at its next step, and the child's last event
is always "done" (or an error, raised here as one `TutorError` line).

    for event in run_in_child("cnn", quick=True, cancel=stop):
        view.update(event)
"""

from __future__ import annotations

import multiprocessing
import os
import queue
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from tutor.demos.events import Event
from tutor.errors import TutorError

_DONE = "__done__"
_FAILED = "__failed__"


def _quiet() -> None:
    """The child shares the app's terminal: keep its prints and warnings off it."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    os.close(devnull)


def _child(name: str, options: dict[str, Any], events, stop) -> None:
    _quiet()
    try:
        from tutor.demos import get_demo

        for event in get_demo(name).run(cancel=stop, **options):
            events.put(event)
    except BaseException as exc:  # noqa: BLE001 — reported to the parent as one line
        events.put((_FAILED, f"{exc.__class__.__name__}: {exc}"))
    finally:
        events.put((_DONE, None))


@contextmanager
def _real_stderr():
    """Textual replaces sys.stderr with a capture object whose fileno() is not a real
    descriptor; multiprocessing hands stderr's descriptor to the processes it starts
    (its resource tracker too, when the first queue is made)."""
    saved = sys.stderr
    sys.stderr = sys.__stderr__ or saved
    try:
        yield
    finally:
        sys.stderr = saved


def run_in_child(
    name: str, *, cancel: threading.Event | None = None, **options: Any
) -> Iterator[Event]:
    """The events of demo `name` run in a spawned process (options as for `Demo.run`)."""
    context = multiprocessing.get_context("spawn")
    with _real_stderr():
        events = context.Queue(maxsize=256)
        stop = context.Event()
        process = context.Process(
            target=_child, args=(name, options, events, stop), name=f"demo-{name}", daemon=True
        )
        process.start()
    try:
        while True:
            if cancel is not None and cancel.is_set():
                stop.set()
            try:
                item = events.get(timeout=0.1)
            except queue.Empty:
                if not process.is_alive() and events.empty():
                    raise TutorError(
                        f"the {name} demo stopped unexpectedly (exit code {process.exitcode})"
                    ) from None
                continue
            if isinstance(item, tuple) and item and item[0] == _FAILED:
                raise TutorError(item[1])
            if isinstance(item, tuple) and item and item[0] == _DONE:
                return
            yield item
    finally:
        stop.set()
        process.join(3)
        if process.is_alive():
            process.terminate()
            process.join(2)
        events.close()
