"""Overfitting and three cures: dropout, L2 weight decay and early stopping.

An over-sized network (three hidden layers of 256 units, ~130k weights) learns 60
noisy make_moons points. Alone it memorises them: training loss goes to zero while
validation loss climbs. The same network from the same starting weights with dropout,
or with an L2 penalty, keeps validation loss down; early stopping keeps the plain
network's weights from the step where its validation loss was lowest.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Iterator
from typing import Any

import torch
from torch import nn

from tutor.demos._common import cancelled, demo_run, r, setup, start_event
from tutor.demos.events import Event

VARIANTS = {
    "plain": "No regularization",
    "dropout": "Dropout (p=0.5)",
    "l2": "L2 penalty",
    "early_stop": "Early stopping",
}


def make_net(hidden: int, dropout: float) -> nn.Sequential:
    layers: list[nn.Module] = []
    width = 2
    for _ in range(3):
        layers += [nn.Linear(width, hidden), nn.ReLU()]
        if dropout:
            layers.append(nn.Dropout(dropout))
        width = hidden
    layers.append(nn.Linear(width, 1))
    return nn.Sequential(*layers)


@demo_run
def run(
    *,
    quick: bool = False,
    device: Any = None,
    seed: int = 0,
    cancel: threading.Event | None = None,
    steps: int | None = None,
    hidden: int = 256,
    n_train: int = 60,
    l2: float = 3e-3,
    patience: int = 10,
    eval_every: int | None = None,
    **_: Any,
) -> Iterator[Event]:
    from sklearn.datasets import make_moons

    x_np, y_np = make_moons(n_samples=n_train + 1000, noise=0.35, random_state=seed)
    dev = setup(device, seed)
    steps = steps or (150 if quick else 500)
    eval_every = eval_every or max(1, steps // 60)
    x = torch.tensor(x_np, dtype=torch.float32).to(dev)
    y = torch.tensor(y_np, dtype=torch.float32).to(dev)
    x_train, y_train, x_val, y_val = x[:n_train], y[:n_train], x[n_train:], y[n_train:]

    plain = make_net(hidden, 0.0)
    dropout = make_net(hidden, 0.5)
    # Same starting weights for all: copy the plain network's parameters in order.
    dropout.load_state_dict(
        dict(zip(dropout.state_dict().keys(), plain.state_dict().values(), strict=True))
    )
    models = {"plain": plain.to(dev), "dropout": dropout.to(dev), "l2": copy.deepcopy(plain)}
    models["l2"].to(dev)
    opts = {name: torch.optim.Adam(m.parameters(), lr=1e-3) for name, m in models.items()}
    loss_fn = nn.BCEWithLogitsLoss()

    def evaluate(model: nn.Module, xs: torch.Tensor, ys: torch.Tensor) -> tuple[float, float]:
        model.eval()
        with torch.no_grad():
            logits = model(xs).squeeze(1)
            loss = float(loss_fn(logits, ys))
            acc = float(((logits > 0).float() == ys).float().mean())
        model.train()
        return loss, acc

    yield start_event(
        dev,
        steps,
        variants=VARIANTS,
        hidden=hidden,
        n_train=n_train,
        n_val=len(x_val),
        l2=l2,
        patience=patience,
        parameters=sum(p.numel() for p in plain.parameters()),
    )
    best_val, best_step, best_state = float("inf"), 0, copy.deepcopy(plain.state_dict())
    early_stop_step = -1  # the step where early stopping would have ended training
    evals_since_best = 0
    metrics: dict[str, float] = {}
    stopped = False
    done_steps = 0
    for step in range(1, steps + 1):
        if cancelled(cancel):
            stopped = True
            break
        for name, model in models.items():
            opts[name].zero_grad()
            loss = loss_fn(model(x_train).squeeze(1), y_train)
            if name == "l2":  # the penalty is part of the loss; the reported loss is not
                penalty = sum((p**2).sum() for n, p in model.named_parameters() if "weight" in n)
                (loss + l2 * penalty).backward()
            else:
                loss.backward()
            opts[name].step()
        done_steps = step
        if step % eval_every and step != steps:
            continue
        metrics = {}
        for name, model in models.items():
            metrics[f"train_loss_{name}"] = r(evaluate(model, x_train, y_train)[0])
            metrics[f"val_loss_{name}"] = r(evaluate(model, x_val, y_val)[0])
        val_plain = metrics["val_loss_plain"]
        if early_stop_step < 0:
            if val_plain < best_val:
                best_val, best_step = val_plain, step
                best_state = copy.deepcopy(plain.state_dict())
                evals_since_best = 0
            else:
                evals_since_best += 1
                if evals_since_best >= patience:
                    early_stop_step = step
        if early_stop_step < 0 or early_stop_step == step:
            metrics["train_loss_early_stop"] = metrics["train_loss_plain"]
            metrics["val_loss_early_stop"] = metrics["val_loss_plain"]
        yield Event("progress", step, steps, metrics)

    final: dict[str, float] = {"steps": float(done_steps)}
    best_model = make_net(hidden, 0.0).to(dev)
    best_model.load_state_dict(best_state)
    finals = dict(models, early_stop=best_model)
    for name, model in finals.items():
        train_loss, train_acc = evaluate(model, x_train, y_train)
        val_loss, val_acc = evaluate(model, x_val, y_val)
        final[f"train_loss_{name}"] = r(train_loss)
        final[f"val_loss_{name}"] = r(val_loss)
        final[f"train_accuracy_{name}"] = r(train_acc)
        final[f"val_accuracy_{name}"] = r(val_acc)
        final[f"gap_{name}"] = r(val_loss - train_loss)
    final["best_step"] = float(best_step)
    final["early_stop_step"] = float(early_stop_step if early_stop_step > 0 else done_steps)
    final["min_val_loss_plain"] = r(best_val)
    yield Event("done", done_steps, steps, final, {"cancelled": stopped, "variants": VARIANTS})
