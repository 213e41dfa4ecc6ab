"""Shared bits of the benches: repo on sys.path, percentiles, writing results."""

from __future__ import annotations

import json
import platform
import statistics
import sys
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def pct(values: list[float], p: float) -> float:
    """The p-th percentile (0-100) of values, by linear interpolation."""
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(p) - 1]


def write_results(name: str, payload: dict) -> Path:
    """Write bench/results/NAME.json with the machine it ran on."""
    import os

    payload = {
        "bench": name,
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        **payload,
    }
    out = ROOT / "bench" / "results" / f"{name}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {out.relative_to(ROOT)}")
    return out


def run_at(rev: str, args: list[str], stdin: str) -> str | None:
    """stdout of `python ARGS` run on the code of commit `rev` (a temporary git worktree),
    for a baseline measured in the same run as the code it is compared with; None
    (and why, on stderr) when the worktree cannot be made."""
    import os
    import subprocess
    import tempfile

    tree = Path(tempfile.mkdtemp(prefix="bench-baseline-")) / "tree"
    made = subprocess.run(
        ["git", "-C", str(ROOT), "worktree", "add", "--detach", str(tree), rev],
        capture_output=True,
        text=True,
    )
    if made.returncode:
        print(f"no baseline: {made.stderr.strip()}", file=sys.stderr)
        return None
    try:
        return subprocess.run(
            [sys.executable, *args],
            input=stdin,
            capture_output=True,
            text=True,
            cwd=tree,
            env={**os.environ, "PYTHONPATH": str(tree)},
            check=True,
        ).stdout
    finally:
        subprocess.run(
            ["git", "-C", str(ROOT), "worktree", "remove", "--force", str(tree)],
            capture_output=True,
        )
