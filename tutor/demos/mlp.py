"""Backpropagation: a small MLP learns make_moons (or make_circles), boundary redrawn live."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import numpy as np
import torch
from torch import nn

from tutor.demos._common import cancelled, demo_run, grid, r, setup, start_event
from tutor.demos.events import Event

GRID_W, GRID_H = 48, 20  # decision-boundary grid, in terminal cells


def _data(dataset: str, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    from sklearn.datasets import make_circles, make_moons

    if dataset == "moons":
        return make_moons(n_samples=n, noise=0.2, random_state=seed)
    if dataset == "circles":
        return make_circles(n_samples=n, noise=0.1, factor=0.45, random_state=seed)
    from tutor.errors import TutorError

    raise TutorError(f"unknown dataset {dataset!r} for the mlp demo: use moons or circles")


@demo_run
def run(
    *,
    quick: bool = False,
    device: Any = None,
    seed: int = 0,
    cancel: threading.Event | None = None,
    dataset: str = "moons",
    steps: int | None = None,
    hidden: int = 16,
    lr: float = 0.03,
    snapshot_every: int | None = None,
    **_: Any,
) -> Iterator[Event]:
    x_np, y_np = _data(dataset, 600, seed)
    dev = setup(device, seed)
    steps = steps or (150 if quick else 500)
    snapshot_every = snapshot_every or max(1, steps // 25)
    x = torch.tensor(x_np, dtype=torch.float32)
    mean, std = x.mean(0), x.std(0)
    x = ((x - mean) / std).to(dev)
    y = torch.tensor(y_np, dtype=torch.float32).to(dev)
    x_train, y_train, x_test, y_test = x[:400], y[:400], x[400:], y[400:]

    model = nn.Sequential(
        nn.Linear(2, hidden), nn.Tanh(), nn.Linear(hidden, hidden), nn.Tanh(), nn.Linear(hidden, 1)
    ).to(dev)
    linears = [m for m in model if isinstance(m, nn.Linear)]
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    loss_fn = nn.BCEWithLogitsLoss()

    # The grid the boundary is drawn on, in the standardised coordinates.
    lo = x.min(0).values.cpu() - 0.3
    hi = x.max(0).values.cpu() + 0.3
    gx = torch.linspace(float(lo[0]), float(hi[0]), GRID_W)
    gy = torch.linspace(float(hi[1]), float(lo[1]), GRID_H)  # top row = largest y
    mesh = torch.stack(torch.meshgrid(gy, gx, indexing="ij")[::-1], dim=-1).reshape(-1, 2).to(dev)
    points = {
        "x": grid(x_train[:, 0], 3),
        "y": grid(x_train[:, 1], 3),
        "label": [int(v) for v in y_train.cpu().tolist()],
        "extent": [float(lo[0]), float(hi[0]), float(lo[1]), float(hi[1])],
    }

    yield start_event(dev, steps, dataset=dataset, hidden=hidden, lr=lr, n_train=400, n_test=200)

    def accuracy(xs: torch.Tensor, ys: torch.Tensor) -> float:
        with torch.no_grad():
            return float(((model(xs).squeeze(1) > 0).float() == ys).float().mean())

    def snapshot(step: int) -> Event:
        with torch.no_grad():
            probs = torch.sigmoid(model(mesh)).reshape(GRID_H, GRID_W)
        return Event("snapshot", step, steps, {}, {"boundary": grid(probs, 3), "points": points})

    first_loss = None
    metrics: dict[str, float] = {}
    step_90 = -1
    stopped = False
    done_steps = 0
    yield snapshot(0)
    for step in range(1, steps + 1):
        if cancelled(cancel):
            stopped = True
            break
        done_steps = step
        opt.zero_grad()
        loss = loss_fn(model(x_train).squeeze(1), y_train)
        loss.backward()  # backpropagation: gradients for every weight, layer by layer
        grads = [float(m.weight.grad.norm()) for m in linears]
        opt.step()
        loss_v = float(loss.detach())
        first_loss = loss_v if first_loss is None else first_loss
        if step == 1:
            first_grads = grads
        train_acc = accuracy(x_train, y_train)
        if step_90 < 0 and train_acc >= 0.9:
            step_90 = step
        metrics = {"loss": r(loss_v), "train_accuracy": r(train_acc)}
        metrics.update({f"grad_norm_layer{i + 1}": r(g) for i, g in enumerate(grads)})
        yield Event("progress", step, steps, metrics)
        if step % snapshot_every == 0 or step == steps:
            yield snapshot(step)

    final = {
        "initial_loss": r(first_loss if first_loss is not None else float("nan")),
        "loss": metrics.get("loss", float("nan")),
        "train_accuracy": metrics.get("train_accuracy", 0.0),
        "test_accuracy": r(accuracy(x_test, y_test)),
        "steps": float(done_steps),
        "steps_to_90": float(step_90),
    }
    if first_loss is not None:
        for i, g in enumerate(first_grads):
            final[f"first_grad_norm_layer{i + 1}"] = r(g)
    done = snapshot(done_steps)
    yield Event(
        "done", done.step, steps, final, {**done.payload, "cancelled": stopped, "dataset": dataset}
    )
