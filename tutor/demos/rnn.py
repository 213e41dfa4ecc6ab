"""Character-level language models (a plain RNN and an LSTM) trained on the course text."""

from __future__ import annotations

import math
import threading
from collections import Counter
from collections.abc import Iterator
from typing import Any

import torch
from torch import nn

from tutor.demos._common import cancelled, demo_run, generator, r, setup, start_event
from tutor.demos.events import Event
from tutor.errors import TutorError

UNKNOWN = "~"  # stands for any character too rare to model
MIN_CHARS = 2000


def course_text() -> str:
    """The bundled course's prose: each lesson's intro and section bodies, in order."""
    from tutor.course import load_course
    from tutor.paths import content_dir

    course = load_course(content_dir())
    parts = []
    for lesson in course.lessons:
        parts.append(lesson.intro)
        parts.extend(f"{s.title}\n{s.body}" for s in lesson.sections)
    return "\n\n".join(p.strip() for p in parts if p.strip())


class CharModel(nn.Module):
    def __init__(self, vocab: int, hidden: int, cell: str):
        super().__init__()
        self.embed = nn.Embedding(vocab, 32)
        rnn_class = nn.LSTM if cell == "lstm" else nn.RNN
        self.rnn = rnn_class(32, hidden, batch_first=True)
        self.out = nn.Linear(hidden, vocab)

    def forward(self, x: torch.Tensor, state: Any = None) -> tuple[torch.Tensor, Any]:
        h, state = self.rnn(self.embed(x), state)
        return self.out(h), state


def sample(
    model: CharModel,
    prompt: list[int],
    length: int,
    temperature: float,
    gen: torch.Generator,
    device: torch.device,
) -> list[int]:
    """Generate `length` characters after `prompt`, one at a time, feeding each one back."""
    model.eval()
    out: list[int] = []
    with torch.no_grad():
        logits, state = model(torch.tensor([prompt], device=device))
        for _ in range(length):
            probs = torch.softmax(logits[0, -1].float() / temperature, dim=-1).cpu()
            nxt = int(torch.multinomial(probs, 1, generator=gen))
            out.append(nxt)
            logits, state = model(torch.tensor([[nxt]], device=device), state)
    model.train()
    return out


@demo_run
def run(
    *,
    quick: bool = False,
    device: Any = None,
    seed: int = 0,
    cancel: threading.Event | None = None,
    steps: int | None = None,
    hidden: int | None = None,
    seq_len: int = 48,
    batch: int = 32,
    lr: float = 3e-3,
    text: str | None = None,
    prompt: str = "The ",
    sample_every: int | None = None,
    **_: Any,
) -> Iterator[Event]:
    text = text if text is not None else course_text()
    if len(text) < MIN_CHARS:
        raise TutorError(
            f"the course text is too short for the rnn demo ({len(text)} characters, "
            f"need {MIN_CHARS})"
        )
    dev = setup(device, seed)
    steps = steps or (60 if quick else 250)
    hidden = hidden or (64 if quick else 128)
    sample_every = sample_every or max(1, steps // 6)

    counts = Counter(text)
    chars = sorted(c for c, n in counts.items() if n >= 5 and c != UNKNOWN) + [UNKNOWN]
    index = {c: i for i, c in enumerate(chars)}
    unk = index[UNKNOWN]
    data = torch.tensor([index.get(c, unk) for c in text], dtype=torch.long)
    cut = int(len(data) * 0.9)
    train, val = data[:cut].to(dev), data[cut:].to(dev)
    vocab = len(chars)
    prompt_ids = [index.get(c, unk) for c in prompt] or [index.get(" ", unk)]

    models = {cell: CharModel(vocab, hidden, cell).to(dev) for cell in ("rnn", "lstm")}
    opts = {cell: torch.optim.Adam(m.parameters(), lr=lr) for cell, m in models.items()}
    loss_fn = nn.CrossEntropyLoss()
    gen = generator(seed)

    # A fixed set of validation windows, so val loss is comparable across steps.
    n_val = max(1, min(32, (len(val) - 1) // seq_len))
    val_x = torch.stack([val[i * seq_len : i * seq_len + seq_len] for i in range(n_val)])
    val_y = torch.stack([val[i * seq_len + 1 : i * seq_len + seq_len + 1] for i in range(n_val)])

    def val_loss(model: CharModel) -> float:
        model.eval()
        with torch.no_grad():
            logits, _ = model(val_x)
            loss = float(loss_fn(logits.reshape(-1, vocab), val_y.reshape(-1)))
        model.train()
        return loss

    def snapshot(step: int) -> Event:
        samples = {}
        for cell, model in models.items():
            ids = sample(model, prompt_ids, 120, 0.8, generator(seed + step), dev)
            samples[cell] = prompt + "".join(chars[i] for i in ids)
        vals = {f"{cell}_val_loss": r(val_loss(m)) for cell, m in models.items()}
        return Event("snapshot", step, steps, vals, {"samples": samples})

    yield start_event(
        dev, steps, chars=len(text), vocab=vocab, hidden=hidden, seq_len=seq_len, batch=batch
    )
    first = snapshot(0)
    yield first
    history: list[dict[str, float]] = []
    stopped = False
    done_steps = 0
    metrics: dict[str, float] = {}
    for step in range(1, steps + 1):
        if cancelled(cancel):
            stopped = True
            break
        starts = torch.randint(0, len(train) - seq_len - 1, (batch,), generator=gen)
        offsets = starts[:, None] + torch.arange(seq_len + 1)[None, :]
        chunk = train[offsets.to(dev)]
        x, y = chunk[:, :-1], chunk[:, 1:]
        metrics = {}
        for cell, model in models.items():
            opts[cell].zero_grad()
            logits, _ = model(x)
            loss = loss_fn(logits.reshape(-1, vocab), y.reshape(-1))
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 1.0)  # RNNs need it: gradients explode
            opts[cell].step()
            metrics[f"{cell}_loss"] = r(loss.detach())
        done_steps = step
        history.append(metrics)
        yield Event("progress", step, steps, metrics)
        if step % sample_every == 0 or step == steps:
            last = snapshot(step)
            yield last

    final: dict[str, float] = {
        "chance_loss": r(math.log(vocab)),
        "vocab": float(vocab),
        "steps": float(done_steps),
    }
    end = snapshot(done_steps)
    for cell in models:
        final[f"{cell}_initial_val_loss"] = first.metrics[f"{cell}_val_loss"]
        final[f"{cell}_val_loss"] = end.metrics[f"{cell}_val_loss"]
        tail = [h[f"{cell}_loss"] for h in history[-10:]]
        final[f"{cell}_loss"] = r(sum(tail) / len(tail)) if tail else float("nan")
    yield Event(
        "done",
        done_steps,
        steps,
        final,
        {
            "cancelled": stopped,
            "samples": end.payload["samples"],
            "first_samples": first.payload["samples"],
        },
    )
