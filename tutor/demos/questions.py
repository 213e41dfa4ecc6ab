"""Questions about what a demo run showed; every answer is computed from that run's metrics.

Each question is multiple choice (the TUI grades it like any MCQ card). A run that
was cancelled early may lack metrics; such questions are simply left out.
"""

from __future__ import annotations

from collections.abc import Callable

from tutor.demos import DemoQuestion

Metrics = dict[str, float]


def _q(
    demo: str,
    n: int,
    prompt: str,
    choices: list[str],
    answer: str,
    why: str,
    look_at: str = "plots",
) -> DemoQuestion:
    assert answer in choices, (answer, choices)
    return DemoQuestion(f"demo-{demo}-{n}", prompt, choices, answer, why, look_at)


# A "which layer most" question is asked only when the answer stands out by this
# much: 56% against 57% is a coin toss for anyone reading the heatmaps.
CLEAR_SHARE = 0.03  # of attention
CLEAR_NATS = 0.05  # of entropy


def _extreme(values: list[float], margin: float) -> tuple[str, int] | None:
    """("most" or "least", index) of a value that stands out from the next by `margin`."""
    ranked = sorted(range(len(values)), key=values.__getitem__)
    if len(values) > 1 and values[ranked[-1]] - values[ranked[-2]] >= margin:
        return "most", ranked[-1]
    if len(values) > 1 and values[ranked[1]] - values[ranked[0]] >= margin:
        return "least", ranked[0]
    return None


def _bucket(value: float, edges: list[float], labels: list[str]) -> str:
    for edge, label in zip(edges, labels, strict=False):
        if value < edge:
            return label
    return labels[-1]


def _mlp(m: Metrics) -> list[DemoQuestion]:
    labels = [f"layer {i}" for i in (1, 2, 3)]
    grads = [m[f"first_grad_norm_layer{i}"] for i in (1, 2, 3)]
    biggest = labels[grads.index(max(grads))]
    acc_labels = ["below 80%", "80% to 90%", "90% to 95%", "95% or more"]
    acc = _bucket(m["test_accuracy"], [0.8, 0.9, 0.95], acc_labels)
    return [
        _q(
            "mlp",
            1,
            "At the first step, which layer's weights received the largest gradient "
            "(by norm) from backpropagation?",
            labels,
            biggest,
            f"The first step's gradient norms were {', '.join(f'{g:.3f}' for g in grads)} "
            "for layers 1, 2 and 3: backpropagation computes each layer's gradient from the "
            "one after it, so their sizes can differ a lot.",
        ),
        _q(
            "mlp",
            2,
            "What accuracy did the network reach on the 200 test points it never trained on?",
            acc_labels,
            acc,
            f"Test accuracy was {m['test_accuracy']:.1%}; training accuracy was "
            f"{m['train_accuracy']:.1%}, and the loss fell from {m['initial_loss']:.2f} "
            f"to {m['loss']:.3f}.",
        ),
    ]


def _cnn(m: Metrics) -> list[DemoQuestion]:
    digits = [str(d) for d in range(10)]
    acc_labels = ["below 90%", "90% to 95%", "95% to 97%", "97% or more"]
    out = [
        _q(
            "cnn",
            1,
            "What accuracy did the CNN reach on the held-out test digits?",
            acc_labels,
            _bucket(m["test_accuracy"], [0.9, 0.95, 0.97], acc_labels),
            f"Test accuracy was {m['test_accuracy']:.1%} ({int(m['errors'])} mistakes) after "
            f"{int(m['epochs'])} epochs; chance is 10%.",
        ),
        _q(
            "cnn",
            2,
            "Which digit did the CNN classify correctly least often on the test set?",
            digits,
            str(int(m["hardest_digit"])),
            f"Digit {int(m['hardest_digit'])} had the lowest per-class accuracy in the "
            "confusion matrix (its row has the smallest diagonal share).",
            look_at="picture",
        ),
    ]
    if m.get("most_confused_count", 0) > 0:
        true, pred = int(m["most_confused_true"]), int(m["most_confused_pred"])
        out.append(
            _q(
                "cnn",
                3,
                f"In the confusion matrix, which digit was a true {true} most often mistaken for?",
                [d for d in digits if d != str(true)],
                str(pred),
                f"The largest off-diagonal cell was row {true}, column {pred}: "
                f"{int(m['most_confused_count'])} test image(s) of a {true} read as a {pred}.",
                look_at="picture",
            )
        )
    return out


def _rnn(m: Metrics) -> list[DemoQuestion]:
    lower = "RNN" if m["rnn_val_loss"] < m["lstm_val_loss"] else "LSTM"
    fall = m["lstm_initial_val_loss"] - m["lstm_val_loss"]
    return [
        _q(
            "rnn",
            1,
            "Which model ended with the lower validation loss on held-out course text?",
            ["RNN", "LSTM"],
            lower,
            f"Validation loss: RNN {m['rnn_val_loss']:.3f}, LSTM {m['lstm_val_loss']:.3f} "
            f"after {int(m['steps'])} steps. On short training runs a plain RNN can keep up; "
            "the LSTM's gates pay off on longer dependencies and longer training.",
        ),
        _q(
            "rnn",
            2,
            "The untrained models' loss was close to ln(vocabulary size). What does that mean?",
            [
                "They guessed every character as equally likely",
                "They had already memorised the text",
                "They always predicted a space",
            ],
            "They guessed every character as equally likely",
            f"ln({int(m['vocab'])}) = {m['chance_loss']:.2f}, the cross-entropy of a uniform "
            f"guess; the LSTM started at {m['lstm_initial_val_loss']:.2f} and fell by "
            f"{fall:.2f}.",
        ),
    ]


def _attention(m: Metrics) -> list[DemoQuestion]:
    layers = int(m["layers"])
    labels = [f"layer {i}" for i in range(1, layers + 1)]
    special = [m[f"special_attention_layer{i}"] for i in range(1, layers + 1)]
    entropy = [m[f"entropy_layer{i}"] for i in range(1, layers + 1)]
    closer = m["learned_sim_adjacent"] > m["learned_sim_far"]
    out = []
    picked = _extreme(special, CLEAR_SHARE)
    if picked:
        which, index = picked
        out.append(
            _q(
                "attention",
                1,
                f"In which layer did the heads, on average, put the {which.upper()} attention "
                "on the special [CLS] and [SEP] tokens (the first and last columns)?",
                labels,
                labels[index],
                "Share of attention on [CLS]/[SEP] per layer: "
                + ", ".join(f"{s:.0%}" for s in special)
                + ". Heads with nothing to look for often park their attention there.",
            )
        )
    picked = _extreme(entropy, CLEAR_NATS)
    if picked:
        which, index = picked
        spread = "most spread out (highest" if which == "most" else "most focused (lowest"
        out.append(
            _q(
                "attention",
                2,
                f"Which layer's attention was the {spread} average entropy)?",
                labels,
                labels[index],
                "Average attention entropy per layer (nats): "
                + ", ".join(f"{e:.2f}" for e in entropy)
                + ". Higher entropy means a query spreads its weight over more tokens.",
            )
        )
    out.append(
        _q(
            "attention",
            3,
            f"Are MiniLM's learned position embeddings of neighbouring positions more similar "
            f"than those of positions {16} apart?",
            ["Yes", "No"],
            "Yes" if closer else "No",
            f"Mean cosine similarity: {m['learned_sim_adjacent']:.2f} for neighbours, "
            f"{m['learned_sim_far']:.2f} at distance 16 (sinusoidal: "
            f"{m['sinusoidal_sim_adjacent']:.2f} and {m['sinusoidal_sim_far']:.2f}). "
            "Nobody told the model positions are ordered; it learned it.",
        )
    )
    return out


def _regularization(m: Metrics) -> list[DemoQuestion]:
    names = {"plain": "No regularization", "dropout": "Dropout", "l2": "L2 penalty"}
    names["early_stop"] = "Early stopping"
    val = {k: m[f"val_loss_{k}"] for k in names}
    best = min(val, key=val.get)
    worst = max(val, key=val.get)
    return [
        _q(
            "regularization",
            1,
            "Which network ended with the HIGHEST validation loss?",
            list(names.values()),
            names[worst],
            "Final validation loss: "
            + ", ".join(f"{names[k]} {v:.3f}" for k, v in val.items())
            + f". The plain network's training loss fell to {m['train_loss_plain']:.4f}: it "
            "memorised the 60 noisy points instead of the shape of the moons.",
        ),
        _q(
            "regularization",
            2,
            "Which network ended with the LOWEST validation loss?",
            list(names.values()),
            names[best],
            "Final validation loss: " + ", ".join(f"{names[k]} {v:.3f}" for k, v in val.items()),
        ),
        _q(
            "regularization",
            3,
            "Did the plain network's validation loss keep falling as long as its training "
            "loss did?",
            ["Yes", "No, it bottomed out early and then rose"],
            "Yes"
            if m["best_step"] >= m["steps"] * 0.9
            else "No, it bottomed out early and then rose",
            f"Its lowest validation loss ({m['min_val_loss_plain']:.3f}) came at step "
            f"{int(m['best_step'])} of {int(m['steps'])}; it ended at {m['val_loss_plain']:.3f}. "
            f"Early stopping halted at step {int(m['early_stop_step'])} and kept the best weights.",
        ),
    ]


def _optimizers(m: Metrics) -> list[DemoQuestion]:
    names = {
        "sgd": "SGD",
        "momentum": "SGD + momentum",
        "rmsprop": "RMSprop",
        "adam": "Adam",
    }
    final = {k: m[f"loss_{k}"] for k in names}
    reached = {k: m[f"steps_to_target_{k}"] for k in names if m[f"steps_to_target_{k}"] > 0}
    out = [
        _q(
            "optimizers",
            1,
            "Which optimizer ended with the lowest training loss?",
            list(names.values()),
            names[min(final, key=final.get)],
            "Final training loss: " + ", ".join(f"{names[k]} {v:.3f}" for k, v in final.items()),
        )
    ]
    if reached:
        first = min(reached, key=reached.get)
        out.append(
            _q(
                "optimizers",
                2,
                f"Which optimizer first brought the training loss below {m['target_loss']}?",
                list(names.values()),
                names[first],
                "Steps to reach it: "
                + ", ".join(
                    f"{names[k]} {int(m[f'steps_to_target_{k}'])}"
                    if m[f"steps_to_target_{k}"] > 0
                    else f"{names[k]} never"
                    for k in names
                ),
            )
        )
    out.append(
        _q(
            "optimizers",
            3,
            "In the warm-up + cosine schedule, what did the learning rate do?",
            [
                "Rose linearly at first, then fell smoothly towards zero",
                "Stayed constant",
                "Fell by half every few steps",
            ],
            "Rose linearly at first, then fell smoothly towards zero",
            "The schedule multiplies Adam's learning rate by (step+1)/warm-up during the "
            "warm-up, then by ½(1 + cos(π·progress)); that run ended at loss "
            f"{m['loss_adam_cosine']:.3f} against {m['loss_adam']:.3f} for plain Adam.",
        )
    )
    return out


def _transfer(m: Metrics) -> list[DemoQuestion]:
    names = {
        "scratch": "From scratch",
        "finetune": "Pre-trained, fine-tuned",
        "frozen": "Pre-trained, frozen features",
    }
    acc = {k: m[f"test_accuracy_{k}"] for k in names}
    best = max(acc, key=acc.get)
    helped = max(acc["finetune"], acc["frozen"]) > acc["scratch"]
    shots = int(m["shots"])
    return [
        _q(
            "transfer",
            1,
            f"With {shots} labelled examples per digit 5-9, which network scored best on the "
            "held-out 5-9 digits?",
            list(names.values()),
            names[best],
            "Test accuracy: " + ", ".join(f"{names[k]} {v:.1%}" for k, v in acc.items()),
        ),
        _q(
            "transfer",
            2,
            "In this run, did features pre-trained on digits 0-4 beat training from scratch "
            "on 5-9?",
            ["Yes", "No"],
            "Yes" if helped else "No",
            f"Best pre-trained: {max(acc['finetune'], acc['frozen']):.1%}; scratch: "
            f"{acc['scratch']:.1%}. The convolutional filters learned on 0-4 (strokes, edges, "
            "curves) are reused for new digits; how much that helps depends on how few "
            "labels there are.",
        ),
    ]


QUESTIONS: dict[str, Callable[[Metrics], list[DemoQuestion]]] = {
    "mlp": _mlp,
    "cnn": _cnn,
    "rnn": _rnn,
    "attention": _attention,
    "regularization": _regularization,
    "optimizers": _optimizers,
    "transfer": _transfer,
}


def questions_for(name: str, metrics: Metrics) -> list[DemoQuestion]:
    """The questions for demo `name`, or [] when the run lacks the metrics they need."""
    try:
        return QUESTIONS[name](metrics)
    except (KeyError, ValueError, ZeroDivisionError):
        return []
