"""Chunks keep their heading path and source line, and fit the model's window."""

from __future__ import annotations

from tutor import paths
from tutor.chunking import chunk_lesson
from tutor.course import load_course
from tutor.embed import MAX_TOKENS, token_count


def test_chunks_cite_the_right_line_and_headings(small_course):
    lesson = load_course(small_course).lesson("dropout")
    chunks = chunk_lesson(lesson)
    lines = lesson.path.read_text().splitlines()
    for chunk in chunks:
        first = chunk.text.splitlines()[0]
        assert lines[chunk.line - 1] == first
    assert chunks[0].heading == "Dropout › What is it?"
    assert chunks[0].id == "dropout#what-is-it#0"


def test_subsections_and_code_stay_together(tmp_path):
    (tmp_path / "01-x.md").write_text(
        "---\nid: x\ntitle: X\nobjectives: [o]\nkey_terms: {a: b}\n---\n"
        "## Top\n\nIntro words here.\n\n### Deeper\n\nShort lead-in:\n\n```python\nx = 1\n```\n"
    )
    chunks = chunk_lesson(load_course(tmp_path).lesson("x"))
    assert [c.heading_path for c in chunks] == [("Top",), ("Top", "Deeper")]
    assert "```python" in chunks[1].text and "Short lead-in" in chunks[1].text


def test_long_paragraphs_are_split_under_the_window(tmp_path):
    sentence = "Gradient descent moves every weight a small step against its gradient. "
    code = "\n".join(f"layer_{i} = torch.nn.Linear({i * 16}, {i * 16 + 16})" for i in range(60))
    (tmp_path / "01-x.md").write_text(
        "---\nid: x\ntitle: X\nobjectives: [o]\nkey_terms: {a: b}\n---\n"
        f"## Long\n\n{sentence * 60}\n\n```python\n{code}\n```\n"
    )
    chunks = chunk_lesson(load_course(tmp_path).lesson("x"))
    assert len(chunks) > 3
    assert max(token_count(c.embed_text) for c in chunks) <= MAX_TOKENS


def test_bundled_chunks_fit_the_model_window():
    course = load_course(paths.content_dir())
    chunks = [c for lesson in course.lessons for c in chunk_lesson(lesson)]
    assert max(token_count(c.embed_text) for c in chunks) <= MAX_TOKENS
