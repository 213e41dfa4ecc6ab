"""A learner's own notes: incremental indexing and answers drawn from them."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from tutor.answer import Answerer
from tutor.cli import cli
from tutor.errors import TutorError
from tutor.library import library_course, open_library_index, update_library
from tutor.scope import everyday_questions


@pytest.fixture
def notes(tmp_path):
    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "finches.md").write_text(
        "# Zebra finches\n\n## Song\n\nMale zebra finches learn their courtship song from "
        "their father during the first ninety days of life, then sing it unchanged.\n"
    )
    (folder / "kettles.txt").write_text(
        "A kettle whistles because steam forces its way through a narrow hole.\n"
    )
    (folder / "tides.md").write_text(
        "# Tides\n\nThe moon's gravity raises two tidal bulges on the oceans.\n"
    )
    return folder


def test_incremental_updates(notes):
    first = update_library([notes])
    assert (first.added, first.updated, first.removed, first.unchanged) == (3, 0, 0, 0)
    assert first.chunks >= 3

    again = update_library([])
    assert (again.added, again.updated, again.removed, again.unchanged, again.chunks) == (
        0,
        0,
        0,
        3,
        0,
    )

    (notes / "kettles.txt").write_text("A kettle boils water with an electric element.\n")
    (notes / "tides.md").unlink()
    changed = update_library([])
    assert (changed.added, changed.updated, changed.removed, changed.unchanged) == (0, 1, 1, 1)
    assert changed.chunks == 1  # only the changed file was embedded

    answerer = Answerer.load()
    answer = answerer.ask("how do young zebra finches learn to sing?")
    assert answer.in_scope and answer.sources[0].path.endswith("finches.md")
    assert answer.sources[0].line == 5
    assert not any(s.path.endswith("tides.md") for s in answerer.ask("what causes tides").sources)
    assert {ls.title for ls in library_course().lessons} == {"Zebra finches", "Kettles"}


def test_notes_on_an_everyday_topic_answer_its_questions(tmp_path):
    """The scope model's everyday questions include cooking; notes about cooking
    still answer a cooking question, and the everyday question they cover is not
    used as a negative when the notes' scope model is fitted."""
    folder = tmp_path / "kitchen"
    folder.mkdir()
    (folder / "roasting.md").write_text(
        "# Roasting\n\nRoast a whole chicken at 200 degrees for about twenty minutes per "
        "500 grams plus twenty minutes, until the juices run clear.\n"
    )
    update_library([folder])
    store = open_library_index()
    assert store.scope.negatives < len(everyday_questions())
    answer = Answerer.load().ask("how long do I roast a whole chicken at 200 degrees")
    assert answer.in_scope and answer.sources[0].path.endswith("roasting.md")


def test_bad_files_are_reported_and_the_rest_indexed(notes):
    (notes / "binary.md").write_bytes(b"\xff\xfe\x00 not text")
    (notes / "empty.txt").write_text("  \n")
    report = update_library([notes])
    assert report.added == 3
    errors = sorted(str(e) for e in report.errors)
    assert errors[0].endswith("binary.md:1: not UTF-8 text")
    assert errors[1].endswith("empty.txt:1: file is empty")


def test_missing_folder_is_a_one_line_error(tmp_path):
    with pytest.raises(TutorError, match="no such folder"):
        update_library([tmp_path / "nope"])
    (tmp_path / "file.md").write_text("x")
    with pytest.raises(TutorError, match="not a folder"):
        update_library([tmp_path / "file.md"])


def test_cli_index(notes, tmp_path):
    runner = CliRunner()
    result = runner.invoke(cli, ["index", str(notes)])
    assert result.exit_code == 0, result.output
    assert "3 added" in result.stdout
    assert "Cards: library:" in result.stdout and " new," in result.stdout
    result = runner.invoke(cli, ["index"])
    assert "3 unchanged (0 chunks embedded)" in result.stdout
    result = runner.invoke(cli, ["index", str(tmp_path / "missing")])
    assert result.exit_code == 1 and "no such folder" in result.stderr
