"""Cut lessons into chunks: the unit that search finds and answers cite.

A chunk is one or a few paragraphs of one section, with the heading path above
it and the line it starts on, so an answer can cite `file:line`. Chunks stay
well under the embedding model's 256 word-piece window (a word is about 1.3
word pieces in this course), so nothing is silently truncated when embedded.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from tutor.course import HEADING, Lesson

MAX_WORDS = 150  # about 200 word pieces: under the model's 256 with the heading prefix
MIN_WORDS = 40  # shorter paragraphs are joined with their neighbours
SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9(\"'`])")


@dataclass(frozen=True)
class Chunk:
    id: str  # "lesson-id#section-id#n": stable while a section keeps its paragraphs
    lesson_id: str
    lesson_title: str
    section_id: str
    section_title: str
    heading_path: tuple[str, ...]  # (section, subsection, ...) below the lesson title
    text: str
    path: str
    line: int

    @property
    def heading(self) -> str:
        return " › ".join((self.lesson_title, *self.heading_path))

    @property
    def embed_text(self) -> str:
        """What the model embeds: the heading path gives a paragraph its topic."""
        return f"{self.heading}\n{self.text}"


@dataclass
class _Block:
    text: str
    line: int
    path: tuple[str, ...]
    is_code: bool = False


def _blocks(section_title: str, body: str, first_line: int) -> list[_Block]:
    """Paragraphs, list runs and fenced code blocks, each with its heading path."""
    blocks: list[_Block] = []
    path: tuple[str, ...] = (section_title,)
    current: list[str] = []
    start = first_line
    in_fence = False

    def flush(is_code: bool = False) -> None:
        nonlocal current
        text = "\n".join(current).strip()
        if text:
            blocks.append(_Block(text, start, path, is_code))
        current = []

    for offset, line in enumerate(body.splitlines()):
        lineno = first_line + offset
        fence = line.lstrip().startswith(("```", "~~~"))
        if in_fence:
            current.append(line)
            if fence:
                in_fence = False
                flush(is_code=True)
            continue
        if fence:
            flush()
            in_fence, start, current = True, lineno, [line]
            continue
        heading = HEADING.match(line)
        if heading:
            flush()
            depth = len(heading.group(1)) - 2  # '###' is one below the section
            path = (*path[: max(depth, 1)], heading.group(2).strip())
            continue
        if not line.strip():
            flush()
            continue
        if not current:
            start = lineno
        current.append(line)
    flush(is_code=in_fence)
    return blocks


def _split_long(block: _Block) -> list[_Block]:
    """Split an over-long prose paragraph at sentence ends."""
    if block.is_code or len(block.text.split()) <= MAX_WORDS:
        return [block]
    parts, current = [], []
    for sentence in SENTENCE_END.split(block.text):
        if current and len(" ".join(current + [sentence]).split()) > MAX_WORDS:
            parts.append(" ".join(current))
            current = []
        current.append(sentence)
    if current:
        parts.append(" ".join(current))
    return [_Block(p, block.line, block.path) for p in parts]


def chunk_lesson(lesson: Lesson) -> list[Chunk]:
    chunks: list[Chunk] = []
    for section in lesson.sections:
        body_line = section.line + 1
        blocks = [
            b
            for block in _blocks(section.title, section.body, body_line)
            for b in _split_long(block)
        ]
        merged: list[_Block] = []
        for block in blocks:
            prev = merged[-1] if merged else None
            if (
                prev is not None
                and prev.path == block.path
                and (len(prev.text.split()) < MIN_WORDS or block.is_code)
                and len(prev.text.split()) + len(block.text.split()) <= MAX_WORDS
            ):
                merged[-1] = _Block(f"{prev.text}\n\n{block.text}", prev.line, prev.path)
            else:
                merged.append(block)
        for n, block in enumerate(merged):
            chunks.append(
                Chunk(
                    id=f"{lesson.id}#{section.id}#{n}",
                    lesson_id=lesson.id,
                    lesson_title=lesson.title,
                    section_id=section.id,
                    section_title=section.title,
                    heading_path=block.path,
                    text=block.text,
                    path=str(lesson.path),
                    line=block.line,
                )
            )
    return chunks
