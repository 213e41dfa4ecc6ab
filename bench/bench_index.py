"""Index build throughput against raw model throughput, and no-op re-index time.

Both figures are taken in the same run on the same texts, so the ratio holds
even on a noisy shared machine: ratio = (texts/s building the index) /
(texts/s of the bare encoder, `tutor.embed.encode` on ONNX Runtime). Target: >= 0.80.

    .venv/bin/python bench/bench_index.py
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from pathlib import Path

from common import write_results

from tutor import embed, paths
from tutor.chunking import chunk_lesson
from tutor.course import load_course
from tutor.index import IndexStore, build_course_index, content_hash, course_files, sentences_of


def main() -> None:
    course = load_course(paths.content_dir())
    chunks = [c for lesson in course.lessons for c in chunk_lesson(lesson)]
    texts = [c.embed_text for c in chunks] + [s for c in chunks for s in sentences_of(c.text)]
    embed.encode(texts[:64])  # warm up (loads the ONNX session)

    raw_runs, build_runs = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(2):  # interleaved, so drift on a shared machine hits both alike
            t0 = time.perf_counter()
            embed.encode(texts)
            raw_runs.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            build_course_index(course, Path(tmp) / "index")
            build_runs.append(time.perf_counter() - t0)
        raw, build = min(raw_runs), min(build_runs)

        # Freshness check done at every start-up (hash the course, open and verify the index).
        t0 = time.perf_counter()
        store = IndexStore(Path(tmp) / "index")
        assert store.problem(content_hash(course_files(course.root), course.root)) is None
        store.close()
        check_ms = (time.perf_counter() - t0) * 1000

        # The library: first add embeds everything, a second run with no change embeds nothing.
        os.environ["TUTOR_HOME"] = str(Path(tmp) / "home")
        notes = Path(tmp) / "notes"
        shutil.copytree(course.root, notes, ignore=shutil.ignore_patterns("*.yaml"))
        from tutor.library import update_library

        t0 = time.perf_counter()
        first = update_library([notes])
        first_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        again = update_library([])
        noop_s = time.perf_counter() - t0
        (notes / next(p.name for p in sorted(notes.glob("*.md")))).write_text(
            "# Changed\n\nOne new note.\n"
        )
        t0 = time.perf_counter()
        one = update_library([])
        one_s = time.perf_counter() - t0

    figures = {
        "texts": len(texts),
        "chunks": len(chunks),
        "raw_encode_texts_per_s": round(len(texts) / raw, 1),
        "index_build_texts_per_s": round(len(texts) / build, 1),
        "build_vs_raw": round(raw / build, 3),
        "freshness_check_ms": round(check_ms, 1),
        "library_first_add_s": round(first_s, 2),
        "library_first_add_chunks": first.chunks,
        "library_noop_reindex_s": round(noop_s, 3),
        "library_noop_chunks_embedded": again.chunks,
        "library_one_file_changed_s": round(one_s, 3),
        "library_one_file_chunks_embedded": one.chunks,
    }
    for key, value in figures.items():
        print(f"{key:36} {value}")
    write_results("index", figures)


if __name__ == "__main__":
    main()
