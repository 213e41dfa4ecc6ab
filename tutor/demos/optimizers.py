"""SGD, SGD with momentum, RMSprop and Adam on the same network, data, batches and start.

A fifth run, Adam with a linear warm-up and cosine decay, shows a learning-rate schedule.
"""

from __future__ import annotations

import copy
import math
import threading
from collections.abc import Iterator
from typing import Any

import torch
from torch import nn

from tutor.demos._common import cancelled, demo_run, generator, r, setup, start_event
from tutor.demos.cnn import load_digits_tensors, split
from tutor.demos.events import Event

# name -> (label, factory(params) -> optimizer). Learning rates are each optimizer's
# usual default, so the race is between methods, not between tuning efforts.
OPTIMIZERS = {
    "sgd": ("SGD", lambda p: torch.optim.SGD(p, lr=0.05)),
    "momentum": ("SGD + momentum", lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9)),
    "rmsprop": ("RMSprop", lambda p: torch.optim.RMSprop(p, lr=1e-3)),
    "adam": ("Adam", lambda p: torch.optim.Adam(p, lr=1e-3)),
    "adam_cosine": ("Adam, warm-up + cosine", lambda p: torch.optim.Adam(p, lr=3e-3)),
}
TARGET_LOSS = 0.5  # "reached" = full training-set loss first below this


def warmup_cosine(step: int, total: int, warmup: int) -> float:
    """The learning-rate multiplier: linear warm-up, then cosine decay to zero."""
    if step < warmup:
        return (step + 1) / warmup
    progress = (step - warmup) / max(1, total - warmup)
    return 0.5 * (1 + math.cos(math.pi * progress))


@demo_run
def run(
    *,
    quick: bool = False,
    device: Any = None,
    seed: int = 0,
    cancel: threading.Event | None = None,
    steps: int | None = None,
    batch: int = 64,
    eval_every: int | None = None,
    **_: Any,
) -> Iterator[Event]:
    x_all, y_all = load_digits_tensors()
    train_idx, test_idx = split(y_all.numpy(), 0.25, seed)
    dev = setup(device, seed)
    steps = steps or (150 if quick else 600)
    eval_every = eval_every or max(1, steps // 50)
    x_train, y_train = x_all[train_idx].flatten(1).to(dev), y_all[train_idx].to(dev)
    x_test, y_test = x_all[test_idx].flatten(1).to(dev), y_all[test_idx].to(dev)

    start = nn.Sequential(nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU())
    start.append(nn.Linear(64, 10))
    models = {name: copy.deepcopy(start).to(dev) for name in OPTIMIZERS}
    opts = {name: make(models[name].parameters()) for name, (_, make) in OPTIMIZERS.items()}
    warmup = max(1, steps // 10)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        opts["adam_cosine"], lambda s: warmup_cosine(s, steps, warmup)
    )
    loss_fn = nn.CrossEntropyLoss()
    # One batch order for every optimizer: drawn once, up front.
    gen = generator(seed)
    per_epoch = math.ceil(len(x_train) / batch)
    epochs = math.ceil(steps / per_epoch)
    order = torch.cat([torch.randperm(len(x_train), generator=gen) for _ in range(epochs)])
    order = order.to(dev)

    yield start_event(
        dev,
        steps,
        batch=batch,
        optimizers={name: label for name, (label, _) in OPTIMIZERS.items()},
        warmup=warmup,
        target_loss=TARGET_LOSS,
    )

    def full_loss(model: nn.Module) -> float:
        with torch.no_grad():
            return float(loss_fn(model(x_train), y_train))

    reached: dict[str, int] = {}
    metrics = {f"loss_{name}": r(full_loss(m)) for name, m in models.items()}
    initial = dict(metrics)
    lr0 = opts["adam_cosine"].param_groups[0]["lr"]
    yield Event("progress", 0, steps, {**metrics, "lr_adam_cosine": r(lr0, 6)})
    stopped = False
    done_steps = 0
    for step in range(1, steps + 1):
        if cancelled(cancel):
            stopped = True
            break
        idx = order[(step - 1) * batch % len(order) :][:batch]
        lr_now = opts["adam_cosine"].param_groups[0]["lr"]
        for name, model in models.items():
            opts[name].zero_grad()
            loss_fn(model(x_train[idx]), y_train[idx]).backward()
            opts[name].step()
        schedule.step()
        done_steps = step
        if step % eval_every == 0 or step == steps:
            metrics = {f"loss_{name}": r(full_loss(m)) for name, m in models.items()}
            for name in models:
                if name not in reached and metrics[f"loss_{name}"] < TARGET_LOSS:
                    reached[name] = step
            yield Event("progress", step, steps, {**metrics, "lr_adam_cosine": r(lr_now, 6)})

    final: dict[str, float] = {"steps": float(done_steps), "target_loss": TARGET_LOSS}
    for name, model in models.items():
        with torch.no_grad():
            acc = float((model(x_test).argmax(1) == y_test).float().mean())
        final[f"initial_loss_{name}"] = initial[f"loss_{name}"]
        final[f"loss_{name}"] = metrics[f"loss_{name}"]
        final[f"test_accuracy_{name}"] = r(acc)
        final[f"steps_to_target_{name}"] = float(reached.get(name, -1))
    yield Event("done", done_steps, steps, final, {"cancelled": stopped})
