"""Parse and validate a course folder into lessons, sections and quiz items.

The format is described in docs/content-format.md. Loading never stops at the
first problem: each broken lesson or quiz item becomes a `CourseError`
(`file:line: message`) and is skipped, so one bad file cannot hide the rest of
the course from a learner.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from tutor.text import safe_text

LESSON_FILE = re.compile(r"^(\d+)-[\w-]+\.md$")
ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]*$")
CLOZE_BLANK = re.compile(r"\{\{(.+?)\}\}")
HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
ITEM_TYPES = ("mcq", "short", "cloze")


@dataclass(frozen=True)
class CourseError:
    """One problem in the course files, located precisely enough to fix it."""

    path: Path
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


class ContentError(Exception):
    """Raised inside the loader for a problem that skips one lesson or item."""

    def __init__(self, line: int, message: str):
        super().__init__(message)
        self.line = line
        self.message = message


@dataclass
class Section:
    id: str
    title: str
    body: str
    line: int  # 1-based line of the heading (or of the text, if none)
    body_line: int = 0  # 1-based line where `body` starts in the file

    def __post_init__(self) -> None:
        if not self.body_line:
            self.body_line = self.line + 1


@dataclass
class QuizItem:
    id: str
    type: str  # "mcq" | "short" | "cloze"
    lesson_id: str
    section_id: str
    question: str  # for cloze: the text with the blank shown as _____
    answer: str
    explanation: str
    accept: list[str] = field(default_factory=list)
    choices: list[str] = field(default_factory=list)
    path: Path | None = None
    line: int = 0
    # labelled answers for the grader (short items): [{"answer": …, "label": …}]
    examples: list[dict] = field(default_factory=list)


@dataclass
class Lesson:
    id: str
    title: str
    path: Path
    order: int
    objectives: list[str]
    prerequisites: list[str]
    key_terms: dict[str, str]
    intro: str
    sections: list[Section]
    items: list[QuizItem] = field(default_factory=list)

    def section(self, section_id: str) -> Section | None:
        return next((s for s in self.sections if s.id == section_id), None)


@dataclass
class Course:
    root: Path
    lessons: list[Lesson]
    errors: list[CourseError]

    def lesson(self, lesson_id: str) -> Lesson | None:
        return next((ls for ls in self.lessons if ls.id == lesson_id), None)

    @property
    def items(self) -> list[QuizItem]:
        return [item for lesson in self.lessons for item in lesson.items]


def slugify(text: str) -> str:
    """A stable, readable id from a title: 'Activation functions' -> 'activation-functions'."""
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return slug or "section"


def load_course(root: Path | str) -> Course:
    """Load every lesson in `root`; structured lessons if any, else a plain folder."""
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"{root}: not a folder")
    lesson_files = sorted(
        (p for p in root.iterdir() if LESSON_FILE.match(p.name)),
        key=lambda p: (int(LESSON_FILE.match(p.name).group(1)), p.name),
    )
    if not lesson_files:
        return load_plain_folder(root)

    lessons: list[Lesson] = []
    errors: list[CourseError] = []
    for path in lesson_files:
        try:
            lesson = parse_lesson(path)
        except ContentError as exc:
            errors.append(CourseError(path, exc.line, exc.message))
            continue
        except (OSError, UnicodeDecodeError) as exc:
            errors.append(CourseError(path, 1, f"cannot read file ({exc.__class__.__name__})"))
            continue
        if any(ls.id == lesson.id for ls in lessons):
            errors.append(CourseError(path, 2, f"duplicate lesson id {lesson.id!r}"))
            continue
        quiz_path = path.with_suffix(".quiz.yaml")
        if quiz_path.exists():
            lesson.items, item_errors = parse_quiz(quiz_path, lesson)
            errors.extend(item_errors)
        lessons.append(lesson)

    errors.extend(_cross_check(lessons))
    return Course(root=root, lessons=lessons, errors=errors)


def _cross_check(lessons: list[Lesson]) -> list[CourseError]:
    """Checks that need the whole course: prerequisites exist, item ids are unique."""
    errors = []
    ids = {ls.id for ls in lessons}
    seen: dict[str, QuizItem] = {}
    for lesson in lessons:
        for prereq in lesson.prerequisites:
            if prereq not in ids:
                errors.append(CourseError(lesson.path, 1, f"unknown prerequisite {prereq!r}"))
        kept = []
        for item in lesson.items:
            if item.id in seen:
                first = seen[item.id]
                errors.append(
                    CourseError(
                        item.path,
                        item.line,
                        f"duplicate item id {item.id!r} (first at {first.path.name}:{first.line})",
                    )
                )
                continue
            seen[item.id] = item
            kept.append(item)
        lesson.items = kept
    return errors


def _split_front_matter(text: str) -> tuple[str, str, int]:
    """Return (front matter, body, line number where the body starts)."""
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].strip() != "---":
        raise ContentError(1, "missing front matter: the file must start with a '---' line")
    for i in range(1, len(lines)):
        if lines[i].strip() == "---":
            return "".join(lines[1:i]), "".join(lines[i + 1 :]), i + 2
    raise ContentError(1, "front matter is not closed with a '---' line")


def parse_lesson(path: Path) -> Lesson:
    text = safe_text(path.read_text(encoding="utf-8"))
    front, body, body_line = _split_front_matter(text)
    try:
        meta = yaml.safe_load(front) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 2 if mark else 1
        raise ContentError(
            line, f"front matter is not valid YAML: {getattr(exc, 'problem', exc)}"
        ) from None
    if not isinstance(meta, dict):
        raise ContentError(2, "front matter must be a mapping of fields")

    def field_line(name: str) -> int:
        for i, line in enumerate(front.splitlines()):
            if line.startswith(f"{name}:"):
                return i + 2
        return 1

    lesson_id = meta.get("id")
    if not isinstance(lesson_id, str) or not ID_PATTERN.match(lesson_id):
        raise ContentError(field_line("id"), "field 'id' must be lowercase letters, digits and '-'")
    title = meta.get("title")
    if not isinstance(title, str) or not title.strip():
        raise ContentError(field_line("title"), "field 'title' is missing or empty")
    objectives = meta.get("objectives")
    if not _is_str_list(objectives) or not objectives:
        raise ContentError(field_line("objectives"), "field 'objectives' must be a list of text")
    prerequisites = meta.get("prerequisites") or []
    if not _is_str_list(prerequisites):
        raise ContentError(
            field_line("prerequisites"), "field 'prerequisites' must be a list of lesson ids"
        )
    key_terms = meta.get("key_terms")
    if (
        not isinstance(key_terms, dict)
        or not key_terms
        or not all(
            isinstance(k, str) and isinstance(v, str) and v.strip() for k, v in key_terms.items()
        )
    ):
        raise ContentError(
            field_line("key_terms"), "field 'key_terms' must map each term to a one-line definition"
        )

    intro, sections = split_sections(body, body_line, level=2)
    if not sections:
        raise ContentError(body_line, "lesson has no '## ' sections")
    seen: set[str] = set()
    for section in sections:
        if section.id in seen:
            raise ContentError(section.line, f"duplicate section title {section.title!r}")
        seen.add(section.id)
        if not section.body.strip():
            raise ContentError(section.line, f"section {section.title!r} is empty")

    return Lesson(
        id=lesson_id,
        title=title.strip(),
        path=path,
        order=int(LESSON_FILE.match(path.name).group(1)),
        objectives=[o.strip() for o in objectives],
        prerequisites=list(prerequisites),
        key_terms={k.strip(): v.strip() for k, v in key_terms.items()},
        intro=intro.strip(),
        sections=sections,
    )


def split_sections(body: str, first_line: int, level: int) -> tuple[str, list[Section]]:
    """Split Markdown at headings of `level` (fenced code is never a heading)."""
    intro: list[str] = []
    parts: list[tuple[Section, list[str]]] = []
    in_fence = False
    for offset, line in enumerate(body.splitlines()):
        if line.lstrip().startswith(("```", "~~~")):
            in_fence = not in_fence
        match = None if in_fence else HEADING.match(line)
        if match and len(match.group(1)) == level:
            title = match.group(2).strip()
            parts.append((Section(slugify(title), title, "", first_line + offset), []))
        elif parts:
            parts[-1][1].append(line)
        else:
            intro.append(line)
    for section, lines in parts:
        leading = next((i for i, line in enumerate(lines) if line.strip()), 0)
        section.body = "\n".join(lines[leading:]).rstrip()
        section.body_line = section.line + 1 + leading
    return "\n".join(intro), [section for section, _ in parts]


def _leading_blank(text: str) -> int:
    lines = text.splitlines()
    return next((i for i, line in enumerate(lines) if line.strip()), 0)


def _is_str_list(value: object) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) and v.strip() for v in value)


def parse_quiz(path: Path, lesson: Lesson) -> tuple[list[QuizItem], list[CourseError]]:
    """Parse a lesson's quiz file; a broken item is reported and skipped."""
    try:
        text = safe_text(path.read_text(encoding="utf-8"))
        loader = yaml.SafeLoader(text)
        try:
            root = loader.get_single_node()
            data = loader.construct_document(root) if root is not None else []
        finally:
            loader.dispose()
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else 1
        return [], [CourseError(path, line, f"not valid YAML: {getattr(exc, 'problem', exc)}")]
    except (OSError, UnicodeDecodeError) as exc:
        return [], [CourseError(path, 1, f"cannot read file ({exc.__class__.__name__})")]
    if not isinstance(data, list):
        return [], [CourseError(path, 1, "a quiz file must be a list of items")]

    items, errors = [], []
    for node, raw in zip(root.value, data, strict=True):
        line = node.start_mark.line + 1
        try:
            items.append(_parse_item(raw, node, lesson, path, line))
        except ContentError as exc:
            errors.append(CourseError(path, exc.line, exc.message))
    return items, errors


def _parse_item(raw: object, node: yaml.Node, lesson: Lesson, path: Path, line: int) -> QuizItem:
    if not isinstance(raw, dict):
        raise ContentError(line, "an item must be a mapping of fields")
    key_lines = {k.value: k.start_mark.line + 1 for k, _ in node.value}

    def where(name: str) -> int:
        return key_lines.get(name, line)

    def text_field(name: str) -> str:
        value = raw.get(name)
        if isinstance(value, int | float) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str) or not value.strip():
            raise ContentError(
                where(name), f"item {raw.get('id', '?')!r}: field '{name}' is missing or empty"
            )
        return value.strip()

    item_id = text_field("id")
    if not ID_PATTERN.match(item_id):
        raise ContentError(
            where("id"), f"item {item_id!r}: id must be lowercase letters, digits and '-'"
        )
    kind = text_field("type")
    if kind not in ITEM_TYPES:
        raise ContentError(
            where("type"), f"item {item_id!r}: type must be one of {', '.join(ITEM_TYPES)}"
        )
    section_ref = text_field("section")
    section = lesson.section(slugify(section_ref))
    if section is None:
        raise ContentError(
            where("section"), f"item {item_id!r}: no section {section_ref!r} in {lesson.path.name}"
        )
    explanation = text_field("explanation")
    accept = raw.get("accept") or []
    if not isinstance(accept, list) or not all(isinstance(a, str | int | float) for a in accept):
        raise ContentError(where("accept"), f"item {item_id!r}: 'accept' must be a list of answers")
    accept = [str(a).strip() for a in accept if str(a).strip()]
    examples = raw.get("examples") or []
    try:
        from tutor.grading.examples import clean

        examples = [e.to_dict() for e in clean(examples, f"item {item_id!r}: 'examples'")]
    except ValueError as exc:
        raise ContentError(where("examples"), str(exc)) from None
    choices: list[str] = []

    if kind == "cloze":
        text = text_field("text")
        blanks = CLOZE_BLANK.findall(text)
        if len(blanks) != 1:
            raise ContentError(
                where("text"), f"item {item_id!r}: cloze text needs exactly one {{{{…}}}} blank"
            )
        answer = blanks[0].strip()
        question = CLOZE_BLANK.sub("_____", text)
    else:
        question = text_field("question")
        answer = text_field("answer")
        if kind == "mcq":
            choices = raw.get("choices")
            if not isinstance(choices, list) or not 2 <= len(choices) <= 6:
                raise ContentError(
                    where("choices"), f"item {item_id!r}: 'choices' must list 2 to 6 options"
                )
            choices = [str(c).strip() for c in choices]
            if len(set(choices)) != len(choices) or not all(choices):
                raise ContentError(
                    where("choices"), f"item {item_id!r}: choices must be distinct and non-empty"
                )
            if answer not in choices:
                raise ContentError(
                    where("answer"),
                    f"item {item_id!r}: answer {answer!r} is not one of the choices",
                )

    return QuizItem(
        id=item_id,
        type=kind,
        lesson_id=lesson.id,
        section_id=section.id,
        question=question,
        answer=answer,
        explanation=explanation,
        accept=accept,
        choices=choices,
        path=path,
        line=line,
        examples=examples,
    )


def load_plain_folder(root: Path) -> Course:
    """A folder of .md/.txt notes: every file a lesson, with no quiz items."""
    lessons, errors = [], []
    files = sorted(
        p for p in root.rglob("*") if p.suffix.lower() in (".md", ".txt") and p.is_file()
    )
    for order, path in enumerate(files, start=1):
        try:
            lessons.append(parse_plain_file(path, root, order))
        except (OSError, UnicodeDecodeError) as exc:
            errors.append(CourseError(path, 1, f"cannot read file ({exc.__class__.__name__})"))
        except ContentError as exc:
            errors.append(CourseError(path, exc.line, exc.message))
    return Course(root=root, lessons=lessons, errors=errors)


def parse_plain_file(path: Path, root: Path, order: int = 0) -> Lesson:
    text = safe_text(path.read_text(encoding="utf-8"))
    if not text.strip():
        raise ContentError(1, "file is empty")
    rel = path.relative_to(root).with_suffix("")
    lesson_id = slugify(str(rel))
    title = path.stem.replace("-", " ").replace("_", " ").strip().capitalize()
    body_start = 1
    if text.startswith("---\n"):  # tolerate front matter in a user's own notes
        try:
            front, text, body_start = _split_front_matter(text)
            meta = yaml.safe_load(front) or {}
            if isinstance(meta, dict) and isinstance(meta.get("title"), str):
                title = meta["title"]
        except (ContentError, yaml.YAMLError):
            body_start = 1
    sections: list[Section] = []
    intro = text
    if path.suffix.lower() == ".md":
        for level in (1, 2, 3):
            intro, sections = split_sections(text, body_start, level)
            if level == 1 and len(sections) == 1:
                # a single '# Title' heading names the file; split its body further
                title = sections[0].title
                inner_intro, inner = split_sections(sections[0].body, sections[0].body_line, 2)
                if inner:
                    intro, sections = inner_intro, inner
                    break
            if len(sections) > 1 or (sections and level > 1):
                break
    if not sections:
        sections = [
            Section("text", title, intro.strip(), body_start, body_start + _leading_blank(intro))
        ]
        intro = ""
    elif intro.strip():
        first = body_start + _leading_blank(intro)
        sections.insert(
            0, Section("introduction", "Introduction", intro.strip(), body_start, first)
        )
    sections = [s for s in sections if s.body.strip()]
    return Lesson(
        id=lesson_id,
        title=title,
        path=path,
        order=order,
        objectives=[],
        prerequisites=[],
        key_terms={},
        intro="",
        sections=sections,
    )
