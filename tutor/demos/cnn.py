"""A small CNN on scikit-learn's 8x8 digits: curves, confusion matrix, misclassified digits."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import numpy as np
import torch
from torch import nn

from tutor.demos._common import cancelled, demo_run, generator, r, setup, start_event
from tutor.demos.events import Event


class DigitsCNN(nn.Module):
    """conv 3x3 (16) → conv 3x3 (32) → 2x2 max pool → dense 64 → classes."""

    def __init__(self, classes: int = 10, width: int = 16):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, width, 3, padding=1),
            nn.ReLU(),
            nn.Conv2d(width, 2 * width, 3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),  # 8x8 -> 4x4
            nn.Flatten(),
            nn.Linear(2 * width * 16, 64),
            nn.ReLU(),
        )
        self.head = nn.Linear(64, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))


def load_digits_tensors() -> tuple[torch.Tensor, torch.Tensor]:
    """All 1,797 digits as (N, 1, 8, 8) floats in [0, 1] and int64 labels, on the CPU."""
    from sklearn.datasets import load_digits

    digits = load_digits()
    x = torch.tensor(digits.images / 16.0, dtype=torch.float32).unsqueeze(1)
    y = torch.tensor(digits.target, dtype=torch.long)
    return x, y


def split(n_labels: np.ndarray, test_fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """A stratified train/test split of indices."""
    from sklearn.model_selection import train_test_split

    idx = np.arange(len(n_labels))
    train, test = train_test_split(
        idx, test_size=test_fraction, stratify=n_labels, random_state=seed
    )
    return np.sort(train), np.sort(test)


def evaluate(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> tuple[float, torch.Tensor]:
    """(accuracy, predictions) on the whole of x in one batch."""
    model.eval()
    with torch.no_grad():
        pred = model(x).argmax(1)
    model.train()
    return float((pred == y).float().mean()), pred


def train_epoch(
    model: nn.Module,
    opt: torch.optim.Optimizer,
    x: torch.Tensor,
    y: torch.Tensor,
    batch: int,
    gen: torch.Generator,
) -> float:
    """One shuffled pass; returns the mean training loss."""
    loss_fn = nn.CrossEntropyLoss()
    order = torch.randperm(len(x), generator=gen).to(x.device)
    total = 0.0
    for start in range(0, len(x), batch):
        idx = order[start : start + batch]
        opt.zero_grad()
        loss = loss_fn(model(x[idx]), y[idx])
        loss.backward()
        opt.step()
        total += float(loss.detach()) * len(idx)
    return total / len(x)


@demo_run
def run(
    *,
    quick: bool = False,
    device: Any = None,
    seed: int = 0,
    cancel: threading.Event | None = None,
    epochs: int | None = None,
    batch: int = 32,
    lr: float = 2e-3,
    **_: Any,
) -> Iterator[Event]:
    x_all, y_all = load_digits_tensors()
    train_idx, test_idx = split(y_all.numpy(), 0.25, seed)
    dev = setup(device, seed)
    epochs = epochs or (5 if quick else 15)
    x_train, y_train = x_all[train_idx].to(dev), y_all[train_idx].to(dev)
    x_test, y_test = x_all[test_idx].to(dev), y_all[test_idx].to(dev)
    model = DigitsCNN().to(dev)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    gen = generator(seed)

    yield start_event(dev, epochs, n_train=len(train_idx), n_test=len(test_idx), batch=batch, lr=lr)
    metrics: dict[str, float] = {}
    first_loss = None
    stopped = False
    done_epochs = 0
    for epoch in range(1, epochs + 1):
        if cancelled(cancel):
            stopped = True
            break
        loss = train_epoch(model, opt, x_train, y_train, batch, gen)
        first_loss = loss if first_loss is None else first_loss
        train_acc, _ = evaluate(model, x_train, y_train)
        test_acc, _ = evaluate(model, x_test, y_test)
        done_epochs = epoch
        metrics = {"loss": r(loss), "train_accuracy": r(train_acc), "test_accuracy": r(test_acc)}
        yield Event("progress", epoch, epochs, metrics)

    test_acc, pred = evaluate(model, x_test, y_test)
    confusion = torch.zeros(10, 10, dtype=torch.long)
    for t, p in zip(y_test.cpu().tolist(), pred.cpu().tolist(), strict=True):
        confusion[t, p] += 1
    off = confusion.clone()
    off.fill_diagonal_(0)
    worst = int(off.argmax())
    wrong = (pred != y_test).nonzero().flatten().cpu().tolist()
    misclassified = [
        {
            "image": np.round(x_test[i, 0].cpu().numpy(), 3).tolist(),
            "true": int(y_test[i]),
            "pred": int(pred[i]),
        }
        for i in wrong[:8]
    ]
    per_class = (confusion.diag().float() / confusion.sum(1).clamp(min=1).float()).tolist()
    final = {
        "initial_loss": r(first_loss if first_loss is not None else float("nan")),
        "loss": metrics.get("loss", float("nan")),
        "train_accuracy": metrics.get("train_accuracy", 0.0),
        "test_accuracy": r(test_acc),
        "errors": float(len(wrong)),
        "epochs": float(done_epochs),
        "most_confused_true": float(worst // 10),
        "most_confused_pred": float(worst % 10),
        "most_confused_count": float(off.max()),
        "hardest_digit": float(int(np.argmin(per_class))),
    }
    yield Event(
        "done",
        done_epochs,
        epochs,
        final,
        {
            "cancelled": stopped,
            "confusion": confusion.tolist(),
            "misclassified": misclassified,
            "per_class_accuracy": [r(a) for a in per_class],
        },
    )
