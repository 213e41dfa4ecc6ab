"""Choose the torch device: CUDA when present, else Apple MPS, else the CPU.

torch is imported inside the functions, so importing this module costs nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tutor.errors import TutorError

if TYPE_CHECKING:
    import torch


def _mps_available() -> bool:
    import torch

    mps = getattr(torch.backends, "mps", None)
    return bool(mps and mps.is_available())


def pick_device(override: str | None = None) -> torch.device:
    """The best available device, or the one asked for (``cpu``, ``cuda``, ``cuda:1``, ``mps``).

    Asking for a device this machine lacks raises `TutorError` with a one-line message.
    """
    import torch

    if override is None or str(override).strip().lower() in ("", "auto"):
        if torch.cuda.is_available():
            return torch.device("cuda", torch.cuda.current_device())
        if _mps_available():
            return torch.device("mps")
        return torch.device("cpu")
    if isinstance(override, torch.device):
        device = override
    else:
        try:
            device = torch.device(str(override).strip().lower())
        except (RuntimeError, ValueError):
            raise TutorError(
                f"unknown device {override!r}: use auto, cpu, cuda, cuda:N or mps"
            ) from None
    if device.type == "cpu":
        return torch.device("cpu")
    if device.type == "cuda":
        if not torch.cuda.is_available():
            raise TutorError(
                f"device {override!r} requested but CUDA is not available "
                f"(torch {torch.__version__}); use --device cpu or auto"
            )
        count = torch.cuda.device_count()
        index = device.index if device.index is not None else torch.cuda.current_device()
        if index >= count:
            raise TutorError(f"device {override!r} requested but only {count} CUDA device(s) exist")
        return torch.device("cuda", index)
    if device.type == "mps":
        if not _mps_available():
            raise TutorError(f"device {override!r} requested but Apple MPS is not available")
        return torch.device("mps")
    raise TutorError(f"unsupported device {override!r}: use auto, cpu, cuda, cuda:N or mps")


def describe(device: torch.device) -> str:
    """A human name for the device: 'cuda:0 (NVIDIA H100 80GB HBM3)', 'cpu (2 threads)'."""
    import torch

    if device.type == "cuda":
        return f"{device} ({torch.cuda.get_device_name(device)})"
    if device.type == "cpu":
        threads = torch.get_num_threads()
        return f"cpu ({threads} thread{'s' if threads != 1 else ''})"
    return str(device)
