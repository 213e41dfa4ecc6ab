"""Cut lessons into chunks: the unit that search finds and answers cite.

A chunk is one or a few paragraphs of one section, with the heading path above
it and the line it starts on, so an answer can cite `file:line`. Chunks are
measured in the model's own word pieces (code and numbers cost many per word)
and kept under its 256-piece window, so nothing is silently truncated.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from tutor.course import HEADING, Lesson
from tutor.embed import MAX_TOKENS, token_count

MAX_PIECES = MAX_TOKENS - 16  # margin below the model's window, heading prefix included
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


def _fits(prefix: str, text: str) -> bool:
    return token_count(f"{prefix}\n{text}") <= MAX_PIECES


def _split_long(block: _Block, prefix: str) -> list[_Block]:
    """Split an over-long block: prose at sentence ends, code at line ends."""
    if _fits(prefix, block.text):
        return [block]
    pieces = block.text.splitlines() if block.is_code else SENTENCE_END.split(block.text)
    joiner = "\n" if block.is_code else " "
    parts: list[str] = []
    current: list[str] = []
    for piece in pieces:
        if current and not _fits(prefix, joiner.join([*current, piece])):
            parts.append(joiner.join(current))
            current = []
        current.append(piece)
    if current:
        parts.append(joiner.join(current))
    return [_Block(p, block.line, block.path, block.is_code) for p in parts]


def chunk_id(lesson_id: str, section_id: str, n: int) -> str:
    """The one format of a chunk id: "<lesson>#<section>#<n>" (n counts from 0 in a section)."""
    return f"{lesson_id}#{section_id}#{n}"


def chunk_number(chunk_id_: str) -> int:
    """The position of a chunk in its section, from its id."""
    return int(chunk_id_.rsplit("#", 1)[1])


def chunk_lesson(lesson: Lesson) -> list[Chunk]:
    chunks: list[Chunk] = []
    for section in lesson.sections:
        body_line = section.body_line
        blocks: list[_Block] = []
        for block in _blocks(section.title, section.body, body_line):
            blocks.extend(_split_long(block, " › ".join((lesson.title, *block.path))))
        merged: list[_Block] = []
        for block in blocks:
            prev = merged[-1] if merged else None
            if (
                prev is not None
                and prev.path == block.path
                and (len(prev.text.split()) < MIN_WORDS or block.is_code)
                and _fits(" › ".join((lesson.title, *prev.path)), f"{prev.text}\n\n{block.text}")
            ):
                merged[-1] = _Block(f"{prev.text}\n\n{block.text}", prev.line, prev.path)
            else:
                merged.append(block)
        for n, block in enumerate(merged):
            chunks.append(
                Chunk(
                    id=chunk_id(lesson.id, section.id, n),
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
