"""Shared pieces for the TUI tests: a small course on disk and helpers to drive the app.

The course here is written for the tests (its titles and text carry Rich markup
that must show literally); the chat test uses the bundled course instead, since
it needs the real model and the real index.
"""

from __future__ import annotations

import asyncio
import html
import re
from pathlib import Path

import pytest

MARKUP = "[bold]not bold[/] and [link=x]not a link"

LESSON_1 = f"""---
id: alpha
title: "Alpha {MARKUP}"
objectives:
  - Say what an alpha is
prerequisites: []
key_terms:
  alpha: The first letter.
---

Alpha comes first.

## What is alpha?

Alpha is the first letter of the Greek alphabet. Literal text: {MARKUP}.

## Why alpha matters

Because it comes first, alpha is often used for the first of anything.

## Alpha in practice

In practice alpha names a learning rate in many papers.
"""

LESSON_2 = """---
id: beta
title: Beta and the second place
objectives:
  - Say what a beta is
prerequisites: [alpha]
key_terms:
  beta: The second letter.
---

Beta comes second.

## What is beta?

Beta is the second letter of the Greek alphabet.

## Beta in software

A beta release is a version that is nearly finished.
"""


def write_course(root: Path) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "01-alpha.md").write_text(LESSON_1, encoding="utf-8")
    (root / "02-beta.md").write_text(LESSON_2, encoding="utf-8")
    return root


def tui_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    """(course dir, data dir) in tmp_path, with TUTOR_HOME pointing at the data dir."""
    data = tmp_path / "home"
    data.mkdir()
    monkeypatch.setenv("TUTOR_HOME", str(data))
    return write_course(tmp_path / "course"), data


def make_app(course: Path | None, data: Path, **kwargs):
    from tui.app import TutorApp

    kwargs.setdefault("load_model", False)
    kwargs.setdefault("stream_delay", 0.0)
    return TutorApp(course, data, **kwargs)


async def ready(pilot) -> None:
    """Wait until the course, the store and the first card sync are done, and the screen
    has settled."""
    await asyncio.wait_for(pilot.app.data_ready.wait(), 60)
    await asyncio.wait_for(pilot.app.cards_ready.wait(), 120)
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def wait_for(pilot, condition, timeout: float = 60.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() > deadline:
            raise AssertionError("condition not met in time")
        await pilot.pause(0.05)


def screen_text(app) -> str:
    """The visible screen as plain text (from the SVG screenshot)."""
    svg = app.export_screenshot()
    texts = re.findall(r"<text[^>]*>(.*?)</text>", svg, flags=re.S)
    return html.unescape("".join(texts)).replace("\xa0", " ")


def test_fixture_course_loads(tmp_path):
    from tutor.course import load_course

    course = load_course(write_course(tmp_path / "c"))
    assert [ls.id for ls in course.lessons] == ["alpha", "beta"]
    assert not course.errors
