"""Shared fixtures. Every test gets its own data dir: none touches the real one."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def tutor_home(tmp_path_factory, monkeypatch) -> Path:
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("TUTOR_HOME", str(home))
    return home


@pytest.fixture(autouse=True)
def learner_zone():
    """The learner's day in UTC for every test, whatever the machine's time zone."""
    from tutor.study import clock

    clock.set_zone("UTC")
    yield
    clock.set_zone("UTC")


LESSON = """\
---
id: {id}
title: {title}
objectives:
  - Understand {title}
prerequisites: []
key_terms:
  {term}: {definition}
---

{title} in brief.

## What is it?

{body}

## An example

{example}
"""

QUIZ = """\
- id: {id}-q1
  type: short
  section: What is it?
  question: What is {term}?
  answer: {definition}
  explanation: See the first section.
"""


def write_lesson(folder: Path, n: int, lesson_id: str, title: str, term: str, definition: str,
                 body: str, example: str) -> Path:  # fmt: skip
    path = folder / f"{n:02d}-{lesson_id}.md"
    fields = dict(
        id=lesson_id, title=title, term=term, definition=definition, body=body, example=example
    )
    path.write_text(LESSON.format(**fields), encoding="utf-8")
    path.with_suffix(".quiz.yaml").write_text(QUIZ.format(**fields), encoding="utf-8")
    return path


@pytest.fixture
def small_course(tmp_path) -> Path:
    """A two-lesson course in the bundled format, small enough to index in a second."""
    folder = tmp_path / "course"
    folder.mkdir()
    write_lesson(
        folder, 1, "dropout", "Dropout", "dropout",
        "Randomly zeroing activations during training.",
        textwrap.dedent("""\
            Dropout is a regularization technique that randomly sets a fraction of a layer's
            activations to zero at every training step. Because no neuron can rely on any other
            being present, the network learns redundant features and overfits less."""),
        "With p = 0.5, about half of the hidden units are switched off in each mini-batch.",
    )  # fmt: skip
    write_lesson(
        folder, 2, "pooling", "Pooling", "max pooling",
        "Keeping the largest value in each window of a feature map.",
        textwrap.dedent("""\
            Max pooling slides a small window over a feature map and keeps only the largest
            value in each window. It shrinks the map, which cuts computation in later layers,
            and makes the features a little more tolerant of small shifts in the image."""),
        "A 2x2 max pool turns a 4x4 feature map into a 2x2 one.",
    )  # fmt: skip
    return folder
