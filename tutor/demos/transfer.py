"""Transfer learning: pre-train a CNN on digits 0-4, fine-tune on 5-9 from a few examples.

Three networks learn 5-9 from the same few labelled images per class, for the same
number of steps: one from random weights (scratch), one that starts from the
pre-trained convolutional features and fine-tunes everything, and one that keeps
those features frozen and trains only a new output layer.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Iterator
from typing import Any

import numpy as np
import torch
from torch import nn

from tutor.demos._common import cancelled, demo_run, generator, r, setup, start_event
from tutor.demos.cnn import DigitsCNN, evaluate, load_digits_tensors, split, train_epoch
from tutor.demos.events import Event

VARIANTS = {
    "scratch": "From scratch",
    "finetune": "Pre-trained, fine-tuned",
    "frozen": "Pre-trained, frozen features",
}


@demo_run
def run(
    *,
    quick: bool = False,
    device: Any = None,
    seed: int = 0,
    cancel: threading.Event | None = None,
    shots: int = 5,
    pretrain_epochs: int | None = None,
    finetune_steps: int | None = None,
    lr: float = 3e-3,
    **_: Any,
) -> Iterator[Event]:
    x_all, y_all = load_digits_tensors()
    train_idx, test_idx = split(y_all.numpy(), 0.25, seed)
    dev = setup(device, seed)
    pretrain_epochs = pretrain_epochs or (3 if quick else 8)
    finetune_steps = finetune_steps or (60 if quick else 150)
    total = pretrain_epochs + finetune_steps

    y_train_all = y_all[train_idx]
    low = train_idx[(y_train_all < 5).numpy()]
    high = train_idx[(y_train_all >= 5).numpy()]
    test_low = test_idx[(y_all[test_idx] < 5).numpy()]
    test_high = test_idx[(y_all[test_idx] >= 5).numpy()]
    rng = np.random.default_rng(seed)
    few = np.concatenate(
        [rng.choice(high[(y_all[high] == d).numpy()], shots, replace=False) for d in range(5, 10)]
    )

    def tensors(idx: np.ndarray, offset: int) -> tuple[torch.Tensor, torch.Tensor]:
        return x_all[idx].to(dev), (y_all[idx] - offset).to(dev)

    x_pre, y_pre = tensors(low, 0)
    x_pre_test, y_pre_test = tensors(test_low, 0)
    x_few, y_few = tensors(few, 5)
    x_test, y_test = tensors(test_high, 5)  # held-out 5-9, labels 0-4 for the new head

    yield start_event(
        dev,
        total,
        shots=shots,
        n_pretrain=len(low),
        n_finetune=len(few),
        n_test=len(test_high),
        variants=VARIANTS,
    )
    gen = generator(seed)
    base = DigitsCNN(classes=5).to(dev)
    opt = torch.optim.Adam(base.parameters(), lr=2e-3)
    stopped = False
    step = 0
    pre_acc = 0.0
    for epoch in range(1, pretrain_epochs + 1):
        if cancelled(cancel):
            stopped = True
            break
        loss = train_epoch(base, opt, x_pre, y_pre, 32, gen)
        pre_acc, _ = evaluate(base, x_pre_test, y_pre_test)
        step = epoch
        yield Event(
            "progress",
            step,
            total,
            {"pretrain_loss": r(loss), "pretrain_accuracy": r(pre_acc)},
            {"phase": "pretrain"},
        )

    torch.manual_seed(seed + 1)  # the new heads and the scratch network: same seed each run
    scratch = DigitsCNN(classes=5).to(dev)
    # Transfer the convolutional layers (edge and stroke detectors, useful for any digit);
    # the dense layers after them are specific to 0-4, so they start from the same random
    # weights as the scratch network's.
    finetune = copy.deepcopy(scratch)
    finetune.features[:4].load_state_dict(base.features[:4].state_dict())
    frozen = copy.deepcopy(finetune)
    for p in frozen.features[:4].parameters():
        p.requires_grad_(False)
    models = {"scratch": scratch, "finetune": finetune, "frozen": frozen}
    # The usual fine-tuning recipe: the new head learns at the full rate, the pre-trained
    # features at a tenth of it so they adapt without being overwritten.
    opts = {
        "scratch": torch.optim.Adam(scratch.parameters(), lr=lr),
        "finetune": torch.optim.Adam(
            [
                {"params": finetune.features[:4].parameters(), "lr": lr / 10},
                {"params": finetune.features[4:].parameters()},
                {"params": finetune.head.parameters()},
            ],
            lr=lr,
        ),
        "frozen": torch.optim.Adam([p for p in frozen.parameters() if p.requires_grad], lr=lr),
    }
    loss_fn = nn.CrossEntropyLoss()
    eval_every = max(1, finetune_steps // 15)
    curves: dict[str, float] = {}
    for i in range(1, finetune_steps + 1):
        if stopped or cancelled(cancel):
            stopped = True
            break
        metrics: dict[str, float] = {}
        for name, model in models.items():
            opts[name].zero_grad()
            loss = loss_fn(model(x_few), y_few)  # all few examples: one full batch
            loss.backward()
            opts[name].step()
            metrics[f"loss_{name}"] = r(loss.detach())
        step = pretrain_epochs + i
        if i % eval_every == 0 or i == finetune_steps:
            for name, model in models.items():
                metrics[f"test_accuracy_{name}"] = r(evaluate(model, x_test, y_test)[0])
            curves = metrics
        yield Event("progress", step, total, metrics, {"phase": "finetune"})

    final: dict[str, float] = {
        "pretrain_accuracy": r(pre_acc),
        "shots": float(shots),
        "chance": 0.2,
    }
    for name, model in models.items():
        final[f"test_accuracy_{name}"] = r(evaluate(model, x_test, y_test)[0])
        final[f"loss_{name}"] = curves.get(f"loss_{name}", float("nan"))
    yield Event("done", step, total, final, {"cancelled": stopped, "variants": VARIANTS})
