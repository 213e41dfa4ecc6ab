"""Live model demos: small, real trainings that yield progress events as they learn.

Each demo is plain library code: ``DEMOS[name].run(...)`` returns an iterator of
`Event` (start, progress, snapshot, done) that the CLI, the TUI and the tests all
consume the same way. Importing this package does not import torch; a demo's
module (and torch with it) is imported only when it runs.
"""

from __future__ import annotations

import importlib
import math
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from tutor.demos.events import Event
from tutor.errors import TutorError


@dataclass(frozen=True)
class DemoQuestion:
    """A multiple-choice question whose answer was computed from one run's metrics."""

    id: str
    prompt: str
    choices: list[str]
    answer: str
    explanation: str
    # What on screen answers it: "plots" (the run's final numbers and its curves, at
    # the top) or "picture" (the confusion matrix below them); the TUI keeps it in view.
    look_at: str = "plots"


@dataclass(frozen=True)
class Demo:
    name: str
    title: str
    lesson_id: str  # the lesson that teaches what the demo shows
    summary: str

    def run(
        self,
        *,
        quick: bool = False,
        device: Any = None,
        seed: int = 0,
        cancel: threading.Event | None = None,
        **options: Any,
    ) -> Iterator[Event]:
        """Run the demo, yielding events; `cancel.set()` stops it at the next step."""
        module = importlib.import_module(f"tutor.demos.{self.name}")
        return module.run(quick=quick, device=device, seed=seed, cancel=cancel, **options)

    def questions(self, metrics: dict[str, float]) -> list[DemoQuestion]:
        """Two or three questions about what this run showed (empty if it was cut short)."""
        from tutor.demos.questions import questions_for

        return questions_for(self.name, metrics)


DEMOS: dict[str, Demo] = {
    demo.name: demo
    for demo in [
        Demo(
            "mlp",
            "Backpropagation: an MLP learns a 2-D boundary",
            "training",
            "A small multilayer perceptron trained by backpropagation on make_moons; "
            "the loss falls and the decision boundary is redrawn as it learns.",
        ),
        Demo(
            "cnn",
            "A CNN reads handwritten digits",
            "cnns",
            "A two-layer convolutional network on scikit-learn's 1,797 8x8 digits: loss and "
            "accuracy curves, a confusion matrix and the digits it got wrong.",
        ),
        Demo(
            "rnn",
            "RNN and LSTM language models on the course text",
            "rnns",
            "A plain RNN and an LSTM learn to predict the next character of this course; "
            "samples turn from noise into course-like text as the loss falls.",
        ),
        Demo(
            "attention",
            "Attention inside MiniLM",
            "transformers",
            "The real attention weights of the bundled MiniLM transformer on your sentence, "
            "per layer and head, and its learned position embeddings beside sinusoidal ones.",
        ),
        Demo(
            "regularization",
            "Overfitting, and three cures",
            "regularization",
            "An over-sized network memorises a small noisy data set; dropout, L2 weight decay "
            "and early stopping keep validation loss down. Train vs validation curves.",
        ),
        Demo(
            "optimizers",
            "SGD, momentum, RMSprop and Adam race",
            "optimizers",
            "The same network, data and starting weights trained by four optimizers, loss "
            "curves together, plus Adam with a warm-up and cosine learning-rate schedule.",
        ),
        Demo(
            "transfer",
            "Transfer learning with a few labelled digits",
            "transfer-learning",
            "Pre-train a CNN on digits 0-4, then fine-tune it on 5-9 with a few examples per "
            "class, against the same network trained from scratch on the same examples.",
        ),
    ]
}


def get_demo(name: str) -> Demo:
    """The demo called `name`, or a one-line `TutorError` that lists the valid names."""
    try:
        return DEMOS[name]
    except KeyError:
        raise TutorError(f"unknown demo {name!r}; choose one of: {', '.join(DEMOS)}") from None


@dataclass
class DemoResult:
    demo: str
    device: str
    seconds: float
    metrics: dict[str, float]
    cancelled: bool = False
    payload: dict[str, Any] = field(default_factory=dict)  # the done event's payload

    def to_json(self) -> dict[str, Any]:
        """The `tutor demo NAME --json` object."""
        return {
            "demo": self.demo,
            "device": self.device,
            "seconds": round(self.seconds, 3),
            # A run cancelled before its first step has NaN metrics; JSON has no NaN.
            "metrics": {k: v if math.isfinite(v) else None for k, v in self.metrics.items()},
        }


def run_demo(
    name: str,
    *,
    on_event: Callable[[Event], None] | None = None,
    **kwargs: Any,
) -> DemoResult:
    """Run a demo to the end (or until cancelled) and return its final metrics.

    `on_event` sees every event as it comes; keyword arguments go to `Demo.run`.
    """
    demo = get_demo(name)
    device = "?"
    events = demo.run(**kwargs)  # imports the demo's module (and torch): not timed
    started = time.perf_counter()
    final: Event | None = None
    for event in events:
        if event.kind == "start":
            device = str(event.payload.get("device", device))
        if on_event is not None:
            on_event(event)
        if event.kind == "done":
            final = event
    seconds = time.perf_counter() - started
    if final is None:  # a demo always ends with "done"; this guards against a bug
        raise TutorError(f"demo {name!r} ended without a result")
    return DemoResult(
        demo=name,
        device=device,
        seconds=seconds,
        metrics=dict(final.metrics),
        cancelled=bool(final.payload.get("cancelled", False)),
        payload=final.payload,
    )
