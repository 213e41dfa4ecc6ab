"""The bundled course is complete and valid; broken files are reported, not fatal."""

from __future__ import annotations

import re

import pytest

from tutor import paths
from tutor.course import load_course


@pytest.fixture(scope="module")
def course():
    return load_course(paths.content_dir())


def test_bundled_course_loads_without_errors(course):
    assert [str(e) for e in course.errors] == []
    assert len(course.lessons) >= 12


def test_every_lesson_is_complete(course):
    for lesson in course.lessons:
        assert lesson.objectives, lesson.id
        assert len(lesson.key_terms) >= 5, lesson.id
        assert len(lesson.sections) >= 4, lesson.id
        kinds = {item.type for item in lesson.items}
        assert len(lesson.items) >= 8, f"{lesson.id}: {len(lesson.items)} items"
        assert kinds == {"mcq", "short", "cloze"}, f"{lesson.id}: {kinds}"
        text = " ".join(s.body for s in lesson.sections).lower()
        for term in lesson.key_terms:
            assert term.lower() in text, f"{lesson.id}: key term {term!r} not in the lesson"


def test_items_point_at_real_sections_and_answers(course):
    for item in course.items:
        lesson = course.lesson(item.lesson_id)
        assert lesson.section(item.section_id) is not None
        if item.type == "mcq":
            assert item.answer in item.choices
        if item.type == "cloze":
            assert "_____" in item.question and "{{" not in item.question


def test_seed_topics_are_covered(course):
    text = " ".join(
        f"{ls.title} {s.title} {s.body}" for ls in course.lessons for s in ls.sections
    ).lower()
    topics = [
        "large model", "machine learning", "deep learning", "forward propagation", "activation",
        "loss", "backpropagation", "gradient descent", "adam", "rmsprop", "learning-rate schedule",
        "l1", "l2", "dropout", "early stopping", "overfitting", "convolution", "pooling",
        "fully connected", "hidden state", "self-attention", "positional encoding",
        "multi-head", "unsupervised", "representation learning", "fine-tun", "bert", "resnet",
        "normaliz", "augmentation", "one-hot", "validation", "precision", "recall", "f1",
        "roc", "healthcare", "finance", "recommend", "alphafold", "speech", "tensorflow",
        "pytorch", "explainab", "fairness", "energy", "privacy", "regulation", "conference",
    ]  # fmt: skip
    missing = [t for t in topics if t not in text]
    assert missing == []


def test_ids_are_unique_and_stable_format(course):
    ids = [item.id for item in course.items]
    assert len(ids) == len(set(ids))
    assert all(re.fullmatch(r"[a-z0-9][a-z0-9-]*", i) for i in ids)


def test_broken_lesson_is_reported_and_others_still_load(small_course):
    (small_course / "03-broken.md").write_text("---\nid: Not Valid\ntitle: x\n---\n## A\ntext\n")
    (small_course / "04-unclosed.md").write_text("---\nid: unclosed\n")
    course = load_course(small_course)
    assert [ls.id for ls in course.lessons] == ["dropout", "pooling"]
    messages = sorted(str(e) for e in course.errors)
    assert messages[0].endswith(
        "03-broken.md:2: field 'id' must be lowercase letters, digits and '-'"
    )
    assert "04-unclosed.md:1: front matter is not closed" in messages[1]


def test_broken_quiz_item_names_file_line_and_field(small_course):
    quiz = small_course / "01-dropout.quiz.yaml"
    quiz.write_text(
        quiz.read_text()
        + "- id: bad-mcq\n  type: mcq\n  section: What is it?\n  question: Which?\n"
        "  choices: [a, b]\n  answer: c\n  explanation: x\n"
        "- id: bad-section\n  type: short\n  section: Nowhere\n  question: Q?\n"
        "  answer: A.\n  explanation: x\n"
    )
    course = load_course(small_course)
    errors = [str(e) for e in course.errors]
    assert any(
        e.endswith("01-dropout.quiz.yaml:12: item 'bad-mcq': answer 'c' is not one of the choices")
        for e in errors
    )
    assert any(
        "01-dropout.quiz.yaml:16: item 'bad-section': no section 'Nowhere'" in e for e in errors
    )
    assert [i.id for i in course.lesson("dropout").items] == ["dropout-q1"]


def test_invalid_yaml_and_non_utf8_files(small_course):
    (small_course / "01-dropout.quiz.yaml").write_text("- id: [unclosed\n")
    (small_course / "02-pooling.md").write_bytes(b"---\nid: pooling\n\xff\xfe---\n")
    course = load_course(small_course)
    errors = [str(e) for e in course.errors]
    assert any("01-dropout.quiz.yaml:" in e and "not valid YAML" in e for e in errors)
    assert any(e.endswith("02-pooling.md:1: cannot read file (UnicodeDecodeError)") for e in errors)
    assert [ls.id for ls in course.lessons] == ["dropout"]


def test_plain_folder_is_a_course(tmp_path):
    (tmp_path / "notes.md").write_text(
        "# My notes\n\n## First\n\nSome text.\n\n## Second\n\nMore.\n"
    )
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "raw.txt").write_text("Just a paragraph of plain text.\n")
    course = load_course(tmp_path)
    assert course.errors == []
    titles = {ls.title: [s.title for s in ls.sections] for ls in course.lessons}
    assert titles == {"My notes": ["First", "Second"], "Raw": ["Raw"]}
