"""Attention inside the bundled MiniLM: real weights per layer and head, and position encodings.

MiniLM (BERT-style) learns one position embedding per position; the original
transformer used fixed sinusoids instead. Both are shown as cosine-similarity maps.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Iterator
from typing import Any

import torch

from tutor.demos._common import cancelled, demo_run, grid, r, setup, start_event
from tutor.demos.events import Event
from tutor.errors import TutorError

DEFAULT_TEXT = "The tutor explains how attention lets each word look at every other word."
POSITIONS = 32  # positions shown in the position-encoding maps
FAR = 16  # "far apart" positions, for the similarity comparison


def sinusoidal(positions: int, dim: int) -> torch.Tensor:
    """The fixed encoding of 'Attention is all you need': sin on even, cos on odd dims."""
    pos = torch.arange(positions, dtype=torch.float32)[:, None]
    freq = torch.exp(torch.arange(0, dim, 2, dtype=torch.float32) * (-math.log(10000.0) / dim))
    pe = torch.zeros(positions, dim)
    pe[:, 0::2] = torch.sin(pos * freq)
    pe[:, 1::2] = torch.cos(pos * freq)
    return pe


def cosine_matrix(vectors: torch.Tensor) -> torch.Tensor:
    unit = torch.nn.functional.normalize(vectors.float(), dim=-1)
    return unit @ unit.T


def _neighbour_similarity(sim: torch.Tensor, gap: int) -> float:
    return float(torch.diagonal(sim, offset=gap).mean())


@demo_run
def run(
    *,
    quick: bool = False,
    device: Any = None,
    seed: int = 0,
    cancel: threading.Event | None = None,
    text: str | None = None,
    max_tokens: int | None = None,
    **_: Any,
) -> Iterator[Event]:
    text = (text or DEFAULT_TEXT).strip()
    if not text:
        raise TutorError("the attention demo needs some text: pass --text 'a sentence'")
    dev = setup(device, seed)
    max_tokens = max_tokens or (16 if quick else 32)
    steps = 3  # load the model, run it, compare position encodings

    yield start_event(dev, steps, text=text, max_tokens=max_tokens)
    from tutor.embed import load_torch_model

    st_model = load_torch_model()
    tokenizer = st_model.tokenizer
    # Eager attention (the default SDPA cannot return attention weights), on the
    # device this demo was asked to use.
    bert = st_model[0].auto_model
    bert.set_attn_implementation("eager")
    bert.to(dev).eval()
    yield Event("progress", 1, steps, {}, {"stage": "model loaded"})
    if cancelled(cancel):
        yield Event("done", 1, steps, {}, {"cancelled": True})
        return

    enc = tokenizer(text, return_tensors="pt", truncation=True, max_length=max_tokens)
    enc = {k: v.to(dev) for k, v in enc.items()}
    tokens = tokenizer.convert_ids_to_tokens(enc["input_ids"][0].tolist())
    with torch.no_grad():
        out = bert(**enc, output_attentions=True)
    attn = torch.stack([a[0] for a in out.attentions]).float().cpu()  # (layers, heads, T, T)
    layers, heads, n, _ = attn.shape
    special = [i for i, t in enumerate(tokens) if t in ("[CLS]", "[SEP]")]
    entropy = -(attn * attn.clamp_min(1e-12).log()).sum(-1)  # (layers, heads, T)
    metrics: dict[str, float] = {
        "tokens": float(n),
        "layers": float(layers),
        "heads": float(heads),
        "truncated": float(len(tokenizer.tokenize(text)) + 2 > max_tokens),
    }
    for layer in range(layers):
        metrics[f"entropy_layer{layer + 1}"] = r(entropy[layer].mean())
        metrics[f"special_attention_layer{layer + 1}"] = r(
            attn[layer][:, :, special].sum(-1).mean()
        )
        metrics[f"self_attention_layer{layer + 1}"] = r(
            torch.diagonal(attn[layer], dim1=-2, dim2=-1).mean()
        )
        yield Event(
            "snapshot",
            2,
            steps,
            {k: v for k, v in metrics.items() if k.endswith(f"layer{layer + 1}")},
            {"layer": layer + 1, "tokens": tokens, "attention": grid(attn[layer], 3)},
        )
        if cancelled(cancel):
            yield Event("done", 2, steps, metrics, {"cancelled": True, "tokens": tokens})
            return
    yield Event("progress", 2, steps, {}, {"stage": "attention computed"})

    learned = bert.embeddings.position_embeddings.weight[:POSITIONS].detach().float().cpu()
    sines = sinusoidal(POSITIONS, learned.shape[1])
    learned_sim, sine_sim = cosine_matrix(learned), cosine_matrix(sines)
    metrics.update(
        {
            "learned_sim_adjacent": r(_neighbour_similarity(learned_sim, 1)),
            "learned_sim_far": r(_neighbour_similarity(learned_sim, FAR)),
            "sinusoidal_sim_adjacent": r(_neighbour_similarity(sine_sim, 1)),
            "sinusoidal_sim_far": r(_neighbour_similarity(sine_sim, FAR)),
        }
    )
    positions = {
        "learned_similarity": grid(learned_sim, 3),
        "sinusoidal_similarity": grid(sine_sim, 3),
        "sinusoidal": grid(sines[:, :64], 3),  # first 64 dimensions, for a picture
        "far": FAR,
    }
    yield Event("snapshot", 3, steps, {}, {"positions": positions})
    yield Event(
        "done",
        3,
        steps,
        metrics,
        {
            "cancelled": False,
            "text": text,
            "tokens": tokens,
            "attention": grid(attn, 3),
            "positions": positions,
        },
    )
