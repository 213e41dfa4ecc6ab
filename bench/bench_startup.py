"""How long `tutor` takes to put its first screen on the terminal.

Each run starts the real entry point (`python -m tutor.cli`, what `tutor` runs)
in a pseudo-terminal of 80x24, with TUTOR_BENCH_FIRST_PAINT set: the app writes
the wall-clock time once the home screen has been painted and exits at once.
The figure is that time minus the moment just before the process was spawned,
so it includes the interpreter's start, every import and the first layout.
For scale, the same run times `python -c "import textual"` (spawn to exit).

Then, unless --no-model, it measures how responsive the UI stays while the
model loads in its worker (torch + sentence-transformers imports hold the GIL in
long stretches): a 20 ms timer on the app's event loop records how late each
tick fires until the model is ready; the worst and 95th-percentile lateness are
reported.

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


async def _stalls_while_loading(home: Path) -> dict[str, float]:
    from tui.app import TutorApp

    app = TutorApp(data_dir=home, load_model=True)
    lateness: list[float] = []
    tick = 0.02
    async with app.run_test(size=(80, 24)) as pilot:
        loop = asyncio.get_running_loop()
        start = loop.time()
        expected = [loop.time() + tick]

        def on_tick() -> None:
            now = loop.time()
            lateness.append(max(0.0, now - expected[0]))
            expected[0] = now + tick

        app.set_interval(tick, on_tick)
        while app.model_state in ("idle", "loading") and loop.time() - start < 900:
            await pilot.pause(0.1)
        load_s = loop.time() - start
        state = app.model_state
    lateness.sort()
    return {
        "model_state": state,
        "model_load_s": round(load_s, 2),
        "ticks": len(lateness),
        "max_stall_s": round(lateness[-1], 3) if lateness else None,
        "p95_stall_s": round(lateness[int(len(lateness) * 0.95)], 3) if lateness else None,
    }


def stalls_while_loading(home: Path) -> dict[str, float]:
    """Event-loop lateness while the model loads in its worker (headless app)."""
    os.environ["TUTOR_HOME"] = str(home)
    return asyncio.run(_stalls_while_loading(home))


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
        stalls = None if args.no_model else stalls_while_loading(Path(home))

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
        "ui_while_model_loads": stalls,
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
        print(
            f"while the model loads ({stalls['model_load_s']} s, {stalls['model_state']}): "
            f"worst UI stall {stalls['max_stall_s']} s, p95 {stalls['p95_stall_s']} s"
        )
    verdict = "meets" if result["meets_target"] else "MISSES"
    print(f"first paint {verdict} the {TARGET_S:.1f} s target; load average {result['machine']}")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
