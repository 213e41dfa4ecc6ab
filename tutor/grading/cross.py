"""The cross-encoder: reads the reference and the answer together and says how right it is.

Why a cross-encoder beside the sentence embeddings: a cosine between two
separately embedded texts cannot see that "does not" flips a claim or that two
terms changed roles; a model that attends across both texts can. It is the
bundled all-MiniLM-L6-v2 with a 3-way head (incorrect / partial / correct),
fine-tuned by `scripts/train_grader.py` on SemEval-2013 and the course's
labelled learner answers, exported to ONNX and quantized to int8
(`tutor/data/grader-ce.onnx`, about 23 MB: small enough to ship in the
package, where the 90 MB fp32 graph is not). It uses the bundled model's own
word-piece tokenizer.

Loaded on first use, once per process, like the sentence encoder.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np

MODEL_PATH = Path(__file__).resolve().parents[1] / "data" / "grader-ce.onnx"
MAX_TOKENS = 128  # what it was trained with
_session = None
_lock = threading.Lock()


def available() -> bool:
    return MODEL_PATH.is_file()


def _load():
    global _session
    if _session is None:
        with _lock:
            if _session is None:
                from tutor.embed import session_for

                _session = session_for(MODEL_PATH)
    return _session


@lru_cache(maxsize=1)
def _tokenizer():
    from tokenizers import Tokenizer

    from tutor.embed import model_path

    tokenizer = Tokenizer.from_file(str(model_path() / "tokenizer.json"))
    tokenizer.enable_truncation(max_length=MAX_TOKENS)
    tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
    return tokenizer


def pair_text(question: str, reference: str) -> str:
    """The first text of a pair, as in training: the question, then the reference."""
    return f"{question.strip()} {reference.strip()}".strip()


def probabilities(
    pairs: Sequence[tuple[str, str]], batch_size: int = 32, session=None
) -> np.ndarray:
    """P(incorrect), P(partial), P(correct) for each (question + reference, answer),
    from the shipped model or from `session` (a fold model, or the fp32 graph, that
    the fit script reads)."""
    session = session or _load()
    out = np.zeros((len(pairs), session.get_outputs()[0].shape[-1]), dtype=np.float32)
    if not pairs:
        return out
    order = sorted(range(len(pairs)), key=lambda i: len(pairs[i][0]) + len(pairs[i][1]))
    for start in range(0, len(order), batch_size):
        picked = order[start : start + batch_size]
        encodings = _tokenizer().encode_batch([pairs[i] for i in picked])
        feed = {
            "input_ids": np.array([e.ids for e in encodings], dtype=np.int64),
            "attention_mask": np.array([e.attention_mask for e in encodings], dtype=np.int64),
            "token_type_ids": np.array([e.type_ids for e in encodings], dtype=np.int64),
        }
        (logits,) = session.run(["logits"], feed)
        logits = logits - logits.max(axis=1, keepdims=True)
        p = np.exp(logits)
        out[picked] = p / p.sum(axis=1, keepdims=True)
    return out
