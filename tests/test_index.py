"""The index is fresh when shipped, and a stale or damaged one is never used."""

from __future__ import annotations

import json

import pytest

from tutor import paths
from tutor.index import IndexStore, Manifest, content_hash, course_files, open_course_index


def test_bundled_index_is_fresh():
    """Fails when content/ changed without `make index` (run it and commit index/)."""
    store = IndexStore(paths.bundled_index_dir())
    expected = content_hash(course_files(paths.content_dir()), paths.content_dir())
    assert store.problem(expected) is None
    manifest = Manifest.read(paths.bundled_index_dir())
    assert manifest.model_id == "sentence-transformers/all-MiniLM-L6-v2"
    assert manifest.dim == 384
    assert manifest.chunk_count > 200
    assert manifest.scope and store.scope is not None


@pytest.fixture
def built(small_course):
    notices = []
    store = open_course_index(small_course, notice=notices.append)
    assert notices and "no index" in notices[0]
    folder = store.folder
    store.close()
    return small_course, folder


def _reopen(course):
    notices, stages = [], []
    store = open_course_index(
        course, progress=lambda s, d, t: stages.append(s), notice=notices.append
    )
    assert store.problem() is None
    store.close()
    return notices, stages


def test_a_sound_index_is_reused(built):
    course, _ = built
    notices, stages = _reopen(course)
    assert notices == [] and stages == []


@pytest.mark.parametrize(
    "damage, reason",
    [
        (
            lambda f: (f / "vectors.faiss").write_bytes((f / "vectors.faiss").read_bytes()[:100]),
            "damaged",
        ),
        (lambda f: (f / "manifest.json").write_text("{not json"), "manifest unreadable"),
        (lambda f: _edit_manifest(f, model_id="other/model"), "built with model 'other/model'"),
        (lambda f: _edit_manifest(f, dim=768), "dimension 768"),
        (lambda f: _edit_manifest(f, chunk_count=1), "manifest says 1"),
        (lambda f: (f / "chunks.sqlite").write_bytes(b"garbage" * 100), "damaged"),
        (lambda f: (f / "scope.json").write_text("{}"), "scope model unreadable"),
        (lambda f: (f / "scope.json").unlink(), "scope model unreadable"),
    ],
    ids=[
        "truncated-faiss",
        "bad-manifest",
        "wrong-model",
        "wrong-dim",
        "wrong-count",
        "bad-sqlite",
        "bad-scope",
        "no-scope",
    ],
)
def test_a_damaged_index_is_detected_and_rebuilt(built, damage, reason):
    course, folder = built
    damage(folder)
    assert reason in IndexStore(folder).problem()
    notices, stages = _reopen(course)
    assert len(notices) == 1 and reason in notices[0]
    assert "embedding" in stages  # rebuilt with progress reported


def test_an_edited_course_makes_the_index_stale(built):
    course, _ = built
    lesson = course / "01-dropout.md"
    lesson.write_text(lesson.read_text() + "\nOne more sentence about dropout rates.\n")
    notices, _ = _reopen(course)
    assert "stale" in notices[0]


def _edit_manifest(folder, **changes):
    data = json.loads((folder / "manifest.json").read_text())
    data.update(changes)
    (folder / "manifest.json").write_text(json.dumps(data))
