"""Helpers shared by the demo modules (torch is imported here, so only demos import this)."""

from __future__ import annotations

import functools
import os
import random
import threading
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import torch

from tutor.demos.device import describe, pick_device
from tutor.demos.events import Event


def setup(device: Any, seed: int) -> torch.device:
    """Resolve the device and seed every random source from `seed`."""
    dev = pick_device(device)
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    if dev.type == "cuda":
        torch.backends.cudnn.benchmark = False
        torch.backends.cudnn.deterministic = True
    return dev


def start_event(dev: torch.device, total: int, **settings: Any) -> Event:
    payload = {"device": str(dev), "device_name": describe(dev), **settings}
    return Event("start", 0, total, {}, payload)


def cancelled(cancel: threading.Event | None) -> bool:
    return cancel is not None and cancel.is_set()


def generator(seed: int) -> torch.Generator:
    """A CPU generator for shuffling, so data order is the same on every device."""
    g = torch.Generator()
    g.manual_seed(seed)
    return g


def r(x: float, digits: int = 4) -> float:
    """Round for payloads: small JSON, stable text."""
    return round(float(x), digits)


def grid(values: Any, digits: int = 3) -> list:
    """A tensor or array as nested lists of rounded floats."""
    arr = values.detach().cpu().numpy() if isinstance(values, torch.Tensor) else np.asarray(values)
    return np.round(arr.astype(np.float64), digits).tolist()


def demo_run(fn: Callable[..., Iterator[Event]]) -> Callable[..., Iterator[Event]]:
    """Wrap a demo's `run`: CPU thread count for its duration, restored when it ends.

    These models are tiny; one thread is as fast as two on an idle 2-core machine and
    many times faster on a busy one (spinning threads fight for cores). `threads=` or
    ``TUTOR_DEMO_THREADS`` sets another count.
    """

    @functools.wraps(fn)
    def wrapper(*args: Any, threads: int | None = None, **kwargs: Any) -> Iterator[Event]:
        old = torch.get_num_threads()
        torch.set_num_threads(max(1, int(threads or os.environ.get("TUTOR_DEMO_THREADS", 1))))
        try:
            yield from fn(*args, **kwargs)
        finally:
            torch.set_num_threads(old)

    return wrapper
