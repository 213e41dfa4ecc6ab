"""Fine-tune the bundled all-MiniLM-L6-v2 as a cross-encoder and export it to int8 ONNX.

The recipe scripts/train_grader.py runs three times (two cross-fitting folds and
the shipped model), kept apart from the grader's data handling so that any
(text, text) -> class model of ours is made the same way: a sequence-pair
classifier started from the bundled sentence encoder's weights, trained with
AdamW and a linear warm-up/decay, then exported to ONNX and quantized to int8
with onnxruntime's dynamic quantization, which is what `tutor.embed.session_for`
runs.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Recipe:
    labels: int
    epochs: int = 2
    batch: int = 16
    lr: float = 4e-5
    max_len: int = 128
    seed: int = 13


def batches(pairs: list, size: int, rng: random.Random) -> list[list]:
    """Shuffled batches of pairs of alike length: padding to the longest pair of a
    random batch made a step about a third slower on these 2-core machines."""
    pairs = list(pairs)
    rng.shuffle(pairs)
    out = []
    pool = size * 50
    for start in range(0, len(pairs), pool):
        chunk = sorted(pairs[start : start + pool], key=lambda p: len(p[0]) + len(p[1]))
        out += [chunk[i : i + size] for i in range(0, len(chunk), size)]
    rng.shuffle(out)
    return out


def fine_tune(pairs: list[tuple[str, str, int]], out: Path, recipe: Recipe) -> None:
    """Train on (first text, second text, class) pairs; save the model to `out`."""
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    from tutor.embed import model_path

    torch.manual_seed(recipe.seed)
    rng = random.Random(recipe.seed)
    tokenizer = AutoTokenizer.from_pretrained(str(model_path()))
    model = AutoModelForSequenceClassification.from_pretrained(
        str(model_path()), num_labels=recipe.labels
    )
    optimizer = torch.optim.AdamW(model.parameters(), lr=recipe.lr, weight_decay=0.01)
    steps = recipe.epochs * ((len(pairs) + recipe.batch - 1) // recipe.batch)
    warm = 0.1 * steps
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: min(1.0, s / warm) * max(0.0, (steps - s) / (steps - warm))
    )
    print(f"fine-tuning on {len(pairs):,} pairs, {steps} steps", flush=True)
    model.train()
    step = 0
    for _ in range(recipe.epochs):
        for batch in batches(pairs, recipe.batch, rng):
            enc = tokenizer(
                [p[0] for p in batch],
                [p[1] for p in batch],
                truncation=True,
                max_length=recipe.max_len,
                padding=True,
                return_tensors="pt",
            )
            logits = model(**enc).logits
            loss = torch.nn.functional.cross_entropy(logits, torch.tensor([p[2] for p in batch]))
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            schedule.step()
            optimizer.zero_grad()
            step += 1
            if step % 100 == 0:
                print(f"  step {step}/{steps} loss {loss.item():.3f}", flush=True)
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)


def export_int8(model_dir: Path, out: Path) -> Path:
    """Write the int8 graph of the model saved in `model_dir` to `out`; returns the
    fp32 graph's path (beside `model_dir`), kept to compare against."""
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from transformers import AutoModelForSequenceClassification

    from tutor.onnx_cache import OPSET

    model = AutoModelForSequenceClassification.from_pretrained(str(model_dir)).eval()
    fp32 = model_dir.with_name(model_dir.name + "-fp32.onnx")
    dummy = torch.ones(1, 8, dtype=torch.long)
    axes = {0: "batch", 1: "tokens"}
    with torch.no_grad():
        torch.onnx.export(
            model,
            (dummy, dummy, torch.zeros_like(dummy)),
            str(fp32),
            input_names=["input_ids", "attention_mask", "token_type_ids"],
            output_names=["logits"],
            dynamic_axes={
                "input_ids": axes,
                "attention_mask": axes,
                "token_type_ids": axes,
                "logits": {0: "batch"},
            },
            opset_version=OPSET,
            dynamo=False,
        )
    quantize_dynamic(str(fp32), str(out), weight_type=QuantType.QInt8)
    print(
        f"wrote {out} ({out.stat().st_size / 1e6:.1f} MB; fp32 {fp32.stat().st_size / 1e6:.0f} MB)"
    )
    return fp32
