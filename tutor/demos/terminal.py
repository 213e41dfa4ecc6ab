"""Run a demo in the terminal for `tutor demo`: a live rich view, or one JSON object.

The demo runs in a worker thread so that Ctrl+C in the main thread only sets the
cancel flag: the demo then stops at its next step and still reports its metrics.
"""

from __future__ import annotations

import json
import queue
import threading
from typing import Any

from rich.console import Console
from rich.live import Live
from rich.text import Text

from tutor.demos import DEMOS, DemoResult, get_demo, run_demo
from tutor.demos.device import pick_device
from tutor.demos.events import Event
from tutor.demos.render import DemoView, metrics_table


def demo_list() -> list[dict[str, str]]:
    return [
        {"name": d.name, "title": d.title, "lesson": d.lesson_id, "summary": d.summary}
        for d in DEMOS.values()
    ]


def run_in_terminal(name: str, *, as_json: bool = False, **kwargs: Any) -> DemoResult:
    """Run demo `name` to the end (Ctrl+C cancels it cleanly) and print the result."""
    demo = get_demo(name)
    pick_device(kwargs.get("device"))  # a device this machine lacks: error before drawing
    cancel = threading.Event()
    inbox: queue.Queue[Any] = queue.Queue()

    def work() -> None:
        try:
            inbox.put(run_demo(name, on_event=inbox.put, cancel=cancel, **kwargs))
        except BaseException as exc:  # handed to the main thread, re-raised there
            inbox.put(exc)

    view = DemoView(name, demo.title)
    console = Console()
    err = Console(stderr=True)
    worker = threading.Thread(target=work, name=f"demo-{name}", daemon=True)
    result: DemoResult | None = None
    live = None if as_json else Live(view, console=console, refresh_per_second=6)
    try:
        if live is not None:
            live.start()
        worker.start()
        while result is None:
            try:
                item = inbox.get(timeout=0.2)
            except queue.Empty:
                continue
            except KeyboardInterrupt:
                cancel.set()
                err.print("Stopping the demo…")
                continue
            if isinstance(item, BaseException):
                raise item
            if isinstance(item, Event):
                view.update(item)
            else:
                result = item
    finally:
        if live is not None:
            live.stop()
            if not console.is_terminal:
                console.print()

    if as_json:
        print(json.dumps(result.to_json()))
    else:
        console.print(metrics_table(result.metrics))
        status = "cancelled" if result.cancelled else "finished"
        console.print(
            Text.assemble(f"{status} in {result.seconds:.1f} s on ", (view.device, "bold yellow"))
        )
    return result
