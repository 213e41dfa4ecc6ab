"""The ONNX Runtime encoder: same vectors as sentence-transformers, and a cache that is
never used when it is missing, truncated or changed."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import numpy as np
import pytest

from tutor import embed, onnx_cache, paths
from tutor.chunking import chunk_lesson
from tutor.course import load_course


@pytest.fixture(scope="module")
def course_texts() -> list[str]:
    course = load_course(paths.content_dir())
    chunks = [c for lesson in course.lessons[:6] for c in chunk_lesson(lesson)]
    # Short, long (near the 256-piece limit) and mid-length texts, in one batch.
    texts = [c.embed_text for c in chunks[::3]] + ["dropout", "what is adam?", ""]
    return texts


@pytest.mark.slow
def test_onnx_vectors_equal_sentence_transformers(course_texts):
    ours = embed.encode(course_texts)
    reference = embed.load_torch_model().encode(
        course_texts, normalize_embeddings=True, convert_to_numpy=True, batch_size=16
    )
    cosine = (ours * reference).sum(axis=1)
    assert ours.shape == (len(course_texts), embed.DIM)
    assert cosine.min() >= 0.9999, f"lowest cosine {cosine.min():.6f}"
    assert np.allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)


def test_order_and_batching_do_not_change_vectors(course_texts):
    whole = embed.encode(course_texts, batch_size=64)
    small = embed.encode(course_texts[::-1], batch_size=3)[::-1]
    assert np.allclose(whole, small, atol=1e-5)


def test_encoding_loads_no_torch():
    code = (
        "import sys; from tutor import embed; embed.encode(['hello']);"
        "sys.exit(1 if 'torch' in sys.modules or 'sentence_transformers' in sys.modules else 0)"
    )
    assert subprocess.run([sys.executable, "-c", code], timeout=120).returncode == 0


@pytest.fixture
def cache_copy(tmp_path, monkeypatch):
    """A private copy of the built cache, so damaging it cannot hurt other tests."""
    source = onnx_cache.encoder_dir(embed.model_path())
    onnx_cache.ensure_encoder(embed.model_path())
    monkeypatch.setenv("TUTOR_CACHE", str(tmp_path / "cache"))
    target = onnx_cache.encoder_dir(embed.model_path())
    shutil.copytree(source, target)
    shutil.copystat(source / "model.onnx", target / "model.onnx")  # keep the recorded mtime
    return target


def test_a_sound_copy_is_used_as_is(cache_copy):
    assert onnx_cache.problem(cache_copy, full=True) is None


def test_a_truncated_file_is_detected_and_rebuilt(cache_copy):
    model = cache_copy / "model.onnx"
    size = model.stat().st_size
    with model.open("r+b") as fh:
        fh.truncate(size // 2)
    assert "truncated" in onnx_cache.problem(cache_copy)
    said: list[str] = []
    rebuilt = onnx_cache.ensure_encoder(embed.model_path(), said.append)
    assert rebuilt == model and model.stat().st_size == size
    assert onnx_cache.problem(cache_copy, full=True) is None
    assert said and "truncated" in said[0]


def test_a_changed_file_of_the_same_size_is_detected(cache_copy):
    model = cache_copy / "model.onnx"
    with model.open("r+b") as fh:
        fh.seek(model.stat().st_size // 2)
        byte = fh.read(1)
        fh.seek(-1, os.SEEK_CUR)
        fh.write(bytes([byte[0] ^ 0xFF]))
    assert onnx_cache.problem(cache_copy) == "model.onnx was changed since it was built"


def test_a_missing_record_means_not_built(cache_copy):
    (cache_copy / "record.json").unlink()
    assert onnx_cache.problem(cache_copy) == "not built yet"


def test_the_key_follows_the_model_files(tmp_path, monkeypatch):
    monkeypatch.setenv("TUTOR_CACHE", str(tmp_path / "cache"))
    fake = tmp_path / "model"
    fake.mkdir()
    for name in ("config.json", "model.safetensors", "tokenizer.json"):
        (fake / name).write_text(f"{name} v1")
    first = onnx_cache.source_key(fake)
    assert onnx_cache.source_key(fake) == first
    (fake / "config.json").write_text("config.json v2, another model")
    assert onnx_cache.source_key(fake) != first
    assert onnx_cache.encoder_dir(fake).parent == tmp_path / "cache"
