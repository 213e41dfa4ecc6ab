"""Cards: authored + generated, stable ids, retire-never-delete, chunk links, notes.

`write_course(root)` builds a tiny two-lesson course in the documented format; the
other study tests import it from here.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from tutor import store
from tutor.cards.distractors import is_variant, pick_distractors, same_form
from tutor.cards.generate import definition_question
from tutor.cards.sync import sync_cards
from tutor.chunking import chunk_lesson
from tutor.course import load_course
from tutor.store.cards import get_card, list_cards
from tutor.study.schedule import record_review

BASICS = """\
---
id: basics
title: Neural network basics
objectives:
  - Describe a neuron
prerequisites: []
key_terms:
  neuron: A unit that sums weighted inputs, adds a bias and applies an activation function.
  activation function: A non-linear function applied to a neuron's weighted sum.
  weight: A learned number that scales one input of a neuron.
  bias: A learned number added to a neuron's weighted sum before the activation.
  loss function: A function that measures how far the predictions are from the targets.
---

A network is built from simple parts.

## Neurons

A neuron is a unit that sums its weighted inputs, adds a bias and applies an
activation function. Each weight is a learned number that scales one input.

The bias is a learned number added to the weighted sum, so a neuron can shift
its output even when every input is zero.

## Activation functions

An activation function is a non-linear function applied to the weighted sum.
Without it, stacked layers collapse into one linear map.

## Training

A loss function measures how far the predictions are from the targets, and
training changes the weights to make it smaller.
"""

BASICS_QUIZ = """\
- id: basics-relu
  type: mcq
  section: Activation functions
  question: What does ReLU output for an input of -3?
  choices: ["-3", "0", "3", "0.05"]
  answer: "0"
  explanation: ReLU is max(0, x).

- id: basics-why-nonlinear
  type: short
  section: Activation functions
  question: Why does a deep network need non-linear activation functions?
  answer: Without them, stacked layers collapse into a single linear map.
  explanation: Two linear layers equal one linear layer.

- id: basics-bias-cloze
  type: cloze
  section: Neurons
  text: The {{bias}} lets a neuron shift its output even when every input is zero.
  explanation: It is added to the weighted sum.
"""

VISION = """\
---
id: vision
title: Convolutional networks
objectives:
  - Explain convolution
prerequisites: [basics]
key_terms:
  kernel: A small grid of learned weights slid across the input to detect one local pattern.
  stride: The number of pixels a kernel moves between one position and the next.
  padding: Extra border pixels, usually zeros, added around the input.
  pooling: A downsampling step that summarises each small window of a feature map.
  feature map: The grid of responses produced by sliding one kernel over its input.
---

## Convolution

A kernel is a small grid of learned weights that is slid across the input to
detect one local pattern. The grid of responses it produces is called a feature map.

## Stride and padding

The stride is the number of pixels a kernel moves between one position and the
next. Padding adds extra border pixels, usually zeros, around the input.

## Pooling

Pooling is a downsampling step that summarises each small window of a feature map
with one number, such as its maximum.
"""

VISION_QUIZ = """\
- id: vision-output-size
  type: mcq
  section: Stride and padding
  question: A 32x32 image goes through a 5x5 convolution with no padding and stride 1. What is the output width?
  choices: ["28", "32", "27", "30"]
  answer: "28"
  explanation: (32 - 5) / 1 + 1 = 28.

- id: vision-feature-map
  type: cloze
  section: Convolution
  text: The grid of responses produced by sliding one kernel over its input is a {{feature map}}.
  accept: ["activation map"]
  explanation: Each kernel yields one feature map.
"""


def write_course(root: Path) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "01-basics.md").write_text(BASICS)
    (root / "01-basics.quiz.yaml").write_text(BASICS_QUIZ)
    (root / "02-vision.md").write_text(VISION)
    (root / "02-vision.quiz.yaml").write_text(VISION_QUIZ)
    return root


@pytest.fixture
def db(tmp_path, monkeypatch):
    monkeypatch.setenv("TUTOR_HOME", str(tmp_path / "home"))
    return store.connect()


@pytest.fixture
def course(tmp_path):
    return load_course(write_course(tmp_path / "course"))


def _boom(texts):
    raise AssertionError("the embedding model must not be needed here")


def test_every_authored_item_becomes_a_card_and_gaps_get_generated_cards(db, course):
    assert not course.errors
    report = sync_cards(db, course)
    cards = {c.id: c for c in list_cards(db)}
    assert report.added == len(cards)
    for item in course.items:
        card = cards[item.id]
        assert (card.source, card.kind, card.question, card.answer) == (
            "authored",
            item.type,
            item.question,
            item.answer,
        )
    # generated: definition, cloze and MCQ per key term, with stable readable ids
    assert cards["gen-def:basics:neuron"].question == "What is a neuron?"
    assert cards["gen-def:basics:neuron"].answer.startswith("A unit that sums")
    assert cards["gen-def:vision:padding"].question == "What is padding?"
    cloze = cards["gen-cloze:vision:kernel"]
    assert "_____" in cloze.question and "kernel" not in cloze.question.lower()
    assert cloze.answer == "kernel"
    # authored items already cover these, so no generated duplicates
    assert "gen-cloze:vision:feature-map" not in cards  # authored cloze answers it
    assert "gen-cloze:basics:bias" not in cards


def test_mcq_distractors_are_other_terms_never_variants(db, course):
    sync_cards(db, course)
    mcqs = [c for c in list_cards(db) if c.source == "gen-mcq"]
    assert mcqs
    all_terms = set(course.lessons[0].key_terms) | set(course.lessons[1].key_terms)
    for card in mcqs:
        assert card.answer in card.choices
        assert 3 <= len(card.choices) <= 4
        assert len(set(card.choices)) == len(card.choices)
        for choice in card.choices:
            assert choice in all_terms
            if choice != card.answer:
                assert not is_variant(card.answer, choice)
                assert same_form(card.answer, choice)
    # shuffled: the answer is not always in the same slot
    assert len({c.choices.index(c.answer) for c in mcqs}) > 1


def test_each_card_links_to_the_chunk_that_teaches_it(db, course):
    sync_cards(db, course)
    chunk_ids = {c.id: c for lesson in course.lessons for c in chunk_lesson(lesson)}
    for card in list_cards(db):
        assert card.chunk_id in chunk_ids, card.id
        chunk = chunk_ids[card.chunk_id]
        assert card.source_text == chunk.text
        assert card.source_line == chunk.line
    assert get_card(db, "gen-cloze:vision:stride").chunk_id == "vision#stride-and-padding#0"
    assert get_card(db, "basics-relu").section_id == "activation-functions"
    assert get_card(db, "basics-relu").chunk_id.startswith("basics#activation-functions#")


def test_ids_are_stable_and_history_survives_edits_retirement_and_return(db, tmp_path):
    root = write_course(tmp_path / "course")
    sync_cards(db, load_course(root))
    before = {c.id for c in list_cards(db)}
    record_review(db, "basics-relu", 3, now=store.utcnow(), answer="0")

    # edit text: a question, a paragraph; re-sync keeps ids and history
    quiz = root / "01-basics.quiz.yaml"
    quiz.write_text(quiz.read_text().replace("for an input of -3", "for the input -3"))
    lesson = root / "02-vision.md"
    lesson.write_text(lesson.read_text().replace("such as its maximum", "such as its mean"))
    report = sync_cards(db, load_course(root))
    assert report.added == 0 and report.retired == 0 and report.updated >= 2
    assert {c.id for c in list_cards(db)} == before
    assert get_card(db, "basics-relu").question.endswith("for the input -3?")
    assert get_card(db, "basics-relu").last_review is not None  # FSRS state kept

    # the item disappears: its card is retired, never deleted; its reviews stay
    quiz.write_text("- id: basics-bias-cloze" + BASICS_QUIZ.split("- id: basics-bias-cloze")[1])
    report = sync_cards(db, load_course(root))
    assert report.retired >= 2
    retired = get_card(db, "basics-relu")
    assert retired.status == "retired"
    assert db.execute("SELECT count(*) FROM reviews WHERE card_id = 'basics-relu'").fetchone()[0]
    assert "basics-relu" not in {c.id for c in list_cards(db)}

    # and comes back: the same card, reactivated with its history
    quiz.write_text(BASICS_QUIZ)
    report = sync_cards(db, load_course(root))
    assert report.reactivated >= 2
    back = get_card(db, "basics-relu")
    assert back.status == "active" and back.last_review is not None


def test_unchanged_course_syncs_without_loading_the_model(db, course):
    sync_cards(db, course)  # real model: computes and caches the key-term vectors
    assert sync_cards(db, course, encoder=_boom).skipped
    # a forced re-sync rebuilds every card from cached vectors, still without the model
    report = sync_cards(db, course, encoder=_boom, force=True)
    assert not report.skipped and report.added == 0 and report.retired == 0


def test_a_users_plain_notes_get_generated_cards(db, tmp_path):
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "optimisers.md").write_text(
        textwrap.dedent(
            """\
            # Optimisers

            **Gradient descent** is an algorithm that moves the weights against the
            gradient of the loss. **Momentum** is a running average of past gradients
            that smooths the updates. A **learning rate** is the step size that scales
            each update. **Weight decay** is a penalty that pulls weights toward zero.
            """
        )
    )
    report = sync_cards(db, load_course(notes), "library")
    cards = list_cards(db, origin="library")
    assert report.added == len(cards) > 0
    ids = {c.id for c in cards}
    assert "library:gen-def:optimisers:gradient-descent" in ids
    assert "library:gen-cloze:optimisers:momentum" in ids
    mcq = get_card(db, "library:gen-mcq:optimisers:momentum")
    assert mcq is not None and mcq.answer in mcq.choices and len(mcq.choices) >= 3
    # a course sync never retires the library's cards
    sync_cards(db, load_course(write_course(tmp_path / "course")))
    assert len(list_cards(db, origin="library")) == len(cards)


@pytest.mark.parametrize(
    ("a", "b", "variant"),
    [
        ("neural network", "neural networks", True),
        ("neural network", "convolutional neural network", True),
        ("CNN", "convolutional neural network", True),
        ("optimizer", "optimiser", True),
        ("normalization", "normalisation", True),
        ("layer", "hidden layer", True),
        ("kernel", "stride", False),
        ("feature map", "feature extraction", False),
    ],
)
def test_variants(a, b, variant):
    assert is_variant(a, b) is variant


def test_the_bundled_course_syncs(db):
    from tutor import paths

    report = sync_cards(db, load_course(paths.content_dir()))
    cards = list_cards(db)
    assert report.added == len(cards) > 0
    assert {"authored", "gen-def", "gen-cloze", "gen-mcq"} <= {c.source for c in cards}
    assert all(c.chunk_id for c in cards if c.source != "csv")


def test_distractors_skip_synonyms_kinds_instances_and_terms_named_in_the_question():
    terms = {
        "optimizer": "The algorithm that turns gradients into updates, such as SGD or Adam.",
        "weight decay": "Shrinking every weight a little, which has the same effect as L2 "
        "regularization for plain SGD.",
        "L2 regularization": "A penalty on the sum of squared weights added to the loss.",
        "learning rate": "The step size that scales each update.",
        "momentum": "A running average of past gradients that smooths the updates.",
        "RMSprop": "An optimizer that divides each update by a running root mean square.",
    }
    adam = "An optimizer that adapts a separate step size for each parameter."
    others = list(terms.items())
    picked = pick_distractors("Adam", adam, others, [0.8, 0.7, 0.6, 0.5, 0.4, 0.35])
    assert "optimizer" not in picked  # its kind: named in the question
    assert picked == ["weight decay", "L2 regularization", "learning rate"]
    l2 = [(t, d) for t, d in others if t != "L2 regularization"]
    picked = pick_distractors("L2 regularization", terms["L2 regularization"], l2, [0.95] * 5)
    assert picked == []  # above 0.9: a variant
    picked = pick_distractors("L2 regularization", terms["L2 regularization"], l2, [0.7] * 5)
    assert "weight decay" not in picked  # "same effect as L2 regularization"
    assert pick_distractors("Adam", adam, others, [0.2] * 6, min_sim=0.3) == []


@pytest.mark.parametrize(
    ("term", "definition", "question"),
    [
        ("kernel", "A small grid of learned weights.", "What is a kernel?"),
        ("activation function", "A non-linear function.", "What is an activation function?"),
        ("padding", "Extra border pixels.", "What is padding?"),
        ("pooling", "A downsampling step.", "What is pooling?"),
        ("GPU", "A processor with thousands of cores.", "What is a GPU?"),
        ("LSTM", "A recurrent network with gates.", "What is an LSTM?"),
        ("Keras", "A high-level API.", "What is Keras?"),
        ("feature maps", "The outputs of kernels.", "What are feature maps?"),
        ("bias", "A learned number added to the sum.", "What is a bias?"),
    ],
)
def test_definition_questions_read_naturally(term, definition, question):
    assert definition_question(term, definition) == question


def test_authored_choices_are_shuffled_per_card_and_stay_put(db):
    """Regression: the right answer was choice 1 in 64 of 67 authored items and never
    shuffled, so pressing 1 every time scored about 96%."""
    from tutor import paths

    course = load_course(paths.content_dir())
    sync_cards(db, course)
    mcqs = [c for c in list_cards(db) if c.source == "authored" and c.kind == "mcq"]
    positions = [c.choices.index(c.answer) for c in mcqs]
    assert len(mcqs) > 60
    # no position holds much more than its fair share of the right answers
    fair = len(mcqs) / 4
    assert max(positions.count(p) for p in set(positions)) < 1.6 * fair, positions
    # stable: a second sync (forced) puts every choice where it was
    sync_cards(db, course, force=True)
    again = {c.id: c.choices for c in list_cards(db) if c.id in {m.id for m in mcqs}}
    assert all(again[c.id] == c.choices for c in mcqs)
