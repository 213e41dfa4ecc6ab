"""The learned grader's parts: its trees, its item evidence (course, teacher and
learner examples) and the learner's corrections. Real model, real SQLite file."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from tutor.cli import cli
from tutor.course import load_course
from tutor.grade import grade, load_model
from tutor.grading import cross, trees
from tutor.grading.examples import Example, bundled
from tutor.services import Tutor

Q = "What does precision measure?"
R = "Of everything the model predicted positive, the fraction that really is positive: TP / (TP + FP)."


def test_trees_match_scikit_learn_on_the_same_model():
    from sklearn.ensemble import GradientBoostingClassifier

    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 6))
    y = (X[:, 0] > 0).astype(int) + (X[:, 1] > 0.5)
    model = GradientBoostingClassifier(n_estimators=30, max_depth=3, random_state=0).fit(X, y)
    as_json = json.loads(json.dumps(trees.to_json(model)))
    forest = trees.Forest(as_json)
    ours = np.array([forest.proba(x) for x in X[:60]])
    assert np.abs(ours - model.predict_proba(X[:60])).max() < 1e-6


def test_the_shipped_model_reads_the_cross_encoder_and_is_small():
    model = load_model()
    assert model["version"] == 2 and set(model["models"]) == {"reference", "examples"}
    assert cross.available()
    assert cross.MODEL_PATH.stat().st_size < 25_000_000
    p = cross.probabilities(
        [(cross.pair_text(Q, R), "TP / (TP + FP)"), (cross.pair_text(Q, R), "")]
    )
    assert p.shape == (2, 3) and np.allclose(p.sum(axis=1), 1.0, atol=1e-5)


def test_every_answer_gets_evidence_saying_what_decided():
    assert grade(Q, R, "").evidence == {"by": "empty"}
    assert grade(Q, R, R).evidence == {"by": "reference"}
    g = grade(Q, R, "how many of the predicted positives are really positive")
    assert g.evidence["by"] == "model"
    assert set(g.evidence["p"]) == {"incorrect", "partial", "correct"}
    assert 0.0 <= g.evidence["cross_encoder"] <= 1.0


def test_an_answer_like_a_labelled_example_is_graded_like_it():
    examples = [
        Example("tp over tp plus fn", "incorrect", "teacher"),
        Example("the share of flagged items that are truly positive", "correct", "teacher"),
    ]
    g = grade(Q, R, "TP over TP plus FN", examples=examples)
    assert g.verdict == "incorrect" and g.evidence["by"] == "example"
    assert "your teacher labelled wrong" in g.feedback
    assert g.evidence["nearest"]["answer"] == "tp over tp plus fn"


def test_with_enough_examples_the_model_weighs_them():
    examples = [Example(f"answer number {i}", "incorrect") for i in range(3)] + [
        Example("the share of predicted positives that are right", "correct"),
    ]
    g = grade(Q, R, "what fraction of the predicted positives is right", examples=examples)
    assert g.evidence["by"] == "model+examples" and g.evidence["examples"] == 4


def test_the_bundled_course_ships_labelled_answers_for_its_cards():
    shipped = bundled("reg-overfit-def")
    assert len(shipped) >= 10 and {e.label for e in shipped} == {"correct", "partial", "incorrect"}
    assert all(e.origin == "course" for e in shipped)
    assert bundled("no-such-card") == []


def test_every_course_short_card_ships_labelled_answers_unless_held_out(tmp_path):
    split = json.loads(
        (Path(__file__).parents[1] / "bench/data/course-answers/split.json").read_text()
    )
    held = set(split["heldout-items"])
    tutor = Tutor(db_path=tmp_path / "tutor.db")
    tutor.sync_cards()
    short = [c.id for c in tutor.cards() if c.kind == "short"]
    assert len(short) > 250
    thin = [c for c in short if c not in held and len(bundled(c)) < 10]
    assert thin == []
    assert all(bundled(c) == [] for c in short if c in held)  # held out means never seen


def test_the_nearest_example_of_each_label_is_compared_word_by_word():
    from tutor.embed import encode
    from tutor.grading import examples as E

    q = "Why do large pre-activations slow a sigmoid network down?"
    shown = [
        Example("the sigmoid is almost flat at large inputs so the gradient vanishes", "correct"),
        Example("it makes the training faster", "incorrect"),
    ]
    vecs = encode([e.text for e in shown])

    def features(answer: str) -> dict[str, float]:
        values = E.features(q, answer, encode([answer])[0], vecs, shown)
        return dict(zip(E.FEATURES, values, strict=True))

    same = features("at large inputs the sigmoid is almost flat, so the gradient vanishes")
    flipped = features("the sigmoid is not flat at large inputs, so the gradient stays big")
    assert (
        same["ex_correct_negation_mismatch"] == 0 and flipped["ex_correct_negation_mismatch"] == 1
    )
    assert same["ex_correct_ref_recall"] == 1.0 > flipped["ex_correct_ref_recall"]
    assert same["ex_margin_incorrect"] == pytest.approx(same["ex_correct"] - same["ex_incorrect"])
    assert features("whatever")["ex_partial_ref_recall"] == 0.0  # no partial example: zeros


def test_grade_json_takes_examples_and_rejects_bad_ones():
    row = {"question": Q, "reference": R, "answer": "tp/(tp+fn)"}
    good = {**row, "examples": [{"answer": "TP/(TP+FN)", "label": "incorrect"}]}
    bad = {**row, "examples": [{"answer": "x", "label": "maybe"}]}
    stdin = json.dumps(good) + "\n" + json.dumps(bad) + "\n"
    result = CliRunner().invoke(cli, ["grade", "--json", "-"], input=stdin)
    lines = [json.loads(line) for line in result.output.splitlines() if line.strip()]
    assert lines[0]["verdict"] == "incorrect" and lines[0]["evidence"]["by"] == "example"
    assert "label must be one of" in lines[1]["error"] and lines[1]["line"] == 2


def test_quiz_file_examples_are_parsed_and_a_bad_one_is_a_one_line_error(tmp_path):
    lesson = tmp_path / "01-basics.md"
    lesson.write_text(
        "---\nid: basics\ntitle: Basics\nobjectives: [Define precision]\n"
        "key_terms:\n  precision: The share of predicted positives that are right.\n---\n"
        "# Basics\n\n## Precision\n\nPrecision is TP / (TP + FP).\n"
    )
    quiz = tmp_path / "01-basics.quiz.yaml"
    item = (
        "- id: b-precision\n  type: short\n  section: Precision\n  question: What is precision?\n"
        "  answer: TP / (TP + FP).\n  explanation: x\n"
    )
    quiz.write_text(item + "  examples:\n    - {answer: tp/(tp+fn), label: incorrect}\n")
    course = load_course(tmp_path)
    assert not course.errors
    assert course.items[0].examples == [
        {"answer": "tp/(tp+fn)", "label": "incorrect", "origin": "teacher"}
    ]
    quiz.write_text(item + "  examples:\n    - {answer: tp/(tp+fn), label: nope}\n")
    course = load_course(tmp_path)
    assert course.items == [] and len(course.errors) == 1
    assert "label must be one of" in str(course.errors[0]) and "quiz.yaml:7" in str(
        course.errors[0]
    )


@pytest.mark.slow
def test_a_learner_correction_is_kept_and_grades_the_same_answer_next_time():
    tutor = Tutor()
    tutor.sync_cards()
    card = next(c for c in tutor.cards() if c.kind == "short" and c.origin == "course")
    examples = tutor.card_examples(card)
    assert examples and all(e.origin == "course" for e in examples)
    session = tutor.session("quiz", ids=[card.id])
    session.next_card()
    answer = "zzz my own words that nobody labelled"
    sub = session.submit(answer, 30_000, grader=tutor.grade)
    flipped = "correct" if sub.grade.verdict != "correct" else "incorrect"
    after = session.override(flipped)
    assert after.grade.verdict == flipped and after.grade.evidence["overridden_from"]
    assert after.suggested == (3 if flipped == "correct" else 1)
    session.rate()
    # a new process (a new Tutor on the same file) grades that answer the same way
    again = Tutor()
    assert again.card_examples(card)[0] == Example(answer, flipped, "learner")
    second = again.session("quiz", ids=[card.id], cram=True)
    second.next_card()
    sub2 = second.submit(answer, 30_000, grader=again.grade)
    assert sub2.grade.verdict == flipped and sub2.grade.evidence["by"] == "example"
    assert "Graded like your earlier answer" in sub2.grade.feedback


@pytest.mark.slow
def test_piped_review_takes_the_learners_mark_and_keeps_it():
    stdin = "bananas and custard\nmark: correct\n/quit\n"
    result = CliRunner().invoke(cli, ["quiz", "--lesson", "regularization", "-n", "5"], input=stdin)
    assert result.exit_code == 0, result.output
    assert "You marked this answer correct." in result.output
    assert "Recorded: Good" in result.output
    tutor = Tutor()
    card = next(
        c for c in tutor.cards(lesson="regularization") if c.question == "What is overfitting?"
    )
    assert tutor.card_examples(card)[0] == Example("bananas and custard", "correct", "learner")


LM_Q = "What is an AI large model?"
LM_R = (
    "A neural network with a very large number of parameters, trained on a very large "
    "dataset, that learns patterns general enough to be reused for many tasks."
)


FILTER = "a small matrix of learned weights (a filter), e.g. 3x3, that slides over the image"
SMALLER = "it makes the learning rate smaller"


@pytest.mark.parametrize(
    ("answer", "evidence"),
    [
        (FILTER, "bundled"),  # a right answer to another card
        pytest.param(
            FILTER,
            "none",
            marks=pytest.mark.xfail(
                strict=True,
                reason="the cross-encoder calls it correct (P 0.95) and it is not far enough "
                "from the card for the off-card rule (issue 11)",
            ),
        ),
        (SMALLER, "none"),  # about nothing the card asks
        pytest.param(
            SMALLER,
            "bundled",
            marks=pytest.mark.xfail(
                strict=True,
                reason="the examples trees call it partial (P 0.67): the nearest labelled "
                "answers are short partial ones (issue 11)",
            ),
        ),
    ],
)
def test_an_answer_to_another_card_is_wrong_with_or_without_evidence(answer, evidence):
    examples = bundled("lm-definition") if evidence == "bundled" else []
    assert len(examples) >= 10 or evidence == "none"
    assert grade(LM_Q, LM_R, answer, examples=examples).verdict == "incorrect"


def test_an_answer_far_from_both_question_and_reference_is_never_correct():
    from tutor.grade import _unrelated

    vouched = np.array([0.02, 0.03, 0.95])  # the cross-encoder says correct
    far = {"cos_ref": 0.12, "cos_question": 0.18, "ref_recall": 0.4}
    assert _unrelated(far, vouched)
    assert not _unrelated({**far, "cos_question": 0.25}, vouched)
    g = grade(LM_Q, LM_R, "a 3x3 filter slides across the image computing dot products")
    assert g.verdict == "incorrect"
