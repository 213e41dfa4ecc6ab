"""The bank of earlier learners' questions (tutor/asked.py) on the real course index."""

from __future__ import annotations

import numpy as np

from tutor import asked, embed
from tutor.index import open_course_index
from tutor.library import open_library_index, update_library
from tutor.search import Searcher


def test_the_shipped_bank_matches_the_bundled_index():
    found = asked.bank()
    assert found is not None and len(found.questions) >= 2000
    assert found.vectors.shape == (len(found.questions), embed.DIM)
    mapping = asked.chunk_questions(open_course_index(), found)
    # every chunk the bank names is in the index with the same text: it was built on it
    assert len(mapping) == len(found.chunks)


def test_a_passage_that_answered_the_same_question_reads_close():
    found = asked.bank()
    n = next(i for i, q in enumerate(found.questions) if len(q.split()) > 4)
    question = found.questions[n]
    store = open_course_index()
    qvec = embed.encode([question])[0]
    hits = Searcher([store]).search(question, qvec, k=30, mode="hybrid+sentence")
    near = asked.closeness(hits, qvec)
    answered = {cid for cid, (_, nums) in found.chunks.items() if n in nums}
    assert all(v is not None for v in near)
    for hit, v in zip(hits, near, strict=True):
        if hit.chunk_id in answered:
            assert v > 0.99
    # leaving the question's own writer out takes its own wording away
    skip = [s == found.sources[n] for s in found.sources]
    without = asked.closeness(hits, qvec, skip=np.array(skip))
    assert all(w <= v for w, v in zip(without, near, strict=True))


def test_notes_have_no_bank_evidence(tmp_path):
    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "tides.md").write_text("# Tides\n\nThe moon's gravity raises two tidal bulges.\n")
    update_library([folder])
    store = open_library_index()
    question = "why are there tides"
    qvec = embed.encode([question])[0]
    hits = Searcher([store]).search(question, qvec, k=5, mode="hybrid+sentence")
    assert hits and asked.closeness(hits, qvec) == [None] * len(hits)
