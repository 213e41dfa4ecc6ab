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


def test_deleting_one_note_and_adding_another_keeps_the_bm25_index_true(tmp_path):
    """Regression: FTS5 was written with one heading string and deleted with another, so a
    search for a deleted note's words found the new note and the index was corrupt."""
    from tutor import paths
    from tutor.index import IndexStore

    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "a.md").write_text("# Owls\n\n## Hunting\n\nBarn owls hunt voles by sound.\n")
    (folder / "b.md").write_text(
        "# Zebra finches\n\n## Song\n\nZebra finches copy the song of their father.\n"
    )
    update_library([folder])
    (folder / "b.md").unlink()
    (folder / "c.md").write_text("# Tides\n\nThe moon raises two tidal bulges.\n")
    update_library([])

    store = IndexStore(paths.library_index_dir())
    try:
        assert store.problem() is None
        files = {rowid: store.chunk_rows([rowid])[0][8] for rowid, _ in store.bm25('"zebra"', 10)}
        assert not files, f"a deleted note's words still match: {files}"
        tides = [store.chunk_rows([r])[0][8] for r, _ in store.bm25('"tides" OR "moon"', 10)]
        assert tides and all(f.endswith("c.md") for f in tides)
    finally:
        store.close()


def test_a_damaged_bm25_index_is_reported_not_used(notes):
    import sqlite3

    from tutor import paths
    from tutor.index import IndexStore

    update_library([notes])
    conn = sqlite3.connect(paths.library_index_dir() / "chunks.sqlite")
    # Change a chunk's text behind FTS5's back: the index no longer matches its content.
    conn.execute("UPDATE chunks SET text = 'nothing about finches' WHERE file LIKE '%finches.md'")
    conn.commit()
    conn.close()
    store = IndexStore(paths.library_index_dir())
    try:
        assert store.problem() is not None and "damaged" in store.problem()
    finally:
        store.close()
    assert open_library_index() is None


def test_a_missing_notes_folder_is_kept_with_a_warning(notes, tmp_path):
    update_library([notes])
    moved = tmp_path / "elsewhere"
    notes.rename(moved)
    report = update_library([])
    assert any("not found" in n for n in report.notices)
    assert report.removed == 0
    assert {ls.title for ls in library_course().lessons} == set()  # not readable right now
    moved.rename(notes)
    back = update_library([])
    assert back.removed == 0 and back.added == 0 and back.unchanged == 3
    assert {ls.title for ls in library_course().lessons} >= {"Zebra finches"}


def test_index_with_an_empty_folder_name_is_one_line():
    result = CliRunner().invoke(cli, ["index", ""])
    assert result.exit_code == 1
    assert "empty folder name" in result.output
    assert "Traceback" not in result.output
