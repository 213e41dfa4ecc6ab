"""How long `tutor` takes to put its first screen on the terminal.

Each run starts the real entry point (`python -m tutor.cli`, what `tutor` runs)
in a pseudo-terminal of 80x24, with TUTOR_BENCH_FIRST_PAINT set: the app writes
the wall-clock time once the home screen has been painted and exits at once.
The figure is that time minus the moment just before the process was spawned,
so it includes the interpreter's start, every import and the first layout.
For scale, the same run times `python -c "import textual"` (spawn to exit).

Then, unless --no-model, it measures how responsive the UI stays (a 20 ms timer
on the app's event loop records how late each tick fires; p95 and worst) and how
long things take, headless at 80x24, on a fresh data dir and on a returning one:

- launch → model ready (ONNX encoder + index in a worker of the app's process)
  with today's new cards counted on home (the card sync runs without the model);
- grading short answers and asking questions in workers, as the review and chat do;
- a demo training in its child process, as the demos screen runs it;
- the baseline, in the same run: importing sentence-transformers in a worker
  thread, which is what the app did before ONNX Runtime (the stalls it caused are
  why the model used to live in a child process).

    .venv/bin/python bench/bench_startup.py [--runs 7] [--no-model]

Prints a table and writes bench/results/startup.json.
"""

from __future__ import annotations

import argparse
import asyncio
import fcntl
import json
import os
import platform
import pty
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
RESULTS = ROOT / "bench" / "results" / "startup.json"
TARGET_S = 1.0


def _drain(fd: int) -> None:
    try:
        while os.read(fd, 65536):
            pass
    except OSError:
        pass


def first_paint_seconds(home: Path, columns: int = 80, rows: int = 24) -> float:
    """Spawn the app in a pty; seconds from spawn to the first painted home screen."""
    with tempfile.TemporaryDirectory() as tmp:
        mark = Path(tmp) / "painted"
        env = dict(os.environ, TUTOR_HOME=str(home), TUTOR_BENCH_FIRST_PAINT=str(mark))
        env.pop("TEXTUAL", None)
        master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
        reader = threading.Thread(target=_drain, args=(master,), daemon=True)
        reader.start()
        start = time.time()
        proc = subprocess.Popen(
            [sys.executable, "-m", "tutor.cli"],
            stdin=slave,
            stdout=slave,
            stderr=slave,
            env=env,
            cwd=ROOT,
            start_new_session=True,
        )
        os.close(slave)
        try:
            proc.wait(timeout=60)
        finally:
            if proc.poll() is None:
                proc.kill()
            os.close(master)
        if not mark.exists():
            raise RuntimeError(f"the app exited ({proc.returncode}) without painting")
        return float(mark.read_text()) - start


class _Ticks:
    """How late a 20 ms interval fires on the app's loop: the UI's stalls."""

    TICK = 0.02

    def __init__(self, app) -> None:
        self.lateness: list[float] = []
        self.loop = asyncio.get_running_loop()
        self.expected = self.loop.time() + self.TICK
        app.set_interval(self.TICK, self._tick)

    def _tick(self) -> None:
        now = self.loop.time()
        self.lateness.append(max(0.0, now - self.expected))
        self.expected = now + self.TICK

    def mark(self) -> int:
        return len(self.lateness)

    def since(self, mark: int) -> dict[str, float | int | None]:
        values = sorted(self.lateness[mark:])
        if not values:
            return {"ticks": 0, "p95_stall_ms": None, "max_stall_ms": None}
        return {
            "ticks": len(values),
            "p95_stall_ms": round(values[int(len(values) * 0.95)] * 1000, 1),
            "max_stall_ms": round(values[-1] * 1000, 1),
        }


async def _until(pilot, condition, limit: float = 900.0) -> float:
    loop = asyncio.get_running_loop()
    start = loop.time()
    while not condition() and loop.time() - start < limit:
        await pilot.pause(0.02)
    return loop.time() - start


ANSWERS = [
    ("What does dropout do during training?", "it randomly zeroes some activations"),
    ("What does dropout do during training?", "it makes the learning rate smaller"),
    ("Why scale the dot products in attention?", "so the softmax does not saturate"),
    ("What is overfitting?", "memorising the training data so new data does worse"),
    ("What does a pooling layer do?", "It shrinks the feature map."),
]


async def _responsiveness(home: Path, *, demo: bool) -> dict:
    from tui.app import TutorApp

    app = TutorApp(data_dir=home, load_model=True)
    figures: dict = {}
    async with app.run_test(size=(80, 24)) as pilot:
        ticks = _Ticks(app)
        start = ticks.mark()
        ready_s = await _until(
            pilot,
            lambda: (
                app.model_state not in ("idle", "loading")
                and app.summary is not None
                and app.summary.cards
            ),
        )
        figures["launch_to_model_ready_and_cards_s"] = round(ready_s, 2)
        figures["model_state"] = app.model_state
        figures["new_cards_shown"] = app.summary.new if app.summary else None
        figures["while_loading"] = ticks.since(start)

        mark = ticks.mark()
        t0 = time.perf_counter()
        for question, answer in ANSWERS:
            worker = app.run_worker(
                lambda q=question, a=answer: app.tutor.grade(q, q, a), thread=True
            )
            await worker.wait()
        for question, _ in ANSWERS:
            await app.run_worker(lambda q=question: app.tutor.ask(q), thread=True).wait()
        figures["grade_and_ask_10_s"] = round(time.perf_counter() - t0, 2)
        figures["while_grading_and_asking"] = ticks.since(mark)

        if demo:
            from tutor.demos.process import run_in_child

            mark = ticks.mark()
            t0 = time.perf_counter()

            def train() -> int:
                return sum(1 for _ in run_in_child("cnn", quick=True))

            events = await app.run_worker(train, thread=True).wait()
            figures["demo_cnn_quick_in_child_s"] = round(time.perf_counter() - t0, 2)
            figures["demo_events"] = events
            figures["while_a_demo_trains"] = ticks.since(mark)

            # Baseline: what the app did before ONNX Runtime, in a worker thread here.
            mark = ticks.mark()
            t0 = time.perf_counter()
            code = "import sentence_transformers"
            await app.run_worker(lambda: exec(code, {}), thread=True).wait()
            figures["baseline_import_sentence_transformers_in_thread_s"] = round(
                time.perf_counter() - t0, 2
            )
            figures["baseline_while_importing_sentence_transformers"] = ticks.since(mark)
    return figures


def responsiveness(home: Path, *, demo: bool) -> dict:
    os.environ["TUTOR_HOME"] = str(home)
    return asyncio.run(_responsiveness(home, demo=demo))


def command_seconds(code: str) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--no-model", action="store_true", help="skip the model-load stall run")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as home:
        first_paint_seconds(Path(home))  # warm the file cache and create the data dir
        paints, imports, bare = [], [], []
        for _ in range(args.runs):  # interleaved, so load on the machine hits both alike
            bare.append(command_seconds("pass"))
            imports.append(command_seconds("import textual"))
            paints.append(first_paint_seconds(Path(home)))
    stalls = None
    if not args.no_model:
        with tempfile.TemporaryDirectory() as fresh:
            stalls = {"fresh_data_dir": responsiveness(Path(fresh), demo=False)}
            stalls["returning_data_dir"] = responsiveness(Path(fresh), demo=True)

    def summary(values: list[float]) -> dict[str, float]:
        return {
            "median_s": round(statistics.median(values), 3),
            "min_s": round(min(values), 3),
            "max_s": round(max(values), 3),
        }

    result = {
        "benchmark": "tui first paint (spawn of `python -m tutor.cli` to painted home screen)",
        "terminal": "80x24 pty",
        "runs": args.runs,
        "first_paint": summary(paints),
        "python_import_textual": summary(imports),
        "python_bare": summary(bare),
        "first_paint_minus_import_textual_s": round(
            statistics.median(paints) - statistics.median(imports), 3
        ),
        "ui_responsiveness": stalls,
        "target_s": TARGET_S,
        "meets_target": statistics.median(paints) < TARGET_S,
        "machine": {
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "load_average_1m": round(os.getloadavg()[0], 2),
        },
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    print(f"{'':34}{'median':>8}{'min':>8}{'max':>8}")
    for label, key in (
        ("first paint (tutor)", "first_paint"),
        ('python -c "import textual"', "python_import_textual"),
        ('python -c "pass"', "python_bare"),
    ):
        row = result[key]
        print(f"{label:34}{row['median_s']:>8.3f}{row['min_s']:>8.3f}{row['max_s']:>8.3f}")
    if stalls:
        print(json.dumps(stalls, indent=2))
    verdict = "meets" if result["meets_target"] else "MISSES"
    print(f"first paint {verdict} the {TARGET_S:.1f} s target; load average {result['machine']}")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
