"""Thread workers the app can wait for before it closes the database.

A thread worker cannot be interrupted: Textual cancels its task at exit, but the
thread runs on. Closing the SQLite connection under one (a card sync still
writing when a test's app shut down) crashed the whole process. So every
thread worker of the app and its screens is made with `thread_work`, which
counts the runs in flight; `TutorApp.on_unmount` waits for the count to reach
zero before it closes the connection.
"""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Callable
from typing import Any

from textual import work


class InFlight:
    """How many tracked worker threads are running now."""

    def __init__(self) -> None:
        self._count = 0
        self._idle = threading.Condition()

    def __enter__(self) -> None:
        with self._idle:
            self._count += 1

    def __exit__(self, *exc: object) -> None:
        with self._idle:
            self._count -= 1
            self._idle.notify_all()

    def idle(self) -> bool:
        with self._idle:
            return self._count == 0


IN_FLIGHT = InFlight()  # one per process: apps in tests come and go, threads outlive them


def thread_work(group: str) -> Callable:
    """`@work(thread=True, exclusive=True, exit_on_error=False, group=group)`, counted."""

    def decorate(method: Callable) -> Callable:
        @functools.wraps(method)
        def run(*args: Any, **kwargs: Any) -> Any:
            with IN_FLIGHT:
                return method(*args, **kwargs)

        return work(thread=True, exclusive=True, group=group, exit_on_error=False)(run)

    return decorate


async def wait_idle(timeout: float) -> bool:
    """Wait (without blocking the event loop) until no tracked thread runs."""
    import asyncio

    deadline = time.monotonic() + timeout
    while not IN_FLIGHT.idle():
        if time.monotonic() >= deadline:
            return False
        await asyncio.sleep(0.02)
    return True
