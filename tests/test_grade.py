"""The grader, with the real bundled model: mcq, cloze, free text and its traps, the CLI."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from tutor.cli import cli
from tutor.grade import Grade, grade, grade_cloze, grade_many, grade_mcq
from tutor.grading.features import lexical, reference_parts, swapped_reference
from tutor.grading.text import close_enough, contradictions, edit_distance, normalize, stem

CHOICES = [
    "A weight that training adjusts",
    "The number of training epochs",
    "The size of the training dataset",
    "The GPU the model runs on",
]

SUP_Q = "How does unsupervised learning differ from supervised learning?"
SUP_R = (
    "Unsupervised learning uses data without labels and looks for structure such as groups, "
    "while supervised learning learns from inputs paired with correct answers."
)
NEURON_Q = "What does a single artificial neuron compute?"
NEURON_R = (
    "It multiplies each input by its weight, adds the products and a bias, and passes that "
    "weighted sum through an activation function."
)
OVERFIT_Q = "What is overfitting?"
OVERFIT_R = (
    "Overfitting is when a model fits its training data so closely, noise included, that it "
    "performs worse on new data."
)


# ------------------------------------------------------------------ text helpers


def test_normalize_ignores_case_punctuation_accents_and_articles():
    assert normalize("  The Fine-Tuning! ") == "fine tuning"
    assert normalize("Café") == "cafe"
    assert normalize("4,198,400") == "4198400"


def test_edit_distance_counts_a_swap_as_one():
    assert edit_distance("gradient", "gradeint") == 1
    assert edit_distance("kitten", "sitting") == 3


def test_numbers_are_never_typos():
    assert close_enough("14 GB", "14gb") == (True, True)
    assert close_enough("15 GB", "14 GB") == (False, False)


def test_a_different_real_word_is_never_a_typo():
    # each of these passed as "a small typo" before (walk-through, issue 11)
    for answer, target in [
        ("decrease", "increase"),
        ("decoder", "encoder"),
        ("minimum", "maximum"),
        ("Unsupervised learning.", "Supervised learning."),
        ("form", "from"),
        ("the decoder", "the encoder"),
    ]:
        assert close_enough(answer, target) == (False, False), answer


def test_misspellings_plurals_and_british_spelling_still_match():
    for answer, target in [
        ("gradeint", "gradient"),
        ("sigmiod", "sigmoid"),
        ("backpropogation", "backpropagation"),
        ("droput", "dropout"),
        ("gradients", "gradient"),
        ("normalisation", "normalization"),
        ("colour", "color"),
    ]:
        assert close_enough(answer, target) == (True, False), answer


def test_cloze_and_mcq_reject_the_opposite_word():
    assert grade_cloze("increase", "decrease").verdict == "incorrect"
    assert grade_cloze("encoder", "decoder").verdict == "incorrect"
    assert grade_cloze("encoder", "encodr").verdict == "correct"
    assert grade_mcq("Supervised learning", "Unsupervised learning").verdict == "incorrect"


def test_stem_groups_word_forms():
    assert stem("labels") == stem("labelled") == stem("labelling") == "label"


def test_opposite_scale_words_conflict_in_any_form():
    reference = "Warmup raises the learning rate gradually from near zero."
    assert contradictions("Warmup starts at the peak rate and lowers it.", reference)[0] == 1
    assert contradictions("Warmup increases the rate slowly from almost zero.", reference)[0] == 0


def test_crossed_roles_count_as_moved_subjects():
    reference = (
        "The raw photos stay on each phone; only the trained model weights are sent to a "
        "server and averaged there."
    )
    crossed = (
        "The raw photos are sent to a central server, and the trained weights stay on each phone."
    )
    faithful = (
        "The raw photos stay on each phone, and only the trained weights are sent to a server."
    )
    assert contradictions(crossed, reference)[2] >= 1
    assert contradictions(faithful, reference) == (0, 0, 0)


def test_a_worked_number_is_not_keyword_stuffing():
    question = "How many bytes do 3 billion parameters take in 16-bit floats?"
    reference = "6 GB, since each 16-bit parameter takes 2 bytes."
    assert not lexical(question, [reference], "6GB thats 2 bytes per param times 3e9").stuffing
    assert lexical(question, [reference], "bytes parameter float bits storage").stuffing


def test_a_scale_word_binds_the_noun_after_it():
    reference = (
        "Momentum gives parameters with steady gradients larger steps and noisy ones smaller steps."
    )
    swapped = (
        "Momentum gives parameters with steady gradients smaller steps and noisy ones larger steps."
    )
    faithful = (
        "Parameters whose gradients are steady get larger steps, noisy ones get smaller steps."
    )
    assert contradictions(swapped, reference)[0] >= 1
    assert contradictions(faithful, reference)[0] == 0


def test_reversing_a_into_b_conflicts_and_from_a_to_b_agrees():
    reference = (
        "An encoder turns a sentence into a vector, and a decoder turns a vector into a sentence."
    )
    reversed_ = (
        "An encoder turns a vector into a sentence, and a decoder turns a sentence into a vector."
    )
    faithful = (
        "The encoder maps a sentence to a vector; the decoder goes from a vector to a sentence."
    )
    assert contradictions(reversed_, reference)[0] >= 2
    assert contradictions(faithful, reference)[0] == 0


def test_rather_than_denies_what_follows():
    reference = "A validation set tunes the settings, not the final score."
    assert (
        contradictions("It gives the final score, rather than tuning settings.", reference)[0] >= 1
    )
    assert contradictions("It is used to tune the settings.", reference)[0] == 0


def test_plus_and_minus_are_opposites():
    reference = "The new weight is the old weight minus the step."
    assert contradictions("The new weight is the old weight plus the step.", reference)[0] == 1


def test_a_swap_is_only_tested_between_terms_the_question_names():
    reference = "Bagging averages independent models, while boosting trains models in sequence."
    answer = "Boosting averages independent models, while bagging trains models in sequence."
    swapped = swapped_reference(reference, answer, BAG_Q)
    assert swapped.lower() == answer.lower()
    # "what is it" names neither term: exchanging words is noise, not a test
    assert swapped_reference(reference, answer, "What is an ensemble?") is None


BAG_Q = "How do bagging and boosting differ?"
BAG_R = (
    "Bagging trains its models independently on bootstrap samples and averages them, while "
    "boosting trains them one after another, each focusing on the errors of the previous ones."
)


def test_reference_parts_split_at_clause_words_not_at_commas():
    assert len(reference_parts(BAG_R)) == 2
    assert len(reference_parts("Because X is true.")) == 1
    assert len(reference_parts("The parameters, the data, and the compute.")) == 1


# Known misses of the learned grader (issue 11 note): the hand rules that caught these
# were dropped because, as overrides, they lowered accuracy on the course answers
# (5-fold CV on the training part); their detectors are now features the model weighs.
KNOWN_MISS = pytest.mark.xfail(strict=True, reason="learned grader misses this trap (issue 11)")


def test_a_short_answer_to_a_two_part_reference_is_brief():
    half = "Bagging averages models trained on bootstrap samples."
    full = (
        "Bagging fits each model separately on a resampled copy of the data and averages "
        "them; boosting builds models in sequence, each one fixing the mistakes of the last."
    )
    assert lexical(BAG_Q, [BAG_R], half).brief
    assert not lexical(BAG_Q, [BAG_R], full).brief


@KNOWN_MISS
def test_half_of_a_two_part_answer_is_not_correct():
    half = "Bagging averages models trained on bootstrap samples."
    assert not grade(BAG_Q, BAG_R, half).correct


DROP_Q = "What does dropout do during training?"
DROP_R = "It randomly sets a fraction of the activations to zero at each training step."


@pytest.mark.xfail(
    strict=True,
    reason="the cross-encoder carries over the labels of the course's look-alike item "
    "('What does dropout do during training, and why ...?', where these answers lack "
    "the why) to a new card that asks only the what (issue 11)",
)
@pytest.mark.parametrize(
    "answer",
    [
        "it randomly zeroes some activations at every training step",
        "it randomly drops some neurons on each training step",
        "it turns off a random subset of units each step during training",
    ],
)
def test_a_new_card_like_a_course_item_is_graded_on_its_own_reference(answer):
    assert grade(DROP_Q, DROP_R, answer).correct


@pytest.mark.xfail(strict=True, reason="graded partial, not incorrect (issue 11)")
def test_an_unrelated_answer_to_a_new_card_is_incorrect_not_partial():
    assert grade(DROP_Q, DROP_R, "it makes the learning rate smaller").verdict == "incorrect"


# ------------------------------------------------------------------ mcq and cloze


def test_mcq_by_text_and_by_number_without_loading_the_model():
    ref = CHOICES[0]
    by_text = grade("Which is a parameter?", ref, "a weight that training adjusts", kind="mcq",
                    choices=CHOICES)  # fmt: skip
    assert by_text.correct and by_text.verdict == "correct" and by_text.score == 1.0
    assert grade("Q", ref, "1", kind="mcq", choices=CHOICES).correct
    assert grade("Q", ref, " 1. ", kind="mcq", choices=CHOICES).correct
    wrong = grade("Q", ref, "2", kind="mcq", choices=CHOICES)
    assert not wrong.correct and "number of training epochs" in wrong.feedback
    assert "no choice 7" in grade("Q", ref, "7", kind="mcq", choices=CHOICES).feedback
    assert grade("Q", ref, "A wieght that training adjusts", kind="mcq", choices=CHOICES).correct


def test_mcq_and_cloze_never_load_the_model():
    import subprocess
    import sys

    code = (
        "from tutor.grade import grade; from tutor import embed; import sys;"
        "grade('Q', 'fine-tuning', 'finetuning', kind='cloze');"
        "grade('Q', 'a', '1', kind='mcq', choices=['a', 'b']);"
        "sys.exit(1 if embed.is_loaded() or 'torch' in sys.modules else 0)"
    )
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0


def test_cloze_forgives_typos_case_and_punctuation():
    ref = "fine-tuning"
    assert grade("", ref, "Fine tuning.", kind="cloze").verdict == "correct"
    typo = grade("", ref, "fine-tunnig", kind="cloze")
    assert typo.correct and 0 < typo.score < 1 and "spelling" in typo.feedback
    assert grade("", "backpropagation", "BACKPROPOGATION!", kind="cloze").correct
    assert not grade("", ref, "pre-training", kind="cloze").correct
    assert not grade("", "ReLU", "tanh", kind="cloze").correct


def test_cloze_accepts_alternatives_but_not_other_numbers():
    accept = ["14 gigabytes", "14GB", "14"]
    assert grade("", "14 GB", "14 gigabyte", kind="cloze", accept=accept).correct
    assert grade("", "14 GB", "14", kind="cloze", accept=accept).correct
    assert not grade("", "14 GB", "15 GB", kind="cloze", accept=accept).correct
    assert not grade("", "14 GB", "", kind="cloze", accept=accept).correct


def test_grade_to_dict_has_the_five_fields():
    g = grade("", "x", "x", kind="cloze", source="Lesson 1 › Intro")
    assert isinstance(g, Grade)
    assert set(g.to_dict()) == {"verdict", "score", "correct", "feedback", "evidence"}
    assert "Reference answer: x" in g.feedback and "Source: Lesson 1 › Intro" in g.feedback


# ------------------------------------------------------------------ free text


def test_paraphrase_is_correct_and_feedback_shows_reference_and_source():
    g = grade(
        SUP_Q,
        SUP_R,
        "Supervised learning is given the right answer for every example; unsupervised "
        "learning only gets raw data and has to find patterns like clusters on its own.",
        source="Learning paradigms › Unsupervised learning",
    )
    assert g.verdict == "correct", g
    unrelated = grade(SUP_Q, SUP_R, "It makes the network deeper so it can learn faster.")
    assert g.score > unrelated.score + 0.2  # the score rises with correctness
    assert SUP_R in g.feedback and "Learning paradigms" in g.feedback


def test_second_paraphrase_is_correct():
    g = grade(
        NEURON_Q,
        NEURON_R,
        "A weighted sum of its inputs plus a bias, fed through an activation function.",
    )
    assert g.correct, g


@pytest.mark.parametrize(
    ("trap", "question", "reference", "answer"),
    [
        ("empty", SUP_Q, SUP_R, ""),
        ("blank", SUP_Q, SUP_R, "   \n"),
        ("filler", OVERFIT_Q, OVERFIT_R, "idk"),
        ("filler", OVERFIT_Q, OVERFIT_R, "I think so, maybe."),
        ("restated", OVERFIT_Q, OVERFIT_R, "Overfitting is when a model overfits."),
        ("keywords", SUP_Q, SUP_R, "unsupervised supervised labels data structure groups answers"),
        (
            "negation",
            OVERFIT_Q,
            OVERFIT_R,
            "Overfitting is when a model fits its training data so closely that it performs "
            "better on new data.",
        ),
        (
            "negation",
            NEURON_Q,
            NEURON_R,
            "It does not use weights; it just passes its inputs straight to the output.",
        ),
        ("swapped", SUP_Q, SUP_R, "Supervised learning uses no labels, unsupervised learning uses labels."),
        (
            "swapped",
            "What happens to precision and recall when you raise the decision threshold?",
            "Precision usually goes up and recall goes down, because the model flags fewer examples.",
            "Recall goes up and precision goes down, because the model flags fewer examples.",
        ),
        ("off-question", OVERFIT_Q, OVERFIT_R, "A transformer uses attention to weigh every token."),
    ],
)  # fmt: skip
def test_traps_are_not_correct(trap, question, reference, answer):
    g = grade(question, reference, answer)
    assert not g.correct, (trap, g)
    assert g.verdict in ("partial", "incorrect")
    assert reference in g.feedback


def test_grade_many_matches_grade_and_keeps_order():
    rows = [
        {"question": OVERFIT_Q, "reference": OVERFIT_R, "answer": "idk"},
        {"question": "", "reference": "ReLU", "answer": "relu", "kind": "cloze"},
        {
            "question": NEURON_Q,
            "reference": NEURON_R,
            "answer": "A weighted sum of its inputs plus a bias, fed through an activation function.",
        },
    ]
    many = list(grade_many(rows))
    assert [g.verdict for g in many] == [grade(**r).verdict for r in rows]
    assert [g.correct for g in many] == [False, True, True]


# ------------------------------------------------------------------ CLI


def test_cli_grade_json_one_shot():
    result = CliRunner().invoke(
        cli,
        ["grade", "--json", "--question", OVERFIT_Q, "--reference", OVERFIT_R, "--answer", "idk"],
    )
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert set(out) == {"verdict", "score", "correct", "feedback", "evidence"}
    assert out["verdict"] == "incorrect" and out["correct"] is False
    assert out["evidence"] == {"by": "filler"}


def test_cli_grade_json_stdin_batch():
    lines = [
        {"question": OVERFIT_Q, "reference": OVERFIT_R, "answer": "idk"},
        {
            "question": NEURON_Q,
            "reference": NEURON_R,
            "answer": "It multiplies every input by a weight, sums them with a bias, and "
            "applies an activation function.",
        },
        {"question": "Q", "reference": "b", "answer": "2", "kind": "mcq", "choices": ["a", "b"]},
    ]
    stdin = "\n".join(json.dumps(x) for x in lines) + "\n\n"
    result = CliRunner().invoke(cli, ["grade", "--json", "-"], input=stdin)
    assert result.exit_code == 0, result.output
    outs = [json.loads(line) for line in result.output.splitlines()]
    assert [o["correct"] for o in outs] == [False, True, True]


@pytest.mark.parametrize(
    ("stdin", "message"),
    [
        (b'{"question": "q", "reference": "r", "answer": "a"}\nnot json\n', "line 2: not valid JSON"),
        (b'{"question": "q", "reference": "r", "answer": "\xff\xfe"}\n', "line 1: not UTF-8"),
        (b'{"question": "q", "answer": "a"}\n', "line 1: missing field 'reference'"),
        (b'[1, 2]\n', "line 1: expected a JSON object"),
        (b'{"reference": "r", "answer": "a", "kind": "essay"}\n', "kind must be one of"),
        (json.dumps({"reference": "r", "answer": "x" * 100_000}).encode() + b"\n", "too long"),
    ],
    ids=["json", "utf8", "missing", "not-object", "kind", "huge"],
)  # fmt: skip
def test_cli_grade_bad_stdin_is_one_line_error(stdin, message):
    result = CliRunner().invoke(cli, ["grade", "--json", "-"], input=stdin)
    assert result.exit_code != 0
    assert message in result.output
    assert "Traceback" not in result.output
    errors = [line for line in result.output.splitlines() if "Error" in line or "error" in line]
    assert len(errors) == 1


def test_cli_grade_huge_answer_is_one_line_error():
    result = CliRunner().invoke(
        cli, ["grade", "--json", "--reference", "r", "--answer", "word " * 50_000]
    )
    assert result.exit_code != 0
    assert "answer is too long" in result.output and "Traceback" not in result.output


def test_cli_grade_needs_reference_and_answer():
    result = CliRunner().invoke(cli, ["grade", "--json", "--answer", "a"])
    assert result.exit_code == 2 and "--reference" in result.output


def test_a_term_reference_is_graded_as_a_term():
    # the learned model only ever saw sentence references; on a one-word one it guessed
    q = "Which activation squashes its input into the range 0 to 1?"
    for answer, verdict in [
        ("sigmoid function", "correct"),
        ("i think its the sigmod", "correct"),  # a typo is forgiven
        ("relu", "incorrect"),
        ("not the sigmoid", "incorrect"),
        ("pizza", "incorrect"),
    ]:
        g = grade(q, "The sigmoid.", answer)
        assert (g.verdict, g.evidence["by"]) == (verdict, "term"), answer
    assert grade("What is the capital of France?", "Paris.", "london").verdict == "incorrect"
    # an accepted answer is a term too; a sentence reference is not one
    assert grade(
        q, "The sigmoid.", "a logistic function", accept=["The logistic function."]
    ).correct
    assert (
        grade(q, "The sigmoid, which maps any input into (0, 1).", "relu").evidence["by"] != "term"
    )
