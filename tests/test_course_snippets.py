"""Every ```python runnable block in the course runs on its own and prints something.

A lesson marks a code block as runnable with the fence info string `python runnable`.
Such a block must run standalone on a CPU with torch, numpy and scikit-learn, without
network access, in a few seconds. Each block runs in a fresh interpreter, in an empty
temporary directory, so a block that leans on another block's variables fails here.
Plain ```python blocks are illustrative fragments and are not run.

Starting an interpreter and importing torch takes a few seconds, so the selected
snippets are started together, a few at a time (`TUTOR_SNIPPET_JOBS`, default 2), and
each test then waits for its own result.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

CONTENT = Path(__file__).resolve().parents[1] / "content"
TIMEOUT_S = 60
JOBS = max(1, int(os.environ.get("TUTOR_SNIPPET_JOBS", "2")))


@dataclass(frozen=True)
class Snippet:
    path: Path
    line: int  # 1-based line of the opening fence
    code: str
    closed: bool

    @property
    def where(self) -> str:
        return f"{self.path.name}:{self.line}"


def is_runnable_fence(line: str) -> bool:
    """True for an opening fence whose info string is `python runnable`."""
    stripped = line.strip()
    if not stripped.startswith("```"):
        return False
    words = stripped.lstrip("`").split()
    return len(words) >= 2 and words[0] == "python" and "runnable" in words[1:]


def is_closing_fence(line: str, marker: str, width: int) -> bool:
    """A closing fence is a run of at least `width` fence characters and nothing else."""
    stripped = line.strip()
    return len(stripped) >= width and set(stripped) == {marker}


def find_snippets(text: str, path: Path) -> list[Snippet]:
    """All runnable blocks of one Markdown file, with the line of each opening fence."""
    snippets: list[Snippet] = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        if not line.lstrip().startswith(("```", "~~~")):
            i += 1
            continue
        marker = line.lstrip()[0]
        width = len(line.lstrip()) - len(line.lstrip().lstrip(marker))
        start, body = i, []
        i += 1
        while i < len(lines) and not is_closing_fence(lines[i], marker, width):
            body.append(lines[i])
            i += 1
        closed = i < len(lines)
        if is_runnable_fence(line):
            snippets.append(Snippet(path, start + 1, "\n".join(body) + "\n", closed))
        i += 1  # step past the closing fence
    return snippets


def all_snippets() -> list[Snippet]:
    found: list[Snippet] = []
    for path in sorted(CONTENT.glob("*.md")):
        found.extend(find_snippets(path.read_text(encoding="utf-8"), path))
    return found


SNIPPETS = all_snippets()


def test_the_course_has_runnable_snippets():
    assert len(SNIPPETS) >= 10, [s.where for s in SNIPPETS]


def test_finder_reads_fences_and_line_numbers():
    text = (
        "Intro\n\n```python runnable\nprint(1)\n```\n\n```python\nx = 1\n```\n\n"
        "```text\n```python runnable\n```\n\n```python runnable\nprint(2)\n"
    )
    found = find_snippets(text, Path("x.md"))
    assert [(s.line, s.code, s.closed) for s in found] == [
        (3, "print(1)\n", True),
        (15, "print(2)\n", False),
    ]


@dataclass(frozen=True)
class Outcome:
    returncode: int | None  # None: killed after TIMEOUT_S
    stdout: str
    stderr: str


def run_snippet(snippet: Snippet) -> Outcome:
    """Run one snippet in a fresh interpreter, in an empty temporary directory."""
    env = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "PYTHONHASHSEED": "0"}
    with tempfile.TemporaryDirectory(prefix="snippet-") as tmp:
        script = Path(tmp) / "snippet.py"
        script.write_text(snippet.code, encoding="utf-8")
        try:
            done = subprocess.run(
                [sys.executable, str(script)],
                cwd=tmp,
                env=env,
                capture_output=True,
                text=True,
                timeout=TIMEOUT_S,
            )
        except subprocess.TimeoutExpired as exc:
            return Outcome(None, str(exc.stdout or ""), str(exc.stderr or ""))
    return Outcome(done.returncode, done.stdout, done.stderr)


@pytest.fixture(scope="module")
def outcomes(request):
    """Start every selected snippet at once (JOBS at a time); tests wait on their own."""
    selected = [
        item.callspec.params["snippet"]
        for item in request.session.items
        if item.originalname == "test_snippet_runs" and hasattr(item, "callspec")
    ]
    with ThreadPoolExecutor(max_workers=JOBS) as pool:
        futures: dict[Snippet, Future[Outcome]] = {
            s: pool.submit(run_snippet, s) for s in selected if s.closed
        }
        yield futures
        for future in futures.values():
            future.cancel()


@pytest.mark.parametrize("snippet", SNIPPETS, ids=[s.where for s in SNIPPETS])
def test_snippet_runs(snippet: Snippet, outcomes: dict[Snippet, Future[Outcome]]):
    assert snippet.closed, f"{snippet.where}: the code fence is never closed"
    done = outcomes[snippet].result()
    if done.returncode is None:
        pytest.fail(f"{snippet.where}: still running after {TIMEOUT_S} s\n{done.stderr}")
    if done.returncode != 0:
        pytest.fail(f"{snippet.where}: exit status {done.returncode}\n{done.stderr}")
    assert done.stdout.strip(), f"{snippet.where}: the snippet prints nothing"
